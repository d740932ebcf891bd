//! Storage of cqdt: one implementation of the app's `Store` port per database, written once
//! (the `sql_store!` macro) with SQL that both SQLite and PostgreSQL accept, plus embedded
//! migrations per backend.
//!
//! Architecture invariant: every write that a person or system makes appends its audit entry
//! in the same transaction, before the write itself; the audit head row serialises writers.

pub mod blob_folder;
mod blobs;
pub mod group;
mod sql;
mod sql_documents;
pub mod testing;

use cqdt_app::{AppError, AppResult};
use cqdt_domain::ErrorCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use blobs::FsBlobs;
pub use group::{DEFAULT_GROUP_COMMIT, GroupCommit, GroupCommitStats};
pub use sql::{PgStore, SqliteStore};
/// Bulk loading of generated documents (the benchmark generator only).
pub use sql_documents::bulk as documents_bulk;
/// The SQL of a page of `documents_by_state`, for the query-plan test (`tests/documents_scale.rs`).
#[doc(hidden)]
pub use sql_documents::{Bind, by_state_sql};

pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How durable SQLite commits are. `Full` (default) survives a power cut; `Normal` in WAL mode
/// may lose the last transactions on a power cut but never corrupts the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    #[default]
    Full,
    Normal,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
    pub sqlite_durability: Durability,
    /// At most this many dossier creations per transaction (group commit; `1` turns it off).
    pub group_commit: usize,
}

pub(crate) fn db_err(e: sqlx::Error) -> AppError {
    if let Some(d) = e.as_database_error() {
        if d.is_unique_violation() {
            return AppError::new(ErrorCode::StorageConflict).with_detail(d.message().to_string());
        }
        if d.is_foreign_key_violation() {
            return AppError::new(ErrorCode::StorageConflict).with_detail(d.message().to_string());
        }
    }
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            AppError::new(ErrorCode::StorageUnavailable).with_detail(e.to_string())
        }
        other => AppError::internal(other.to_string()),
    }
}

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

pub async fn open_sqlite(url: &str, max: u32, durability: Durability) -> AppResult<SqlitePool> {
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(db_err)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match durability {
            Durability::Full => SqliteSynchronous::Full,
            Durability::Normal => SqliteSynchronous::Normal,
        })
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(max.max(1))
        .connect_with(opts)
        .await
        .map_err(db_err)
}

pub async fn open_postgres(url: &str, max: u32) -> AppResult<PgPool> {
    let opts = PgConnectOptions::from_str(url).map_err(db_err)?;
    PgPoolOptions::new()
        .max_connections(max.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
        .map_err(db_err)
}

/// Open the database named by the URL, apply pending migrations, and return the store.
pub async fn connect(opts: &StoreOptions) -> AppResult<Arc<dyn cqdt_app::Store>> {
    Ok(connect_with_group(opts).await?.0)
}

/// [`connect`], also returning the store's group committer (for its counters).
pub async fn connect_with_group(
    opts: &StoreOptions,
) -> AppResult<(Arc<dyn cqdt_app::Store>, Arc<GroupCommit>)> {
    if is_postgres_url(&opts.url) {
        let pool = open_postgres(&opts.url, opts.max_connections).await?;
        POSTGRES_MIGRATIONS
            .run(&pool)
            .await
            .map_err(|e| AppError::internal(e.to_string()))?;
        let store = PgStore::new(pool).with_group_commit(opts.group_commit);
        let group = store.group_commit().clone();
        Ok((Arc::new(store), group))
    } else {
        let pool = open_sqlite(&opts.url, opts.max_connections, opts.sqlite_durability).await?;
        SQLITE_MIGRATIONS
            .run(&pool)
            .await
            .map_err(|e| AppError::internal(e.to_string()))?;
        let store = SqliteStore::new(pool).with_group_commit(opts.group_commit);
        let group = store.group_commit().clone();
        Ok((Arc::new(store), group))
    }
}

/// Take a consistent snapshot of a live SQLite database into `dest` (which must not exist).
pub async fn sqlite_backup(pool: &SqlitePool, dest: &std::path::Path) -> AppResult<()> {
    let dest = dest
        .to_str()
        .ok_or_else(|| AppError::new(ErrorCode::InvalidFormat).with_detail("path is not UTF-8"))?;
    sqlx::query("VACUUM INTO $1")
        .bind(dest)
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}
