//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database per test (created from
//! `TEST_DATABASE_URL` and dropped afterwards), so runs never collide.

use crate::{Durability, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, db_err};
use cqdt_app::{AppResult, Store};
use std::sync::Arc;

/// A database made for one test. Dropping it removes a PostgreSQL database (best effort).
pub struct TestDb {
    pub store: Arc<dyn Store>,
    /// The store's group committer (tests hold it to put several creations in one batch).
    pub group: Arc<crate::GroupCommit>,
    pub url: String,
    pub backend: &'static str,
    admin_url: Option<String>,
    db_name: Option<String>,
    _dir: Option<TempDir>,
}

/// A temporary directory removed on drop (tiny, to avoid a dependency).
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> std::io::Result<Self> {
        let p = std::env::temp_dir().join(format!("cqdt-{tag}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The PostgreSQL server for tests, if `TEST_DATABASE_URL` is set.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

impl TestDb {
    pub async fn sqlite() -> AppResult<TestDb> {
        let dir =
            TempDir::new("sqlite").map_err(|e| cqdt_app::AppError::internal(e.to_string()))?;
        let url = format!("sqlite://{}", dir.0.join("test.sqlite").display());
        let pool = crate::open_sqlite(&url, 4, Durability::Full).await?;
        SQLITE_MIGRATIONS
            .run(&pool)
            .await
            .map_err(|e| cqdt_app::AppError::internal(e.to_string()))?;
        let store = crate::SqliteStore::new(pool);
        Ok(TestDb {
            group: store.group_commit().clone(),
            store: Arc::new(store),
            url,
            backend: "sqlite",
            admin_url: None,
            db_name: None,
            _dir: Some(dir),
        })
    }

    /// A fresh PostgreSQL database, or `None` (after printing "skipped: no PostgreSQL") when
    /// `TEST_DATABASE_URL` is not set.
    pub async fn postgres(test: &str) -> AppResult<Option<TestDb>> {
        let Some(admin_url) = postgres_url() else {
            // Written straight to stderr so the test harness does not swallow it.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: no PostgreSQL (TEST_DATABASE_URL unset) for {test}"
            );
            return Ok(None);
        };
        let name = format!("cqdt_t_{}", uuid::Uuid::new_v4().simple());
        let admin = crate::open_postgres(&admin_url, 1).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .map_err(db_err)?;
        admin.close().await;
        let url = replace_db_name(&admin_url, &name);
        let pool = crate::open_postgres(&url, 8).await?;
        POSTGRES_MIGRATIONS
            .run(&pool)
            .await
            .map_err(|e| cqdt_app::AppError::internal(e.to_string()))?;
        let store = crate::PgStore::new(pool);
        Ok(Some(TestDb {
            group: store.group_commit().clone(),
            store: Arc::new(store),
            url,
            backend: "postgres",
            admin_url: Some(admin_url),
            db_name: Some(name),
            _dir: None,
        }))
    }

    /// Both backends (PostgreSQL only when configured).
    pub async fn all(test: &str) -> AppResult<Vec<TestDb>> {
        let mut v = vec![TestDb::sqlite().await?];
        if let Some(pg) = TestDb::postgres(test).await? {
            v.push(pg);
        }
        Ok(v)
    }

    /// Run raw SQL against this database (for tamper tests).
    pub async fn exec(&self, sql: &str) -> AppResult<()> {
        if self.backend == "postgres" {
            let pool = crate::open_postgres(&self.url, 1).await?;
            sqlx::raw_sql(sql).execute(&pool).await.map_err(db_err)?;
            pool.close().await;
        } else {
            let pool = crate::open_sqlite(&self.url, 1, Durability::Full).await?;
            sqlx::raw_sql(sql).execute(&pool).await.map_err(db_err)?;
            pool.close().await;
        }
        Ok(())
    }

    /// Drop a PostgreSQL test database now (call at the end of a test).
    pub async fn cleanup(self) {
        if let (Some(admin_url), Some(name)) = (&self.admin_url, &self.db_name)
            && let Ok(admin) = crate::open_postgres(admin_url, 1).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin)
                .await;
            admin.close().await;
        }
    }
}

/// Replace the database name in a PostgreSQL URL.
pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let new_base = match base[scheme_end..].find('/') {
        Some(i) => format!("{}/{}", &base[..scheme_end + i], name),
        None => format!("{base}/{name}"),
    };
    match query {
        Some(q) => format!("{new_base}?{q}"),
        None => new_base,
    }
}
