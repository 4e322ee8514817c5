"""Reference fingerprints for telemetry's alerts (crates/telemetry/src/alert/fingerprint.rs).

Starts the real Alertmanager (Debian's prometheus-alertmanager, 0.25 here) on a free
loopback port, posts one alert for each label set below, and records the `fingerprint`
Alertmanager itself reports for it (GET /api/v2/alerts). Our fingerprint must be the same
16 hex digits, so `monitor alerts ack ID` and Alertmanager's UI name an alert alike.
No third-party Python package is needed.
Run:  /work/.venv-ref/bin/python reference/scripts/alertmanager_fingerprints.py
Writes reference/values/alertmanager_fingerprints.json.
"""

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"

LABEL_SETS = [
    {"alertname": "DriftDetected", "severity": "warning", "model": "churn"},
    {"alertname": "DriftDetected", "severity": "critical", "model": "churn"},
    {"alertname": "CanaryFailed", "severity": "critical", "model": "churn", "version": "v4"},
    {"alertname": "x"},
    # the separator byte keeps these apart: name+value concatenations are equal
    {"alertname": "a", "ab": "c"},
    {"alertname": "a", "a": "bc"},
    # sort order by name, not by insertion
    {"zeta": "1", "alpha": "2", "alertname": "Order", "_private": "3", "Upper": "4"},
    {"alertname": "Unicode", "feature": "Zoë Ω 42", "team": "données/équipe"},
    {"alertname": "Spaces and symbols", "query": "rate(x[5m]) > 0.1", "empty_looking": " "},
    {"alertname": "RetrainBlocked", "severity": "info", "model": "fraud", "version": "2026-11-27",
     "rule": "accuracy_low", "guardrail": "cooldown", "env": "prod", "region": "eu-west-1"},
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, method="GET", body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read() or b"null")


def main():
    version = subprocess.run([ALERTMANAGER, "--version"], capture_output=True, text=True)
    version_line = (version.stdout or version.stderr).splitlines()[0]
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "alertmanager.yml"
        config.write_text("route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp}/data",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"{base}/-/ready", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            request(f"{base}/api/v2/alerts", "POST",
                    [{"labels": labels, "annotations": {"summary": "reference"}}
                     for labels in LABEL_SETS])
            alerts = request(f"{base}/api/v2/alerts")
        finally:
            server.kill()
            server.wait()
    by_labels = {json.dumps(a["labels"], sort_keys=True): a["fingerprint"] for a in alerts}
    cases = [{"labels": labels, "fingerprint": by_labels[json.dumps(labels, sort_keys=True)]}
             for labels in LABEL_SETS]
    out = Path(__file__).resolve().parents[1] / "values" / "alertmanager_fingerprints.json"
    doc = {
        "generated_by": "reference/scripts/alertmanager_fingerprints.py",
        "alertmanager": version_line,
        "cases": cases,
    }
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
