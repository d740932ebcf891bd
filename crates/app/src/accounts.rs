//! Accounts: self-registration of citizens and businesses, staff accounts made by
//! administrators, passwords (argon2id), sessions and login throttling, role grants.

use crate::error::{AppError, AppResult};
use crate::store::{GrantRow, SessionRow, User, UserFilter, UserKind};
use crate::{App, Ctx};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{normalize_phone, valid_email};
use cqdt_domain::ids::{AgencyId, GrantId, UserId};
use cqdt_domain::policy::{Action, Actor, Grant, Role, Target};
use cqdt_domain::text::{nfc, nfc_opt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a citizen or business types to register.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    pub full_name: String,
    /// E-mail or phone number.
    pub login: String,
    pub password: String,
    #[serde(default)]
    pub password_confirm: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    /// `citizen` (default) or `business`.
    #[serde(default)]
    pub kind: Option<String>,
}

/// What an administrator fills in for a staff account.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaffInput {
    pub full_name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    pub agency_identifier: String,
    pub password: String,
    /// Roles granted on the staff member's own agency.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A signed-in session as the web layer sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub csrf_token: String,
    pub user: User,
    pub grants: Vec<GrantRow>,
    pub actor: Actor,
}

/// What a successful login hands back: the cookie token (shown once) and the session.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub token: String,
    pub session: Session,
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A login is an e-mail (contains `@`) or a phone number.
pub enum Login {
    Email(String),
    Phone(String),
}

pub fn parse_login(raw: &str) -> Result<Login, AppError> {
    let s = nfc(raw);
    if s.is_empty() {
        return Err(AppError::field(ErrorCode::Required, "login"));
    }
    if s.contains('@') {
        if valid_email(&s) {
            Ok(Login::Email(s.to_lowercase()))
        } else {
            Err(AppError::field(ErrorCode::InvalidEmail, "login"))
        }
    } else {
        normalize_phone(&s)
            .map(Login::Phone)
            .ok_or_else(|| AppError::field(ErrorCode::InvalidPhone, "login"))
    }
}

/// Vietnamese ID numbers: 12-digit citizen ID (CCCD) or 9-digit old ID card (CMND).
pub fn valid_id_number(s: &str) -> bool {
    (s.len() == 12 || s.len() == 9) && s.bytes().all(|b| b.is_ascii_digit())
}

