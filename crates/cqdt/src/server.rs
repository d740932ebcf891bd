//! Start-up: open the database, migrate, seed the demo when asked, serve HTTP with graceful
//! shutdown, and the metrics listener.

use crate::config::Config;
use cqdt_app::{App, AppError};
use cqdt_store::StoreOptions;
use cqdt_web::{AppState, WebConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::TcpListener;

/// The files folder: `files.dir`, else `files` beside the SQLite database, else `data/files`.
pub fn files_dir(config: &Config) -> std::path::PathBuf {
    configured_or_beside_database(config, &config.files.dir, "files")
}

/// The signing keys folder: `signing.keys_dir`, else `keys` beside the SQLite database, else
/// `data/keys`.
pub fn keys_dir(config: &Config) -> std::path::PathBuf {
    configured_or_beside_database(config, &config.signing.keys_dir, "keys")
}

/// `configured` if set, else the folder `name` beside the SQLite database, else `data/name`
/// (PostgreSQL or an in-memory database).
fn configured_or_beside_database(
    config: &Config,
    configured: &str,
    name: &str,
) -> std::path::PathBuf {
    if !configured.is_empty() {
        return configured.into();
    }
    let url = &config.database.url.0;
    match url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
    {
        Some(path) if path != ":memory:" => std::path::Path::new(path)
            .parent()
            .map(|p| p.join(name))
            .unwrap_or_else(|| name.into()),
        _ => std::path::Path::new("data").join(name),
    }
}

/// Open the store the configuration names (creating the SQLite folder) and migrate it.
pub async fn open_app(config: &Config) -> Result<App, AppError> {
    Ok(open_app_with_exchange(config).await?.0)
}

/// The edXML node's settings from `[exchange]`.
pub fn edxml_settings(config: &Config) -> cqdt_exchange::edxml_node::EdxmlSettings {
    let x = &config.exchange;
    let dir = |d: &str| (!d.trim().is_empty()).then(|| std::path::PathBuf::from(d));
    cqdt_exchange::edxml_node::EdxmlSettings {
        system_id: x.system_id.clone(),
        place: x.place.clone(),
        export_dir: dir(&x.export_dir),
        inbox_dir: dir(&x.inbox_dir),
        timeout: std::time::Duration::from_secs(x.timeout_secs.max(1)),
        peers: x
            .peers
            .iter()
            .map(|p| cqdt_exchange::edxml_node::Peer {
                identifiers: p.identifiers.clone(),
                name: p.name.clone(),
                url: p.url.clone(),
                system_id: p.system_id.clone(),
                secret: p.secret.0.as_bytes().to_vec(),
            })
            .collect(),
        ..Default::default()
    }
}

/// [`open_app`], and the edXML node the app's inbound endpoints use (the dispatcher and the
/// folder poller need it too).
pub async fn open_app_with_exchange(
    config: &Config,
) -> Result<(App, Arc<cqdt_exchange::edxml_node::EdxmlNode>), AppError> {
    let url = &config.database.url.0;
    let files_dir = files_dir(config);
    let keys_dir = keys_dir(config);
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                AppError::new(cqdt_domain::ErrorCode::StorageUnavailable).with_detail(e.to_string())
            })?;
        }
    }
    let store = cqdt_store::connect(&StoreOptions {
        url: url.clone(),
        max_connections: config.database.max_connections,
        sqlite_durability: config.database.sqlite_durability,
        group_commit: config.database.group_commit,
    })
    .await?;
    let mut app_config = config.security.app_config();
    app_config.file_limits = config.files.limits();
    app_config.edxml_peers = config
        .exchange
        .peers
        .iter()
        .flat_map(|p| p.identifiers.iter().cloned())
        .collect();
    let blobs = cqdt_store::FsBlobs::open(&files_dir)?;
    let scanner: Arc<dyn cqdt_app::Scanner> =
        match cqdt_exchange::scan::CommandScanner::new(&config.files.scan_command) {
            Some(s) => Arc::new(s),
            None => {
                tracing::info!(
                    "no virus scanner configured ([files] scan_command): uploads are not scanned"
                );
                Arc::new(cqdt_app::NoScan)
            }
        };
    let app = App::new(store, app_config)
        .with_files(Arc::new(blobs), scanner)
        .with_text_extractor(Arc::new(cqdt_exchange::pdf_text::PdfText::default()));
    let passphrase = if config.signing.passphrase.0.is_empty() {
        DEMO_KEYS_PASSPHRASE
    } else {
        config.signing.passphrase.0.as_str()
    };
    let signing =
        cqdt_exchange::signing::SigningService::new(keys_dir, passphrase, app.clock.clone())
            .map_err(|e| {
                AppError::new(cqdt_domain::ErrorCode::StorageUnavailable)
                    .with_detail(format!("signing: {e}"))
            })?;
    let signing = Arc::new(signing);
    let node = Arc::new(
        cqdt_exchange::edxml_node::EdxmlNode::new(signing.clone(), edxml_settings(config))
            .map_err(|e| {
                AppError::new(cqdt_domain::ErrorCode::EdxmlUnavailable)
                    .with_detail(format!("[exchange]: {e}"))
            })?,
    );
    let app = app
        .with_signer(Arc::new(cqdt_exchange::signing::DocumentSigning(signing)))
        .with_edxml_inbox(node.clone());
    Ok((app, node))
}

