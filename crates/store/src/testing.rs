//! Databases for tests (feature `testing`): a fresh SQLite file, or a fresh schema on the
//! PostgreSQL server `CUECARD_TEST_POSTGRES_URL` names (default: the local one,
//! `postgres://postgres@127.0.0.1:5432/test`), dropped when the test ends. Tests on fresh
//! schemas run in parallel.

use crate::{Store, open};
use engine::render::Renderer;
use sqlx::Connection as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// The PostgreSQL server tests use unless `CUECARD_TEST_POSTGRES_URL` says another.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

/// The PostgreSQL server tests run against.
pub fn postgres_url() -> String {
    std::env::var("CUECARD_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// One test's database; its URL works for [`crate::open`] and for `cuecard --database-url`.
#[derive(Debug)]
pub struct TestDatabase {
    backend: Backend,
    url: String,
    _directory: Option<tempfile::TempDir>,
    /// The schema to drop at the end, on PostgreSQL.
    schema: Option<String>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let directory = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", directory.path().join("cuecard.db").display());
                TestDatabase { backend, url, _directory: Some(directory), schema: None }
            }
            Backend::Postgres => {
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |elapsed| elapsed.subsec_nanos());
                let schema =
                    format!("cuecard_test_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
                let server = postgres_url();
                let mut connection = sqlx::PgConnection::connect(&server).await.unwrap_or_else(|error| {
                    panic!(
                        "PostgreSQL is not reachable at {server} ({error}): start it (`cargo xtask test` does) or \
                         point CUECARD_TEST_POSTGRES_URL at a server where this user may create schemas"
                    )
                });
                let local = ["@127.0.0.1", "@localhost", "://127.0.0.1", "://localhost", "@[::1]"]
                    .iter()
                    .any(|host| server.contains(host));
                if local {
                    drop_abandoned_schemas(&mut connection).await;
                }
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&mut connection)
                    .await
                    .expect("creating the test's schema");
                connection.close().await.ok();
                // The schema names the connections too, so the end of the test can close them.
                let separator = if server.contains('?') { '&' } else { '?' };
                let url = format!("{server}{separator}options=-c%20search_path%3D{schema}&application_name={schema}");
                TestDatabase { backend, url, _directory: None, schema: Some(schema) }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The store on this database (migrated), rendering with the default policy.
    pub async fn open(&self) -> Arc<dyn Store> {
        self.open_with(Renderer::default()).await
    }

    pub async fn open_with(&self, renderer: Renderer) -> Arc<dyn Store> {
        self.try_open(renderer).await.expect("opening the test database")
    }

    pub async fn try_open(&self, renderer: Renderer) -> crate::Result<Arc<dyn Store>> {
        open(&self.url, renderer, crate::DEFAULT_POOL_SIZE).await
    }

    /// Runs SQL on the database directly, as an operator (or another release) would.
    pub async fn execute(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.backend {
            Backend::Sqlite => {
                let mut connection = sqlx::SqliteConnection::connect(&self.url).await.expect("connecting");
                sqlx::raw_sql(sql).execute(&mut connection).await.expect("running SQL");
                connection.close().await.ok();
            }
            Backend::Postgres => {
                let mut connection = sqlx::PgConnection::connect(&self.url).await.expect("connecting");
                sqlx::raw_sql(sql).execute(&mut connection).await.expect("running SQL");
                connection.close().await.ok();
            }
        }
    }
}

/// Schemas of test processes on this machine that are gone (killed before their tests ended).
async fn drop_abandoned_schemas(connection: &mut sqlx::PgConnection) {
    let schemas: Vec<String> =
        sqlx::query_scalar("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cuecard\\_test\\_%'")
            .fetch_all(&mut *connection)
            .await
            .unwrap_or_default();
    for schema in schemas {
        let process = schema.strip_prefix("cuecard_test_").and_then(|rest| rest.split('_').next());
        let gone = process.is_some_and(|pid| !std::path::Path::new("/proc").join(pid).exists());
        if gone {
            let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *connection).await.ok();
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        // On a thread of its own: the test's runtime may be the one being dropped.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut connection = sqlx::PgConnection::connect(&postgres_url()).await.ok()?;
                // The test's own connections may still hold locks (a dropped transaction is
                // rolled back by a task the test's runtime may never run again): end them first.
                sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1")
                    .bind(&schema)
                    .execute(&mut connection)
                    .await
                    .ok()?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
                    .execute(&mut connection)
                    .await
                    .ok()
            })
        });
        let _ = dropped.join();
    }
}

/// Turns each named `async fn NAME(backend: Backend)` into two tests, `NAME::sqlite` and
/// `NAME::postgres` (the caller depends on tokio).
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                super::$test($crate::testing::Backend::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                super::$test($crate::testing::Backend::Postgres).await;
            }
        }
    )*};
}
