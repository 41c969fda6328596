//! Importing a folder of snippets on PostgreSQL: all or nothing, in one transaction holding the
//! site's lock.

use super::PgStore;
use crate::plan::ImportWrite;
use crate::rows::*;
use crate::*;
use sqlx::AssertSqlSafe;

impl PgStore {
    pub(super) async fn import(
        &self,
        public_key: &str,
        drafts: Vec<SnippetDraft>,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        crate::plan::validate_import(&drafts)?;
        let site = self.site_by_key(public_key).await?.ok_or_else(|| Error::UnknownSite(public_key.to_owned()))?;
        let mut transaction = self.pool.begin().await?;
        Self::lock_site(&mut transaction, site.id).await?;
        let rows: Vec<SnippetRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SNIPPET_COLUMNS} FROM snippets WHERE site_id = $1 ORDER BY id"
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
