"""Reference values for telemetry's keyed user-id hash (crates/telemetry/src/prediction.rs).

Python's standard-library hmac and hashlib compute HMAC-SHA256(key, user_id) for a few keys
and user ids (ASCII, an e-mail address, non-ASCII text, the empty id); the Rust side keeps
the first 32 hex digits of each digest. No third-party package is needed.
Run:  /work/.venv-ref/bin/python reference/scripts/python_hmac.py
Writes reference/values/python_hmac.json.
"""

import hashlib
import hmac
import json
import sys
from pathlib import Path

KEYS = ["0123456789abcdef", "a much longer deployment secret, 48 bytes long!!"]
USER_IDS = ["alice", "alice@example.com", "Zoë Ω 42", "", "user-0000000001"]


def main():
    cases = [
        {
            "key": key,
            "user_id": user_id,
            "hmac_sha256_hex": hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest(),
        }
        for key in KEYS
        for user_id in USER_IDS
    ]
    out = Path(__file__).resolve().parents[1] / "values" / "python_hmac.json"
    doc = {
        "generated_by": "reference/scripts/python_hmac.py",
        "python": sys.version.split()[0],
        "cases": cases,
    }
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
