//! Pushing a batch command's metrics to a Prometheus Pushgateway.

use std::time::Duration;

use super::Metrics;
use crate::TelemetryError;

/// How long a push may take, connection included.
const PUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Replaces the metrics of group `job` on the Pushgateway at `gateway` (for example
/// `http://pushgateway:9091`) with `metrics`: an HTTP `PUT` of the Prometheus text format
/// to `{gateway}/metrics/job/{job}`, so that series a previous run pushed and this one did
/// not (a feature since dropped) disappear. Blocking, at most 5 s; call it from a plain
/// thread, not from inside an async runtime.
///
/// # Errors
/// [`TelemetryError::Push`] when the gateway cannot be reached, does not answer in time,
/// or answers with an error status (its answer is in the message).
pub fn push(gateway: &str, job: &str, metrics: &Metrics) -> Result<(), TelemetryError> {
    let url = format!(
        "{}/metrics/job/{}",
        gateway.trim_end_matches('/'),
        encode_segment(job)
    );
    let failed = |reason: String| TelemetryError::Push {
        url: url.clone(),
        reason,
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(PUSH_TIMEOUT)
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let response = client
        .put(&url)
        .header(
            reqwest::header::CONTENT_TYPE,
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        )
        .body(metrics.encode_prometheus_text())
        .send()
        .map_err(|e| failed(error_chain(&e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let answer = response.text().unwrap_or_default();
    Err(failed(format!("{status}: {}", answer.trim())))
}

/// Percent-encodes a URL path segment (the job name).
fn encode_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An error and its causes, `: `-separated (reqwest's top message alone says little).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// Accepts one request, answers `status` with `answer`, returns the request's head
    /// and body.
    fn one_request(listener: TcpListener, status: &str, answer: &str) -> (String, String) {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("line");
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().expect("length");
            }
            if line.trim().is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .expect("answer");
        (head, String::from_utf8(body).expect("utf-8"))
    }

    #[test]
    fn puts_the_text_format_under_the_job() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = std::thread::spawn(move || one_request(listener, "200 OK", ""));
        let metrics = Metrics::new();
        metrics.record_dataset_drift(true, 0.75);
        push(&format!("http://{addr}/"), "monitor drift", &metrics).expect("pushed");
        let (head, body) = server.join().expect("server");
        assert!(
            head.starts_with("PUT /metrics/job/monitor%20drift HTTP/1.1"),
            "{head}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: text/plain; version=0.0.4")
        );
        assert!(
            body.contains("monitor_dataset_drift_share 0.75\n"),
            "{body}"
        );
        assert!(
            !body.contains("# EOF"),
            "the 0.0.4 format has no EOF marker"
        );
    }

    #[test]
    fn an_error_status_and_an_unreachable_gateway_are_errors() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server =
            std::thread::spawn(move || one_request(listener, "400 Bad Request", "bad metric"));
        let err = push(&format!("http://{addr}"), "job", &Metrics::new())
            .unwrap_err()
            .to_string();
        server.join().expect("server");
        assert_eq!(
            err,
            format!(
                "pushing metrics to http://{addr}/metrics/job/job: 400 Bad Request: bad metric"
            )
        );
        // nothing listens on a port just released
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let err = push(&format!("http://127.0.0.1:{port}"), "job", &Metrics::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
                "pushing metrics to http://127.0.0.1:{port}/metrics/job/job: "
            )),
            "{err}"
        );
    }
}
