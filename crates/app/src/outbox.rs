//! Side effects through the outbox: a use case writes what must happen (a notification, later
//! bus events) in the same transaction as its change; the dispatcher delivers each message at
//! least once, with retries and backoff, and receivers drop repeats by the idempotency key.
//! A crash between commit and delivery loses nothing: the lease runs out and the message is
//! claimed again.

use crate::store::{NewOutbox, OutboxMessage};
use crate::{App, AppResult};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Topic of person-facing notifications.
pub const TOPIC_NOTIFY: &str = "notify";

/// How long a claimed message is leased to one dispatcher before another may retry it.
pub const LEASE_SECS: i64 = 60;
/// Attempts before a message is given up (about a day of retries with the backoff below).
pub const MAX_ATTEMPTS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

/// A notification to a person: which template, in which language, with which values. The text
/// is rendered by the delivering side from its message templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    pub channel: Channel,
    pub to: String,
    pub template: String,
    pub locale: String,
    pub vars: BTreeMap<String, String>,
}

/// A delivery error that retrying cannot fix (the peer refused the message and will refuse it
/// again): the dispatcher marks the row failed at once, keeping the reason, instead of retrying.
/// Build it with [`permanent`].
pub const PERMANENT_PREFIX: &str = "permanent: ";

/// `reason` marked as a permanent failure (see [`PERMANENT_PREFIX`]).
pub fn permanent(reason: impl std::fmt::Display) -> String {
    format!("{PERMANENT_PREFIX}{reason}")
}

/// Delivers one outbox message (e-mail, SMS gateway, bus…). Must be idempotent per key.
/// An `Err` is retried with backoff, unless it starts with [`PERMANENT_PREFIX`].
#[async_trait]
pub trait Deliverer: Send + Sync {
    async fn deliver(&self, msg: &OutboxMessage) -> Result<(), String>;
}

/// What one dispatch pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub delivered: usize,
    pub retried: usize,
    pub dead: usize,
}

/// Seconds to wait before attempt `attempts + 1`: 5 s, 10 s, 20 s … capped at one hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    (5i64 << exp.min(10)).min(3600)
}

impl App {
    /// Build an outbox entry for a notification. The key names the effect, e.g.
    /// `user:<id>:registered`, so the same effect is never sent twice.
    pub fn notification(&self, key: String, n: &Notification) -> AppResult<NewOutbox> {
        Ok(NewOutbox {
            id: self.ids.new_id().to_string(),
            idempotency_key: key,
            topic: TOPIC_NOTIFY.to_string(),
            payload: serde_json::to_string(n)
                .map_err(|e| crate::AppError::internal(e.to_string()))?,
            created_at_us: self.now_us(),
        })
    }

    /// Claim due messages and deliver them once; failures are rescheduled with backoff, and
    /// given up after [`MAX_ATTEMPTS`].
    pub async fn dispatch_once(
        &self,
        deliverer: &dyn Deliverer,
        limit: i64,
    ) -> AppResult<DispatchReport> {
        let now = self.now_us();
        let batch = self
            .store
            .outbox_claim(now, LEASE_SECS * 1_000_000, limit)
            .await?;
        let mut report = DispatchReport::default();
        for msg in batch {
            match deliverer.deliver(&msg).await {
                Ok(()) => {
                    self.store.outbox_delivered(&msg.id, self.now_us()).await?;
                    report.delivered += 1;
                }
                Err(e) if msg.attempts >= MAX_ATTEMPTS || e.starts_with(PERMANENT_PREFIX) => {
                    tracing::error!(key = %msg.idempotency_key, error = %e, "outbox message given up");
                    self.store
                        .outbox_failed(&msg.id, &e, None, self.now_us())
                        .await?;
                    report.dead += 1;
                }
                Err(e) => {
                    tracing::warn!(key = %msg.idempotency_key, attempt = msg.attempts, error = %e, "delivery failed; will retry");
                    let at = self.now_us() + backoff_secs(msg.attempts) * 1_000_000;
                    self.store
                        .outbox_failed(&msg.id, &e, Some(at), self.now_us())
                        .await?;
                    report.retried += 1;
                }
            }
        }
        Ok(report)
    }

    /// Deliver everything that is due now (used at start-up and by tests).
    pub async fn dispatch_all(&self, deliverer: &dyn Deliverer) -> AppResult<DispatchReport> {
        let mut total = DispatchReport::default();
        loop {
            let r = self.dispatch_once(deliverer, 100).await?;
            total.delivered += r.delivered;
            total.retried += r.retried;
            total.dead += r.dead;
            if r.delivered + r.retried + r.dead == 0 {
                return Ok(total);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_secs(1), 5);
        assert_eq!(backoff_secs(2), 10);
        assert_eq!(backoff_secs(5), 80);
        assert_eq!(backoff_secs(12), 3600);
        assert_eq!(backoff_secs(30), 3600);
    }
}
