//! The webhook dispatcher: an HTTP POST of the job, signed with HMAC-SHA256.
//!
//! Headers: `Content-Type: application/json`, `Idempotency-Key: <key>`,
//! `X-Monitor-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>`,
//! `X-Monitor-Attempt: <n>`. A 2xx answer is success; 408, 429, 5xx and transport errors
//! are retried through the queue; other statuses are permanent.

use std::time::Duration;

use super::{Dispatcher, JobMessage};
use crate::error::DispatchError;
use crate::queue::Job;
pub use webhook_signature::{SIGNATURE_HEADER, sign, verify};

/// Posts each job to a URL (see the module docs).
pub struct WebhookDispatcher {
    url: String,
    secret: Vec<u8>,
    client: reqwest::blocking::Client,
}

impl std::fmt::Debug for WebhookDispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("WebhookDispatcher")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl WebhookDispatcher {
    /// A dispatcher posting to `url`, signing with `secret`, giving up on a request
    /// after `timeout` (connect and response together).
    ///
    /// # Errors
    /// [`DispatchError::Http`] when the HTTP client cannot be built (no TLS backend).
    pub fn new(
        url: impl Into<String>,
        secret: impl Into<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Self, DispatchError> {
        let url = url.into();
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("monitor-retrain/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| DispatchError::Http {
                url: url.clone(),
                source,
            })?;
        Ok(WebhookDispatcher {
            url,
            secret: secret.into(),
            client,
        })
    }
}

impl Dispatcher for WebhookDispatcher {
    fn dispatch(&self, job: &Job) -> Result<(), DispatchError> {
        let body = JobMessage::of(job).to_json()?;
        let signature = sign(&self.secret, &body);
        let response = self
            .client
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", job.idempotency_key.as_str())
            .header(SIGNATURE_HEADER, signature)
            .header("X-Monitor-Attempt", job.attempts.to_string())
            .body(body)
            .send()
            .map_err(|source| DispatchError::Http {
                url: self.url.clone(),
                source,
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().unwrap_or_default();
        let body: String = text.chars().take(200).collect();
        Err(DispatchError::Status {
            url: self.url.clone(),
            status: status.as_u16(),
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    use super::*;

    /// A request's lowercased headers and its body.
    type Captured = (Vec<(String, String)>, Vec<u8>);

    /// Serves one request with `status`, returning its headers and body.
    fn serve_once(status: u16) -> (String, std::thread::JoinHandle<Captured>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let trimmed = line.trim_end();
                if trimmed.is_empty() {
                    break;
                }
                let (name, value) = trimmed.split_once(':').unwrap();
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
            let length: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .unwrap()
                .1
                .parse()
                .unwrap();
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope"
            )
            .unwrap();
            (headers, body)
        });
        (url, handle)
    }

    fn job() -> Job {
        Job {
            id: 7,
            idempotency_key: "abc123".into(),
            model: "churn".into(),
            version: "v3".into(),
            reason: "accuracy_low".into(),
            window: "w".into(),
            payload: serde_json::json!({"decision": "retrain"}),
            state: crate::queue::JobState::Dispatched,
            attempts: 2,
            max_attempts: 5,
            created_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            updated_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            available_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            lease_expires_at: None,
            worker: None,
            last_error: None,
        }
    }

    #[test]
    fn posts_signed_json_with_the_idempotency_key() {
        let (url, server) = serve_once(200);
        let dispatcher = WebhookDispatcher::new(url, "s3cret", Duration::from_secs(10)).unwrap();
        dispatcher.dispatch(&job()).unwrap();
        let (headers, body) = server.join().unwrap();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(header("idempotency-key"), "abc123");
        assert_eq!(header("content-type"), "application/json");
        assert_eq!(header("x-monitor-attempt"), "2");
        assert!(verify(b"s3cret", &body, &header("x-monitor-signature")));
        let message: JobMessage = serde_json::from_slice(&body).unwrap();
        assert_eq!(message, JobMessage::of(&job()));
    }

    #[test]
    fn non_2xx_is_an_error_and_4xx_is_permanent() {
        let (url, server) = serve_once(503);
        let dispatcher = WebhookDispatcher::new(url, "k", Duration::from_secs(10)).unwrap();
        let error = dispatcher.dispatch(&job()).unwrap_err();
        server.join().unwrap();
        assert!(
            matches!(error, DispatchError::Status { status: 503, .. }),
            "{error}"
        );
        assert!(!error.is_permanent());
        let (url, server) = serve_once(400);
        let dispatcher = WebhookDispatcher::new(url, "k", Duration::from_secs(10)).unwrap();
        let error = dispatcher.dispatch(&job()).unwrap_err();
        server.join().unwrap();
        assert!(error.is_permanent());
        assert!(error.to_string().contains("nope"), "{error}");
    }

    #[test]
    fn connection_refused_is_retryable() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let dispatcher = WebhookDispatcher::new(url, "k", Duration::from_secs(5)).unwrap();
        let error = dispatcher.dispatch(&job()).unwrap_err();
        assert!(matches!(error, DispatchError::Http { .. }));
        assert!(!error.is_permanent());
    }
}
