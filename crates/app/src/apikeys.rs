//! API keys for other systems: scoped, shown once, stored hashed, revocable.

use crate::accounts::sha256_hex;
use crate::error::{AppError, AppResult};
use crate::store::ApiKeyRow;
use crate::{App, Ctx};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cqdt_domain::ErrorCode;
use cqdt_domain::ids::{AgencyId, ApiKeyId};
use cqdt_domain::policy::{Action, Actor, Scope, Target};
use cqdt_domain::text::nfc;

/// A new key: the row and the full token, which is shown once and never stored.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub row: ApiKeyRow,
    pub token: String,
}

impl App {
    pub async fn api_key_create(
        &self,
        ctx: &Ctx,
        name: &str,
        scopes: &[String],
        agency: Option<AgencyId>,
    ) -> AppResult<NewApiKey> {
        self.authorize(ctx, Action::ManageApiKeys, Target::Platform)?;
        let name = nfc(name);
        if name.is_empty() {
            return Err(AppError::field(ErrorCode::Required, "name"));
        }
        if scopes.is_empty() {
            return Err(AppError::field(ErrorCode::Required, "scopes"));
        }
        let mut parsed = Vec::new();
        for s in scopes {
            let sc = Scope::parse(s)
                .ok_or_else(|| AppError::field(ErrorCode::ApiKeyScopeInvalid, "scopes"))?;
            parsed.push(sc.as_str().to_string());
        }
        if let Some(a) = agency {
            self.store
                .agency_get(a)
                .await?
                .ok_or_else(|| AppError::field(ErrorCode::AgencyNotFound, "agency_id"))?;
        }
        let prefix = hex::encode(self.ids.random_bytes(6));
        let secret = URL_SAFE_NO_PAD.encode(self.ids.random_bytes(32));
        let token = format!("cqdt_{prefix}_{secret}");
        let row = ApiKeyRow {
            id: ApiKeyId(self.ids.new_id()),
            name,
            prefix,
            secret_hash: sha256_hex(&token),
            scopes: parsed,
            agency_id: agency,
            created_by: ctx.actor_ref.clone(),
            created_at_us: self.now_us(),
            revoked_at_us: None,
        };
        let audit = ctx.audit::<(), _>(
            row.created_at_us,
            "apikey.create",
            "api_key",
            row.id,
            None,
            Some(&row),
        );
        self.store.api_key_insert(&row, &audit).await?;
        Ok(NewApiKey { row, token })
    }

    pub async fn api_keys(&self, ctx: &Ctx) -> AppResult<Vec<ApiKeyRow>> {
        self.authorize(ctx, Action::ManageApiKeys, Target::Platform)?;
        self.store.api_keys_all().await
    }

    pub async fn api_key_revoke(&self, ctx: &Ctx, id: ApiKeyId) -> AppResult<()> {
        self.authorize(ctx, Action::ManageApiKeys, Target::Platform)?;
        let now = self.now_us();
        let audit = ctx.audit::<(), ()>(now, "apikey.revoke", "api_key", id, None, None);
        if self.store.api_key_revoke(id, now, &audit).await? {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::ApiKeyNotFound))
        }
    }

    /// The actor behind a bearer token, if the key exists and is not revoked.
    pub async fn api_key_actor(&self, token: &str) -> AppResult<Option<Ctx>> {
        let Some(rest) = token.strip_prefix("cqdt_") else {
            return Ok(None);
        };
        let Some((prefix, _)) = rest.split_once('_') else {
            return Ok(None);
        };
        if prefix.len() != 12 {
            return Ok(None);
        }
        let Some(row) = self.store.api_key_by_prefix(prefix).await? else {
            return Ok(None);
        };
        if row.revoked_at_us.is_some() {
            return Ok(None);
        }
        let given = sha256_hex(token);
        // Compare digests in constant time.
        let same = given.len() == row.secret_hash.len()
            && given
                .bytes()
                .zip(row.secret_hash.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Ok(None);
        }
        let scopes = row.scopes.iter().filter_map(|s| Scope::parse(s)).collect();
        Ok(Some(Ctx {
            actor: Actor::System {
                scopes,
                agency: row.agency_id,
            },
            actor_ref: format!("key:{}", row.id),
            ip: None,
        }))
    }
}