impl App {
    fn argon2(&self) -> AppResult<Argon2<'static>> {
        let params = Params::new(
            self.config.argon2_memory_kib,
            self.config.argon2_iterations,
            1,
            None,
        )
        .map_err(|e| AppError::internal(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hash a password with argon2id. The work (tens of milliseconds and 19 MiB by default)
    /// runs on the blocking pool, so it never stalls other requests on the async workers.
    pub async fn hash_password(&self, password: &str) -> AppResult<String> {
        let salt_bytes = self.ids.random_bytes(16);
        let salt =
            SaltString::encode_b64(&salt_bytes).map_err(|e| AppError::internal(e.to_string()))?;
        let argon = self.argon2()?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| AppError::internal(e.to_string()))
        })
        .await
        .map_err(|e| AppError::internal(e.to_string()))?
    }

    async fn verify_password(&self, password: &str, hash: &str) -> bool {
        let Ok(argon) = self.argon2() else {
            return false;
        };
        let (password, hash) = (password.to_string(), hash.to_string());
        tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
            Ok(parsed) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        })
        .await
        .unwrap_or(false)
    }

    fn check_password(&self, password: &str, confirm: Option<&str>) -> AppResult<()> {
        if password.chars().count() < self.config.password_min_len {
            return Err(AppError::field(ErrorCode::PasswordTooShort, "password"));
        }
        if password.len() > 1024 {
            return Err(AppError::field(ErrorCode::TooLong, "password"));
        }
        if let Some(c) = confirm
            && c != password
        {
            return Err(AppError::field(
                ErrorCode::PasswordMismatch,
                "password_confirm",
            ));
        }
        Ok(())
    }

    async fn find_by_login(&self, login: &Login) -> AppResult<Option<User>> {
        match login {
            Login::Email(e) => self.store.user_by_email(e).await,
            Login::Phone(p) => self.store.user_by_phone(p).await,
        }
    }

    /// Self-registration of a citizen or business.
    pub async fn register(&self, ctx: &Ctx, input: &RegisterInput) -> AppResult<User> {
        let full_name = nfc(&input.full_name);
        if full_name.is_empty() {
            return Err(AppError::field(ErrorCode::Required, "full_name"));
        }
        if full_name.chars().count() > 200 {
            return Err(AppError::field(ErrorCode::TooLong, "full_name"));
        }
        let login = parse_login(&input.login)?;
        self.check_password(&input.password, input.password_confirm.as_deref())?;
        let id_number = nfc_opt(input.id_number.as_deref());
        if let Some(n) = &id_number
            && !valid_id_number(n)
        {
            return Err(AppError::field(ErrorCode::InvalidIdNumber, "id_number"));
        }
        let kind = match input.kind.as_deref().map(str::trim) {
            None | Some("") | Some("citizen") => UserKind::Citizen,
            Some("business") => UserKind::Business,
            Some(_) => return Err(AppError::field(ErrorCode::InvalidChoice, "kind")),
        };
        if self.find_by_login(&login).await?.is_some() {
            return Err(AppError::field(ErrorCode::UserLoginTaken, "login"));
        }
        let (email, phone) = match login {
            Login::Email(e) => (Some(e), None),
            Login::Phone(p) => (None, Some(p)),
        };
        let user = User {
            id: UserId(self.ids.new_id()),
            kind,
            email,
            phone,
            full_name,
            id_number,
            agency_id: None,
            password_hash: self.hash_password(&input.password).await?,
            disabled: false,
            locale: "vi".into(),
            created_at_us: self.now_us(),
        };
        let mut ctx = ctx.clone();
        if matches!(ctx.actor, Actor::Anonymous) {
            ctx.actor_ref = format!("user:{}", user.id);
        }
        let audit = ctx.audit::<(), _>(
            user.created_at_us,
            "user.register",
            "user",
            user.id,
            None,
            Some(&user),
        );
        // Confirm the registration to the person, by the channel they registered with.
        let (channel, to) = match (&user.email, &user.phone) {
            (Some(e), _) => (crate::outbox::Channel::Email, e.clone()),
            (None, Some(p)) => (crate::outbox::Channel::Sms, p.clone()),
            (None, None) => return Err(AppError::internal("account without login")),
        };
        let notice = self.notification(
            format!("user:{}:registered", user.id),
            &crate::outbox::Notification {
                channel,
                to,
                template: "account_registered".into(),
                locale: user.locale.clone(),
                vars: [("full_name".to_string(), user.full_name.clone())]
                    .into_iter()
                    .collect(),
            },
        )?;
        self.store
            .user_insert(&user, &[], &audit, &[notice])
            .await?;
        Ok(user)
    }

    /// An administrator (or the command line) creates a staff account with roles on its agency.
    pub async fn create_staff(&self, ctx: &Ctx, input: &StaffInput) -> AppResult<User> {
        let agency = self
            .store
            .agency_by_identifier(&nfc(&input.agency_identifier).to_ascii_uppercase())
            .await?
            .ok_or_else(|| AppError::field(ErrorCode::AgencyNotFound, "agency_identifier"))?;
        self.authorize(ctx, Action::ManageUsers, Target::Agency(&agency.path))?;
        let full_name = nfc(&input.full_name);
        if full_name.is_empty() {
            return Err(AppError::field(ErrorCode::Required, "full_name"));
        }
        let email = nfc(&input.email).to_lowercase();
        if !valid_email(&email) {
            return Err(AppError::field(ErrorCode::InvalidEmail, "email"));
        }
        let phone = match nfc_opt(input.phone.as_deref()) {
            None => None,
            Some(p) => Some(
                normalize_phone(&p)
                    .ok_or_else(|| AppError::field(ErrorCode::InvalidPhone, "phone"))?,
            ),
        };
        self.check_password(&input.password, None)?;
        let mut roles = Vec::new();
        for r in &input.roles {
            roles.push(
                Role::parse(r).ok_or_else(|| AppError::field(ErrorCode::RoleInvalid, "roles"))?,
            );
        }
        if self.store.user_by_email(&email).await?.is_some() {
            return Err(AppError::field(ErrorCode::UserLoginTaken, "email"));
        }
        if let Some(p) = &phone
            && self.store.user_by_phone(p).await?.is_some()
        {
            return Err(AppError::field(ErrorCode::UserLoginTaken, "phone"));
        }
        let now = self.now_us();
        let user = User {
            id: UserId(self.ids.new_id()),
            kind: UserKind::Staff,
            email: Some(email),
            phone,
            full_name,
            id_number: None,
            agency_id: Some(agency.id),
            password_hash: self.hash_password(&input.password).await?,
            disabled: false,
            locale: "vi".into(),
            created_at_us: now,
        };
        let grants: Vec<GrantRow> = roles
            .into_iter()
            .map(|role| GrantRow {
                id: GrantId(self.ids.new_id()),
                user_id: user.id,
                role,
                agency_id: Some(agency.id),
                created_at_us: now,
            })
            .collect();
        let audit = ctx.audit::<(), _>(
            now,
            "user.create_staff",
            "user",
            user.id,
            None,
            Some(&(&user, &grants)),
        );
        self.store.user_insert(&user, &grants, &audit, &[]).await?;
        Ok(user)
    }

    /// The first administrator (command line only): platform-wide administrator role.
    pub async fn create_platform_admin(
        &self,
        full_name: &str,
        email: &str,
        password: &str,
    ) -> AppResult<User> {
        let email = nfc(email).to_lowercase();
        if !valid_email(&email) {
            return Err(AppError::field(ErrorCode::InvalidEmail, "email"));
        }
        self.check_password(password, None)?;
        if self.store.user_by_email(&email).await?.is_some() {
            return Err(AppError::field(ErrorCode::UserLoginTaken, "email"));
        }
        let now = self.now_us();
        let user = User {
            id: UserId(self.ids.new_id()),
            kind: UserKind::Staff,
            email: Some(email),
            phone: None,
            full_name: nfc(full_name),
            id_number: None,
            agency_id: None,
            password_hash: self.hash_password(password).await?,
            disabled: false,
            locale: "vi".into(),
            created_at_us: now,
        };
        let grant = GrantRow {
            id: GrantId(self.ids.new_id()),
            user_id: user.id,
            role: Role::Administrator,
            agency_id: None,
            created_at_us: now,
        };
        let audit =
            Ctx::cli().audit::<(), _>(now, "user.create_admin", "user", user.id, None, Some(&user));
        self.store.user_insert(&user, &[grant], &audit, &[]).await?;
        Ok(user)
    }

    /// Set a new password (command line, or an administrator over the user's agency), and end
    /// all the user's sessions.
    pub async fn reset_password(&self, ctx: &Ctx, login: &str, password: &str) -> AppResult<User> {
        let user = self
            .find_by_login(&parse_login(login)?)
            .await?
            .ok_or_else(|| AppError::field(ErrorCode::UserNotFound, "login"))?;
        self.authorize_over_user(ctx, Action::ManageUsers, &user)
            .await?;
        self.check_password(password, None)?;
        let hash = self.hash_password(password).await?;
        let now = self.now_us();
        let audit = ctx.audit::<(), ()>(now, "user.reset_password", "user", user.id, None, None);
        self.store.user_set_password(user.id, &hash, &audit).await?;
        let audit = ctx.audit::<(), ()>(now, "session.revoke_all", "user", user.id, None, None);
        self.store.sessions_delete_for_user(user.id, &audit).await?;
        Ok(user)
    }

    async fn authorize_over_user(&self, ctx: &Ctx, action: Action, user: &User) -> AppResult<()> {
        let path = match user.agency_id {
            Some(a) => self.store.agency_get(a).await?.map(|a| a.path),
            None => None,
        };
        if user.agency_id.is_none() && action == Action::ManageUsers && !ctx.is_cli() {
            // Citizens and platform-wide accounts: only platform administrators.
            return self.authorize(ctx, Action::ManageRootAgency, Target::Platform);
        }
        self.authorize(
            ctx,
            action,
            Target::Account {
                user: user.id,
                agency: path.as_deref(),
            },
        )
    }

    pub async fn user(&self, ctx: &Ctx, id: UserId) -> AppResult<User> {
        let user = self
            .store
            .user_get(id)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::UserNotFound))?;
        self.authorize_over_user(ctx, Action::ViewAccount, &user)
            .await?;
        Ok(user)
    }

    /// Staff accounts an actor may see: platform administrators see all; others their subtrees.
    pub async fn users(&self, ctx: &Ctx, filter: UserFilter) -> AppResult<Vec<User>> {
        let mut filter = filter;
        filter.limit = filter.limit.clamp(1, 500);
        if let Some(a) = filter.agency_subtree {
            let agency = self
                .store
                .agency_get(a)
                .await?
                .ok_or_else(|| AppError::new(ErrorCode::AgencyNotFound))?;
            self.authorize(ctx, Action::ViewUsers, Target::Agency(&agency.path))?;
        } else {
            self.authorize(ctx, Action::ViewUsers, Target::Platform)?;
        }
        self.store.users_list(&filter).await
    }

    pub async fn grants(&self, user: UserId) -> AppResult<Vec<GrantRow>> {
        self.store.grants_of(user).await
    }

    /// Grant a role on an agency subtree to a staff account.
    pub async fn grant_role(
        &self,
        ctx: &Ctx,
        user: UserId,
        role: Role,
        agency: Option<AgencyId>,
    ) -> AppResult<GrantRow> {
        let target = self
            .store
            .user_get(user)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::UserNotFound))?;
        if target.kind != UserKind::Staff {
            return Err(AppError::field(ErrorCode::RoleInvalid, "user"));
        }
        // Separation of duties: nobody widens their own rights, and an administrator grants only
        // to staff of agencies it administers, on agencies it administers.
        if !ctx.is_cli() && ctx.actor.user_id() == Some(user) {
            return Err(AppError::new(ErrorCode::Forbidden).with_detail("own grants"));
        }
        self.authorize_over_user(ctx, Action::ManageUsers, &target)
            .await?;
        match agency {
            Some(a) => {
                let ag = self
                    .store
                    .agency_get(a)
                    .await?
                    .ok_or_else(|| AppError::new(ErrorCode::AgencyNotFound))?;
                self.authorize(ctx, Action::ManageUsers, Target::Agency(&ag.path))?;
            }
            None => self.authorize(ctx, Action::ManageRootAgency, Target::Platform)?,
        }
        let g = GrantRow {
            id: GrantId(self.ids.new_id()),
            user_id: user,
            role,
            agency_id: agency,
            created_at_us: self.now_us(),
        };
        let audit = ctx.audit::<(), _>(
            g.created_at_us,
            "grant.create",
            "user",
            user,
            None,
            Some(&g),
        );
        self.store.grant_insert(&g, &audit).await?;
        Ok(g)
    }

    pub async fn revoke_grant(&self, ctx: &Ctx, user: UserId, grant: GrantId) -> AppResult<()> {
        let grants = self.store.grants_of(user).await?;
        let g = grants
            .iter()
            .find(|g| g.id == grant)
            .ok_or_else(|| AppError::new(ErrorCode::GrantNotFound))?;
        if let Some(target) = self.store.user_get(user).await? {
            self.authorize_over_user(ctx, Action::ManageUsers, &target)
                .await?;
        }
        match g.agency_id {
            Some(a) => {
                let ag = self
                    .store
                    .agency_get(a)
                    .await?
                    .ok_or_else(|| AppError::new(ErrorCode::AgencyNotFound))?;
                self.authorize(ctx, Action::ManageUsers, Target::Agency(&ag.path))?;
            }
            None => self.authorize(ctx, Action::ManageRootAgency, Target::Platform)?,
        }
        // Nobody removes their own platform-wide administrator grant: only another platform
        // administrator (or the command line) can, so the platform never loses its last one.
        if !ctx.is_cli()
            && ctx.actor.user_id() == Some(user)
            && g.role == Role::Administrator
            && g.agency_id.is_none()
        {
            return Err(AppError::new(ErrorCode::Forbidden).with_detail("own administrator grant"));
        }
        let audit = ctx.audit::<_, ()>(self.now_us(), "grant.delete", "user", user, Some(g), None);
        self.store.grant_delete(grant, &audit).await?;
        Ok(())
    }

    fn actor_for(user: &User, grants: &[GrantRow]) -> Actor {
        match user.kind {
            UserKind::Staff => Actor::Staff {
                user: user.id,
                grants: grants
                    .iter()
                    .map(|g| Grant {
                        role: g.role,
                        agency: g.agency_id,
                    })
                    .collect(),
            },
            _ => Actor::Citizen { user: user.id },
        }
    }

    /// Log in with e-mail or phone and password. Failed attempts are counted per account and
    /// per address; past the limit the answer is `auth.throttled` even for the right password.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> AppResult<LoginOutcome> {
        let now = self.now_us();
        let since = now - self.config.login_window_secs * 1_000_000;
        let parsed =
            parse_login(login).map_err(|_| AppError::new(ErrorCode::InvalidCredentials))?;
        let account_key = match &parsed {
            Login::Email(e) => format!("account:{e}"),
            Login::Phone(p) => format!("account:{p}"),
        };
        let address_key = ip.map(|a| format!("address:{a}"));
        if self.store.login_failure_count(&account_key, since).await?
            >= self.config.login_max_failures_account
        {
            return Err(AppError::new(ErrorCode::Throttled).with_detail("account"));
        }
        if let Some(k) = &address_key
            && self.store.login_failure_count(k, since).await?
                >= self.config.login_max_failures_address
        {
            return Err(AppError::new(ErrorCode::Throttled).with_detail("address"));
        }
        let user = self.find_by_login(&parsed).await?;
        let ok = match &user {
            Some(u) => self.verify_password(password, &u.password_hash).await,
            None => {
                // Spend the same time as a real check so the answer does not reveal accounts.
                let _ = self.hash_password(password).await;
                false
            }
        };
        let user = match (ok, user) {
            (true, Some(u)) => u,
            _ => {
                let mut keys = vec![account_key];
                keys.extend(address_key);
                self.store.login_failure_add(&keys, now).await?;
                return Err(AppError::new(ErrorCode::InvalidCredentials));
            }
        };
        if user.disabled {
            return Err(AppError::new(ErrorCode::AccountDisabled));
        }
        self.store.login_failure_clear(&account_key).await?;
        let token = URL_SAFE_NO_PAD.encode(self.ids.random_bytes(32));
        let csrf_token = URL_SAFE_NO_PAD.encode(self.ids.random_bytes(24));
        let row = SessionRow {
            token_hash: sha256_hex(&token),
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            created_at_us: now,
            last_seen_us: now,
            expires_at_us: now + self.config.session_max_secs * 1_000_000,
            ip: ip.map(str::to_string),
            user_agent: user_agent.map(|s| s.chars().take(300).collect()),
        };
        let ctx = Ctx {
            actor: Actor::Anonymous,
            actor_ref: format!("user:{}", user.id),
            ip: ip.map(str::to_string),
        };
        let audit = ctx.audit::<(), ()>(now, "session.login", "user", user.id, None, None);
        self.store.session_insert(&row, &audit).await?;
        let grants = self.store.grants_of(user.id).await?;
        let actor = Self::actor_for(&user, &grants);
        Ok(LoginOutcome {
            token,
            session: Session {
                token_hash: row.token_hash,
                csrf_token,
                user,
                grants,
                actor,
            },
        })
    }

    /// The session behind a cookie token, if it is valid; refreshes its idle timer.
    pub async fn session(&self, token: &str) -> AppResult<Option<Session>> {
        if token.is_empty() || token.len() > 200 {
            return Ok(None);
        }
        let now = self.now_us();
        let hash = sha256_hex(token);
        let Some(row) = self.store.session_get(&hash).await? else {
            return Ok(None);
        };
        if row.expires_at_us <= now
            || row.last_seen_us + self.config.session_idle_secs * 1_000_000 <= now
        {
            return Ok(None);
        }
        let Some(user) = self.store.user_get(row.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        // Touch at most once a minute to keep writes low.
        if now - row.last_seen_us > 60_000_000 {
            self.store.session_touch(&hash, now).await?;
        }
        let grants = self.store.grants_of(user.id).await?;
        let actor = Self::actor_for(&user, &grants);
        Ok(Some(Session {
            token_hash: hash,
            csrf_token: row.csrf_token,
            user,
            grants,
            actor,
        }))
    }

    pub async fn logout(&self, session: &Session, ip: Option<&str>) -> AppResult<()> {
        let ctx = Ctx {
            actor: session.actor.clone(),
            actor_ref: format!("user:{}", session.user.id),
            ip: ip.map(str::to_string),
        };
        let audit = ctx.audit::<(), ()>(
            self.now_us(),
            "session.logout",
            "user",
            session.user.id,
            None,
            None,
        );
        self.store.session_delete(&session.token_hash, &audit).await
    }

    pub async fn logout_all(&self, session: &Session, ip: Option<&str>) -> AppResult<u64> {
        let ctx = Ctx {
            actor: session.actor.clone(),
            actor_ref: format!("user:{}", session.user.id),
            ip: ip.map(str::to_string),
        };
        let audit = ctx.audit::<(), ()>(
            self.now_us(),
            "session.logout_all",
            "user",
            session.user.id,
            None,
            None,
        );
        self.store
            .sessions_delete_for_user(session.user.id, &audit)
            .await
    }
}

impl Session {
    pub fn ctx(&self, ip: Option<String>) -> Ctx {
        Ctx {
            actor: self.actor.clone(),
            actor_ref: format!("user:{}", self.user.id),
            ip,
        }
    }
}
