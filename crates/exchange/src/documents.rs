//! Delivery of issued documents between agencies on the platform, from the outbox.
//!
//! - `document.send` (one row per recipient agency, written when the clerk issues): the
//!   sender's package ([`App::document_package`]) becomes an `arrived` incoming document in the
//!   receiver's inbox ([`App::document_receive_package`], idempotent by the edXML DocumentId, so
//!   an at-least-once repeat writes nothing).
//! - `document.status` (written when a receiver registers, refuses, assigns, handles or
//!   completes): the status 01–06 is recorded on the sender's outgoing document
//!   ([`App::document_record_status`], once per receiver and code).
//!
//! Both act as the system (`Ctx::cli()`): the outbox row was written by an authorised action.
//! Recipients outside the platform (no agency id) go through the edXML transport instead; until
//! one is configured such a row is reported as failed and retried, never dropped.

use crate::edxml_node::EdxmlNode;
use async_trait::async_trait;
use cqdt_app::documents::{StatusReport, TOPIC_REPLACED, TOPIC_SEND, TOPIC_STATUS};
use cqdt_app::outbox::Deliverer;
use cqdt_app::store::OutboxMessage;
use cqdt_app::{App, Ctx};
use cqdt_domain::ids::{AgencyId, DocumentId};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct SendPayload {
    document_id: DocumentId,
    recipient_agency_id: Option<AgencyId>,
    #[serde(default)]
    recipient_identifier: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StatusPayload {
    edxml_document_id: String,
    source_document_id: Option<DocumentId>,
    from: String,
    #[serde(default)]
    to: Option<String>,
    status: u8,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReplacedPayload {
    old: DocumentId,
    new: DocumentId,
}

/// Delivers `document.send` and `document.status` rows: as signed edXML through an
/// [`EdxmlNode`] (the server's way), or, without one, by handing the app's package directly
/// (tests of the use cases).
pub struct DocumentDeliverer {
    app: App,
    edxml: Option<Arc<EdxmlNode>>,
}

impl DocumentDeliverer {
    /// Direct delivery within the platform (no edXML, no signature on the package).
    pub fn new(app: App) -> Self {
        DocumentDeliverer { app, edxml: None }
    }

    /// Delivery as signed edXML: build → sign → bytes → verify → parse, or to a peer.
    pub fn with_edxml(app: App, node: Arc<EdxmlNode>) -> Self {
        DocumentDeliverer {
            app,
            edxml: Some(node),
        }
    }
}

#[async_trait]
impl Deliverer for DocumentDeliverer {
    async fn deliver(&self, msg: &OutboxMessage) -> Result<(), String> {
        if msg.topic == TOPIC_REPLACED {
            let p: ReplacedPayload =
                serde_json::from_str(&msg.payload).map_err(|e| format!("bad payload: {e}"))?;
            return self
                .app
                .document_mark_replaced(&Ctx::cli(), p.old, p.new)
                .await
                .map(|_| ())
                .map_err(|e| format!("replaced: {e}"));
        }
        if let Some(node) = &self.edxml {
            return match msg.topic.as_str() {
                TOPIC_SEND => node.deliver_send(&self.app, &msg.payload).await,
                TOPIC_STATUS => node.deliver_status(&self.app, &msg.payload).await,
                other => Err(format!("no deliverer for topic {other}")),
            };
        }
        let ctx = Ctx::cli();
        match msg.topic.as_str() {
            TOPIC_SEND => {
                let p: SendPayload =
                    serde_json::from_str(&msg.payload).map_err(|e| format!("bad payload: {e}"))?;
                let Some(recipient) = p.recipient_agency_id else {
                    return Err(format!(
                        "recipient {} is outside the platform and no edXML transport is configured",
                        p.recipient_identifier.unwrap_or_default()
                    ));
                };
                let package = self
                    .app
                    .document_package(&ctx, p.document_id, recipient)
                    .await
                    .map_err(|e| format!("package: {e}"))?;
                self.app
                    .document_receive_package(&ctx, package)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("receive: {e}"))
            }
            TOPIC_STATUS => {
                let p: StatusPayload =
                    serde_json::from_str(&msg.payload).map_err(|e| format!("bad payload: {e}"))?;
                self.app
                    .document_record_status(
                        &ctx,
                        StatusReport {
                            edxml_document_id: p.edxml_document_id,
                            source_document_id: p.source_document_id,
                            from: p.from,
                            to: p.to,
                            code: p.status,
                            description: p.description,
                        },
                    )
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("status: {e}"))
            }
            other => Err(format!("no deliverer for topic {other}")),
        }
    }
}

/// Routes each outbox row to the deliverer of its topic.
pub struct ByTopic {
    routes: Vec<(&'static str, Arc<dyn Deliverer>)>,
}

impl ByTopic {
    pub fn new(routes: Vec<(&'static str, Arc<dyn Deliverer>)>) -> Self {
        ByTopic { routes }
    }
}

#[async_trait]
impl Deliverer for ByTopic {
    async fn deliver(&self, msg: &OutboxMessage) -> Result<(), String> {
        match self.routes.iter().find(|(t, _)| *t == msg.topic) {
            Some((_, d)) => d.deliver(msg).await,
            None => Err(format!("no deliverer for topic {}", msg.topic)),
        }
    }
}