/// The key files' passphrase when `signing.passphrase` is not set: fine for the demo's test
/// certificates (no legal value), never for real ones.
const DEMO_KEYS_PASSPHRASE: &str = "cqdt-demo-keys";

pub fn web_config(config: &Config) -> WebConfig {
    WebConfig {
        secure_cookies: config.server.secure_cookies,
        trust_proxy: config.server.trust_proxy,
        body_limit: config.server.body_limit_bytes,
        upload_limit: config.server.upload_limit_bytes,
    }
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub ready: Arc<AtomicBool>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stop accepting, let in-flight requests finish, and wait.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.ready.store(false, Ordering::SeqCst);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.handle.await.unwrap_or(Ok(()))
    }
}

/// Bind and serve until `stop` (or the returned future's signal).
pub async fn start(app: App, web: WebConfig, listener: TcpListener) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let ready = Arc::new(AtomicBool::new(true));
    let state = AppState {
        app,
        web: Arc::new(web),
        ready: ready.clone(),
    };
    let router = cqdt_web::router(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
        })
        .await
    });
    Ok(Running {
        addr,
        ready,
        shutdown: Some(tx),
        handle,
    })
}

/// The outbox dispatcher: delivers due messages every `interval` until `stop` turns true.
/// Documents go as signed edXML through `edxml` (the server's way); without it, the app's
/// package is handed over directly (no signature on the package).
pub fn spawn_dispatcher(
    app: App,
    notifications: &crate::config::NotificationsConfig,
    edxml: Option<Arc<cqdt_exchange::edxml_node::EdxmlNode>>,
    stop: Arc<AtomicBool>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let smtp = if notifications.smtp_url.trim().is_empty() {
        None
    } else {
        Some(
            cqdt_exchange::SmtpSettings::from_url(
                notifications.smtp_url.trim(),
                &notifications.from,
            )
            .map_err(|e| format!("notifications.smtp_url: {e}"))?,
        )
    };
    let notify =
        cqdt_exchange::NotificationDeliverer::new(app.store.clone(), app.clock.clone(), smtp)?;
    let documents: Arc<dyn cqdt_app::outbox::Deliverer> = Arc::new(match edxml {
        Some(node) => cqdt_exchange::documents::DocumentDeliverer::with_edxml(app.clone(), node),
        None => cqdt_exchange::documents::DocumentDeliverer::new(app.clone()),
    });
    let deliverer = cqdt_exchange::documents::ByTopic::new(vec![
        (cqdt_app::outbox::TOPIC_NOTIFY, Arc::new(notify)),
        (cqdt_app::documents::TOPIC_SEND, documents.clone()),
        (cqdt_app::documents::TOPIC_STATUS, documents.clone()),
        (cqdt_app::documents::TOPIC_REPLACED, documents),
    ]);
    let interval = std::time::Duration::from_millis(notifications.dispatch_interval_ms.max(50));
    Ok(tokio::spawn(async move {
        while !stop.load(Ordering::SeqCst) {
            if let Err(e) = app.dispatch_all(&deliverer).await {
                tracing::warn!(error = %e, "outbox dispatch failed; will retry");
            }
            tokio::time::sleep(interval).await;
        }
    }))
}

/// The edXML inbox folder poller (when `[exchange] inbox_dir` is set): imports packages and
/// status messages every `interval` until `stop` turns true. One poller per folder.
pub fn spawn_edxml_poller(
    app: App,
    node: Arc<cqdt_exchange::edxml_node::EdxmlNode>,
    interval: std::time::Duration,
    stop: Arc<AtomicBool>,
) -> Option<tokio::task::JoinHandle<()>> {
    node.settings().inbox_dir.as_ref()?;
    Some(tokio::spawn(async move {
        while !stop.load(Ordering::SeqCst) {
            match node.poll_folder_once(&app, 50).await {
                Ok((0, 0)) => {}
                Ok((ok, failed)) => tracing::info!(ok, failed, "edXML inbox folder read"),
                Err(e) => tracing::warn!(error = %e, "edXML inbox folder unreadable; will retry"),
            }
            tokio::time::sleep(interval).await;
        }
    }))
}
