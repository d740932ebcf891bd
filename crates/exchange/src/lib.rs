//! The outside world. For now: delivering the outbox's notifications — e-mail over SMTP, and
//! the default SMS gateway (a table administrators can read), which also takes e-mail when no
//! SMTP server is configured. Also: digital signatures (`sign`), the key custody that issues,
//! keeps and imports signing keys (`signing`), and the carriage of edXML packages over signed
//! HTTP requests or exchange folders (`edxml_transport`). The event bus and the connectors
//! will live here too.
//!
//! Architecture invariant: every outside effect here sits behind a trait of the app layer
//! (`cqdt_app::outbox::Deliverer`) and is idempotent per outbox key.

pub mod documents;
pub mod edxml_map;
pub mod edxml_node;
pub mod edxml_transport;
mod fsutil;
pub mod pdf_text;
pub mod scan;
pub mod sign;
pub mod signing;

use async_trait::async_trait;
use cqdt_app::Store;
use cqdt_app::outbox::{Channel, Deliverer, Notification, TOPIC_NOTIFY};
use cqdt_app::store::{OutboxMessage, OutgoingMessage};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// One template: subject and bodies per channel.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub subject: String,
    pub email: String,
    pub sms: String,
}

pub const VI_TEMPLATES: &str = include_str!("../templates/vi.toml");
pub const EN_TEMPLATES: &str = include_str!("../templates/en.toml");

pub fn parse_templates(src: &str) -> Result<HashMap<String, Template>, String> {
    toml::from_str(src).map_err(|e| e.to_string())
}

fn templates(locale: &str) -> &'static HashMap<String, Template> {
    static VI: OnceLock<HashMap<String, Template>> = OnceLock::new();
    static EN: OnceLock<HashMap<String, Template>> = OnceLock::new();
    if locale == "en" {
        EN.get_or_init(|| parse_templates(EN_TEMPLATES).unwrap_or_default())
    } else {
        VI.get_or_init(|| parse_templates(VI_TEMPLATES).unwrap_or_default())
    }
}

/// Fill `{name}` placeholders.
pub fn fill(text: &str, vars: &std::collections::BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// The rendered message: (subject, body).
pub fn render(n: &Notification) -> Result<(String, String), String> {
    let t = templates(&n.locale)
        .get(&n.template)
        .ok_or_else(|| format!("no template {}", n.template))?;
    let body = match n.channel {
        Channel::Email => &t.email,
        Channel::Sms => &t.sms,
    };
    Ok((fill(&t.subject, &n.vars), fill(body, &n.vars)))
}

/// Where e-mail goes.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub from: String,
}

impl SmtpSettings {
    /// `smtp://host:port` (plain SMTP on a trusted network or to a local relay).
    pub fn from_url(url: &str, from: &str) -> Result<SmtpSettings, String> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or("the SMTP URL must start with smtp://")?;
        let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse::<u16>().map_err(|_| "bad SMTP port")?,
            ),
            None => (rest.trim_end_matches('/').to_string(), 25),
        };
        if host.is_empty() {
            return Err("the SMTP URL has no host".into());
        }
        Ok(SmtpSettings {
            host,
            port,
            from: from.to_string(),
        })
    }
}

/// Delivers notifications from the outbox.
pub struct NotificationDeliverer {
    store: Arc<dyn Store>,
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    clock: Arc<dyn cqdt_app::Clock>,
}

impl NotificationDeliverer {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn cqdt_app::Clock>,
        smtp: Option<SmtpSettings>,
    ) -> Result<Self, String> {
        let smtp = match smtp {
            None => None,
            Some(s) => {
                let from: Mailbox = s
                    .from
                    .parse()
                    .map_err(|e| format!("notifications.from: {e}"))?;
                let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host)
                    .port(s.port)
                    .build();
                Some((transport, from))
            }
        };
        Ok(NotificationDeliverer { store, smtp, clock })
    }

    async fn to_table(
        &self,
        key: &str,
        channel: &str,
        to: &str,
        subject: Option<String>,
        body: String,
    ) -> Result<(), String> {
        let m = OutgoingMessage {
            idempotency_key: key.to_string(),
            channel: channel.to_string(),
            recipient: to.to_string(),
            subject,
            body,
            created_at_us: self.clock.now_us(),
        };
        match self.store.outgoing_insert(&m).await {
            Ok(true) => Ok(()),
            Ok(false) => {
                tracing::info!(key, "repeat delivery dropped by the gateway");
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

#[async_trait]
impl Deliverer for NotificationDeliverer {
    async fn deliver(&self, msg: &OutboxMessage) -> Result<(), String> {
        if msg.topic != TOPIC_NOTIFY {
            return Err(format!("no deliverer for topic {}", msg.topic));
        }
        let n: Notification =
            serde_json::from_str(&msg.payload).map_err(|e| format!("bad payload: {e}"))?;
        let (subject, body) = render(&n)?;
        match (n.channel, &self.smtp) {
            (Channel::Email, Some((transport, from))) => {
                let to: Mailbox =
                    n.to.parse()
                        .map_err(|e| format!("bad recipient {}: {e}", n.to))?;
                let email = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(subject)
                    // Receivers can drop repeats of an at-least-once delivery by this id.
                    .message_id(Some(format!(
                        "<{}@cqdt>",
                        msg.idempotency_key.replace([' ', '<', '>', '@'], "-")
                    )))
                    .header(ContentType::TEXT_PLAIN)
                    .body(body)
                    .map_err(|e| e.to_string())?;
                transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("SMTP: {e}"))
            }
            (Channel::Email, None) => {
                self.to_table(&msg.idempotency_key, "email", &n.to, Some(subject), body)
                    .await
            }
            (Channel::Sms, _) => {
                self.to_table(&msg.idempotency_key, "sms", &n.to, None, body)
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_match_between_languages() {
        let vi = parse_templates(VI_TEMPLATES).unwrap();
        let en = parse_templates(EN_TEMPLATES).unwrap();
        let mut a: Vec<_> = vi.keys().collect();
        let mut b: Vec<_> = en.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        let n = Notification {
            channel: Channel::Email,
            to: "a@b.vn".into(),
            template: "account_registered".into(),
            locale: "vi".into(),
            vars: [("full_name".to_string(), "Nguyễn Thị Ánh".to_string())]
                .into_iter()
                .collect(),
        };
        let (subject, body) = render(&n).unwrap();
        assert!(subject.starts_with("Đăng ký tài khoản thành công"));
        assert!(body.starts_with("Kính gửi Nguyễn Thị Ánh,"));
        assert!(!body.contains('{'));
    }

    #[test]
    fn smtp_urls() {
        let s = SmtpSettings::from_url("smtp://127.0.0.1:2525", "CQDT <noreply@tayninh.gov.vn>")
            .unwrap();
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 2525));
        assert_eq!(
            SmtpSettings::from_url("smtp://mail.tayninh.gov.vn", "x@y.vn")
                .unwrap()
                .port,
            25
        );
        assert!(SmtpSettings::from_url("http://x", "x@y.vn").is_err());
    }
}
