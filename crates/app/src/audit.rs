//! Reading and verifying the audit log.

use crate::store::AuditDraft;
use crate::{App, AppResult, Ctx};
use cqdt_domain::audit::{AuditEntry, ChainBreak, Verifier, digest_json};
use cqdt_domain::policy::{Action, Target};
use serde::Serialize;

impl Ctx {
    /// Build the audit draft for a write by this actor.
    pub fn audit<B: Serialize, A: Serialize>(
        &self,
        at_us: i64,
        action: &str,
        target_type: &str,
        target_id: impl ToString,
        before: Option<&B>,
        after: Option<&A>,
    ) -> AuditDraft {
        AuditDraft {
            at_us,
            actor: self.actor_ref.clone(),
            ip: self.ip.clone(),
            action: action.to_string(),
            target_type: target_type.to_string(),
            target_id: target_id.to_string(),
            before_digest: before.map(digest_json),
            after_digest: after.map(digest_json),
        }
    }
}

/// The outcome of `cqdt audit verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    Intact { entries: i64 },
    Broken(ChainBreak),
}

impl App {
    pub async fn audit_list(
        &self,
        ctx: &Ctx,
        after: i64,
        limit: i64,
    ) -> AppResult<Vec<AuditEntry>> {
        self.authorize(ctx, Action::ViewAudit, Target::Platform)?;
        self.store.audit_page(after, limit.clamp(1, 500)).await
    }

    /// Walk the whole chain in pages and check every link and the head.
    pub async fn audit_verify(&self) -> AppResult<VerifyOutcome> {
        let mut v = Verifier::default();
        let mut after = 0;
        loop {
            let page = self.store.audit_page(after, 1000).await?;
            if page.is_empty() {
                break;
            }
            for e in &page {
                if let Err(b) = v.push(e) {
                    return Ok(VerifyOutcome::Broken(b));
                }
                after = e.seq;
            }
        }
        let (head_seq, head_hash) = self.store.audit_head().await?;
        match v.finish(head_seq, &head_hash) {
            Ok(n) => Ok(VerifyOutcome::Intact { entries: n }),
            Err(b) => Ok(VerifyOutcome::Broken(b)),
        }
    }
}
