//! Secret keys and console sessions on PostgreSQL.

use super::PgStore;
use crate::keys::{NewSecret, PresentedKey};
use crate::rows::*;
use crate::*;
use sqlx::{AssertSqlSafe, FromRow, Postgres, Transaction};

impl PgStore {
    pub(super) async fn key_by_id(&self, site_id: i64, key_id: i64) -> Result<ApiKey> {
        let row: Option<KeyRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE site_id = $1 AND id = $2")))
                .bind(site_id)
                .bind(key_id)
                .fetch_optional(&self.pool)
                .await?;
        row.ok_or(Error::NotFound)?.into_key()
    }

    pub(super) async fn insert_key(
        transaction: &mut Transaction<'_, Postgres>,
        site_id: i64,
        role: Role,
        label: &str,
        at: i64,
    ) -> Result<(i64, String)> {
        let secret = NewSecret::generate().map_err(|error| Error::Random(error.to_string()))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (site_id, lookup, secret_hash, role, label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(site_id)
        .bind(&secret.lookup)
        .bind(secret.hash.as_slice())
        .bind(role.as_str())
        .bind(label)
        .bind(at)
        .fetch_one(&mut **transaction)
        .await?;
        Ok((id, secret.plaintext))
    }

    pub(super) async fn create_key(&self, site_id: i64, role: Role, label: &str) -> Result<CreatedKey> {
        validate_label(label)?;
        let mut transaction = self.pool.begin().await?;
        Self::lock_site(&mut transaction, site_id).await?;
        let (id, plaintext) = Self::insert_key(&mut transaction, site_id, role, label, now()).await?;
        transaction.commit().await?;
        Ok(CreatedKey { key: self.key_by_id(site_id, id).await?, plaintext })
    }

    pub(super) async fn keys(&self, site_id: i64) -> Result<Vec<ApiKey>> {
        let rows: Vec<KeyRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE site_id = $1 ORDER BY id")))
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(KeyRow::into_key).collect()
    }

    pub(super) async fn revoke_key(&self, site_id: i64, key_id: i64) -> Result<ApiKey> {
        let at = now();
        let mut transaction = self.pool.begin().await?;
        // Two owners revoking each other's keys at once on two instances take turns, so the
        // site keeps one.
        Self::lock_site(&mut transaction, site_id).await?;
        let key: Option<KeyRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE site_id = $1 AND id = $2")))
                .bind(site_id)
                .bind(key_id)
                .fetch_optional(&mut *transaction)
                .await?;
        let key = key.ok_or(Error::NotFound)?.into_key()?;
        if key.role == Role::Owner && key.is_active(at) {
            let other_owners: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM api_keys WHERE site_id = $1 AND id <> $2 AND role = 'owner'
                     AND revoked_at IS NULL AND expires_at IS NULL",
            )
            .bind(site_id)
            .bind(key_id)
            .fetch_one(&mut *transaction)
            .await?;
            if other_owners == 0 {
                return Err(crate::plan::last_owner_key(key_id));
            }
        }
        sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE site_id = $2 AND id = $3")
            .bind(at)
            .bind(site_id)
            .bind(key_id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        self.key_by_id(site_id, key_id).await
    }

    pub(super) async fn rotate_key(&self, site_id: i64, key_id: i64, overlap_secs: i64) -> Result<CreatedKey> {
        let old = self.key_by_id(site_id, key_id).await?;
        let at = now();
        if !old.is_active(at) {
            return Err(Error::Invalid(format!("key {key_id} is revoked or expired; create a new one instead")));
        }
        let mut transaction = self.pool.begin().await?;
        Self::lock_site(&mut transaction, site_id).await?;
        let expires_at = at.saturating_add(overlap_secs.max(0));
        sqlx::query("UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, $1), $1) WHERE id = $2")
            .bind(expires_at)
            .bind(key_id)
            .execute(&mut *transaction)
            .await?;
        let (id, plaintext) = Self::insert_key(&mut transaction, site_id, old.role, &old.label, at).await?;
        transaction.commit().await?;
        Ok(CreatedKey { key: self.key_by_id(site_id, id).await?, plaintext })
    }

    pub(super) async fn authenticate(&self, presented: &PresentedKey) -> Result<Option<ApiKey>> {
        #[derive(FromRow)]
        struct AuthRow {
            secret_hash: Vec<u8>,
            #[sqlx(flatten)]
            key: KeyRow,
        }
        let row: Option<AuthRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT secret_hash, {KEY_COLUMNS} FROM api_keys WHERE lookup = $1")))
                .bind(&presented.lookup)
                .fetch_optional(&self.pool)
                .await?;
        let Some(AuthRow { secret_hash, key }) = row else {
            return Ok(None);
        };
        if !crate::keys::hashes_match(&presented.hash, &secret_hash) {
            return Ok(None);
        }
        let key = key.into_key()?;
        let at = now();
        if !key.is_active(at) {
            return Ok(None);
        }
        if crate::plan::records_use(&key, at) {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(at)
                .bind(key.id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(key))
    }

    pub(super) async fn start_session(&self, key_id: i64, token_hash: &[u8; 32], expires_at: i64) -> Result<Session> {
        let at = now();
        let mut transaction = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR ended_at IS NOT NULL")
            .bind(at)
            .execute(&mut *transaction)
            .await?;
        let key: Option<KeyRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1")))
                .bind(key_id)
                .fetch_optional(&mut *transaction)
                .await?;
        let key = key.ok_or(Error::NotFound)?.into_key()?;
        if !key.is_active(at) {
            return Err(Error::NotFound);
        }
        let expires_at = crate::plan::session_expiry(&key, expires_at);
        sqlx::query("INSERT INTO sessions (token_hash, key_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash.as_slice())
            .bind(key_id)
            .bind(at)
            .bind(expires_at)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(Session { key, expires_at })
    }

    pub(super) async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>> {
        #[derive(FromRow)]
        struct SessionRow {
            session_expires_at: i64,
            #[sqlx(flatten)]
            key: KeyRow,
        }
        let at = now();
        let columns = KEY_COLUMNS.split(", ").map(|column| format!("k.{column}")).collect::<Vec<_>>().join(", ");
        let row: Option<SessionRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT s.expires_at AS session_expires_at, {columns} FROM sessions s JOIN api_keys k ON k.id = s.key_id
             WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2"
        )))
        .bind(token_hash.as_slice())
        .bind(at)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let key = row.key.into_key()?;
        Ok(key.is_active(at).then_some(Session { key, expires_at: row.session_expires_at }))
    }

    pub(super) async fn end_session(&self, token_hash: &[u8; 32]) -> Result<bool> {
        let ended = sqlx::query("UPDATE sessions SET ended_at = $1 WHERE token_hash = $2 AND ended_at IS NULL")
            .bind(now())
            .bind(token_hash.as_slice())
            .execute(&self.pool)
            .await?;
        Ok(ended.rows_affected() > 0)
    }
}
