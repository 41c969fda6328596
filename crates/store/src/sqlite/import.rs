//! Importing a folder of snippets on SQLite: all or nothing, in one write transaction.

use super::SqliteStore;
use crate::plan::ImportWrite;
use crate::rows::*;
use crate::*;
use sqlx::AssertSqlSafe;

impl SqliteStore {
    pub(super) async fn import(
        &self,
        public_key: &str,
        drafts: Vec<SnippetDraft>,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        crate::plan::validate_import(&drafts)?;
        let site = self.site_by_key(public_key).await?.ok_or_else(|| Error::UnknownSite(public_key.to_owned()))?;
        // IMMEDIATE takes the write lock up front, so concurrent writers queue instead of failing.
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows: Vec<SnippetRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SNIPPET_COLUMNS} FROM snippets WHERE site_id = ? ORDER BY id"
        )))
        .bind(site.id)
        .fetch_all(&mut *transaction)
        .await?;
        let existing = Self::with_targets(&mut transaction, rows).await?;
        let (report, writes) = crate::plan::plan_import(existing, drafts, options.force);
        let at = now();
        for write in writes {
            match write {
                ImportWrite::Insert(draft) => {
                    self.insert_snippet(&mut transaction, site.id, &draft, "import", true, at).await?;
                }
                ImportWrite::Rewrite { id, version, draft } => {
                    self.rewrite_snippet(&mut transaction, id, version, &draft, "import", true, at).await?;
                }
            }
        }
        if options.dry_run {
            transaction.rollback().await?;
            return Ok(report);
        }
        if !report.created.is_empty() || !report.updated.is_empty() {
            Self::bump_content_version(&mut transaction, site.id, at).await?;
        }
        transaction.commit().await?;
        Ok(report)
    }
}
