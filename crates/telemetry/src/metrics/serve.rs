//! The `/metrics` endpoint: a small axum server on its own thread and runtime, so that a
//! long-running command that is not async can expose its metrics.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::Metrics;
use crate::TelemetryError;

/// The OpenMetrics content type, served when the scraper asks for it (Prometheus does).
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A running `/metrics` endpoint; stops when dropped.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Where it listens (the real port when `serve` was given port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `metrics` at `http://addr/metrics` until the returned handle is dropped: the
/// OpenMetrics text format when the request accepts it, the Prometheus text format 0.0.4
/// otherwise. Port 0 picks a free port; [`MetricsServer::addr`] tells which.
///
/// # Errors
/// [`TelemetryError::Serve`] when the address cannot be bound or the server's runtime
/// cannot start.
pub fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> Result<MetricsServer, TelemetryError> {
    let failed = |source| TelemetryError::Serve { addr, source };
    let listener = std::net::TcpListener::bind(addr).map_err(failed)?;
    listener.set_nonblocking(true).map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(failed)?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(failed)?
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(metrics);
    let thread = std::thread::Builder::new()
        .name("metrics-server".into())
        .spawn(move || {
            runtime.block_on(async move {
                let server = axum::serve(listener, app).with_graceful_shutdown(async move {
                    let _ = stopped.await;
                });
                if let Err(error) = server.await {
                    tracing::warn!(%error, "the metrics endpoint stopped");
                }
            });
        })
        .map_err(failed)?;
    Ok(MetricsServer {
        addr: bound,
        stop: Some(stop),
        thread: Some(thread),
    })
}

async fn scrape(State(metrics): State<Arc<Metrics>>, headers: HeaderMap) -> impl IntoResponse {
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let (content_type, body) = if openmetrics {
        (OPENMETRICS, metrics.encode_openmetrics())
    } else {
        (
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            metrics.encode_prometheus_text(),
        )
    };
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn get(addr: SocketAddr, accept: &str) -> String {
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
        )
        .expect("request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response");
        response
    }

    #[test]
    fn serves_both_formats_on_a_free_port_and_stops_when_dropped() {
        let metrics = Arc::new(Metrics::new());
        metrics.record_rollout_weight("canary", 0.25);
        let server =
            serve("127.0.0.1:0".parse().expect("addr"), Arc::clone(&metrics)).expect("serving");
        let addr = server.addr();
        assert_ne!(addr.port(), 0);
        let open = get(addr, "application/openmetrics-text;version=1.0.0");
        assert!(open.starts_with("HTTP/1.1 200"), "{open}");
        assert!(open.contains("application/openmetrics-text"), "{open}");
        assert!(open.contains("monitor_rollout_weight_ratio{variant=\"canary\"} 0.25"));
        assert!(open.trim_end().ends_with("# EOF"));
        // later updates show in the next scrape
        metrics.record_rollout_weight("canary", 0.5);
        let text = get(addr, "text/plain");
        assert!(text.contains("text/plain; version=0.0.4"), "{text}");
        assert!(text.contains("monitor_rollout_weight_ratio{variant=\"canary\"} 0.5"));
        drop(server);
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "still listening"
        );
    }

    #[test]
    fn a_taken_address_is_an_error_naming_it() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = taken.local_addr().expect("addr");
        let err = serve(addr, Arc::new(Metrics::new()))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("serving metrics on {addr}: ")),
            "{err}"
        );
    }
}
