//! Importing a folder of snippets on SQLite: all or nothing, in one write transaction.

use super::SqliteStore;
use crate::rows::*;
use crate::*;
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

impl SqliteStore {
    pub(super) async fn import(
        &self,
        public_key: &str,
        drafts: Vec<SnippetDraft>,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        let mut seen = std::collections::HashSet::new();
        for draft in &drafts {
            draft.validate()?;
            if !seen.insert((draft.slug.as_str(), draft.locale.as_str())) {
                return Err(Error::Invalid(format!(
                    "snippet `{}` ({}) appears twice in one import",
                    draft.slug, draft.locale
                )));
            }
        }
        let site = self.site_by_key(public_key).await?.ok_or_else(|| Error::UnknownSite(public_key.to_owned()))?;
        // IMMEDIATE takes the write lock up front, so concurrent writers queue instead of failing.
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows: Vec<SnippetRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SNIPPET_COLUMNS} FROM snippets WHERE site_id = ? ORDER BY id"
        )))
        .bind(site.id)
        .fetch_all(&mut *transaction)
        .await?;
        let mut existing: HashMap<(String, String), (StoredSnippet, Option<i64>)> = HashMap::new();
        for (stored, imported_version) in Self::with_targets(&mut transaction, rows).await? {
            let key = (stored.draft.slug.clone(), stored.draft.locale.as_str().to_owned());
            existing.insert(key, (stored, imported_version));
        }
        let mut report = ImportReport::default();
        let at = now();
        for draft in drafts {
            let label = format!("{} ({})", draft.slug, draft.locale);
            match existing.get(&(draft.slug.clone(), draft.locale.as_str().to_owned())) {
                Some((stored, _)) if stored.draft == draft => report.unchanged += 1,
                Some((stored, imported_version)) => {
                    let edited_since_import = *imported_version != Some(stored.version);
                    if edited_since_import && !options.force {
                        report.conflicts.push(label);
                        continue;
                    }
                    self.rewrite_snippet(&mut transaction, stored.id, stored.version, &draft, "import", true, at)
                        .await?;
                    report.updated.push(label);
                }
                None => {
                    self.insert_snippet(&mut transaction, site.id, &draft, "import", true, at).await?;
                    report.created.push(label);
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
