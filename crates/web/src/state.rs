//! Shared state of the HTTP layer.

use cqdt_app::App;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Set the `Secure` flag on cookies (behind https).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy only).
    pub trust_proxy: bool,
    /// Largest request body for ordinary requests, in bytes.
    pub body_limit: usize,
    /// Largest upload (imports), in bytes.
    pub upload_limit: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            trust_proxy: false,
            body_limit: 1 << 20,
            upload_limit: 20 << 20,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub web: Arc<WebConfig>,
    /// False while shutting down: `/readyz` then answers 503 so balancers stop sending.
    pub ready: Arc<AtomicBool>,
}
