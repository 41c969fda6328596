//! `cuecard check APP_SRC_DIR`: before a release, compare the `data-help-key`s in the host app's
//! source (HTML, JSX/TSX, Vue and Svelte templates, plain JS building elements) with the site's
//! published help: fields without help, and help whose keys no longer exist in the source.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Source files worth reading, by extension.
const EXTENSIONS: &[&str] = &["html", "htm", "js", "mjs", "jsx", "ts", "tsx", "vue", "svelte", "hbs", "erb", "php"];
/// Folders that hold no source of the app's own.
const SKIPPED_DIRS: &[&str] = &["node_modules", ".git", "target", "dist", "build", "vendor", ".next", ".svelte-kit"];
const ATTRIBUTE: &str = "data-help-key";

/// The literal help keys in `text`: `data-help-key="…"` (or `'…'`, `={"…"}`), `'data-help-key': '…'`
/// in element-building code, and `setAttribute('data-help-key', '…')`. Values computed at run
/// time (`:data-help-key="expr"`, `{`${x}`}`) cannot be read and are left out.
pub fn help_keys_in(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(found) = rest.find(ATTRIBUTE) {
        let before = &rest[..found];
        let after = &rest[found + ATTRIBUTE.len()..];
        rest = after;
        // `:data-help-key` and `v-bind:data-help-key` bind an expression, not a literal.
        if before.ends_with(':') {
            continue;
        }
        // The attribute's own closing quote in `'data-help-key': …` or `setAttribute("data-help-key", …)`.
        let after = after.strip_prefix(['"', '\'']).unwrap_or(after).trim_start();
        let Some(after) = after.strip_prefix(['=', ':', ',']) else { continue };
        let after = after.trim_start();
        let after = after.strip_prefix('{').map_or(after, str::trim_start);
        let Some(quote) = after.chars().next().filter(|quote| matches!(quote, '"' | '\'')) else { continue };
        let value = &after[1..];
        let Some(end) = value.find(quote) else { continue };
        let key = value[..end].trim();
        if engine::validate_help_key(key).is_ok() {
            keys.push(key.to_owned());
        }
    }
    keys
}

/// Every literal help key under `dir`, with the files (relative to `dir`) it appears in.
pub fn scan(dir: &Path) -> std::io::Result<BTreeMap<String, BTreeSet<PathBuf>>> {
    let mut found: BTreeMap<String, BTreeSet<PathBuf>> = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            if path.is_dir() {
                if !SKIPPED_DIRS.contains(&name) && !name.starts_with('.') {
                    pending.push(path);
                }
                continue;
            }
            let readable = path
                .extension()
                .and_then(|extension| extension.to_str())
                .is_some_and(|extension| EXTENSIONS.iter().any(|wanted| wanted.eq_ignore_ascii_case(extension)));
            if !readable {
                continue;
            }
            // Not UTF-8 (a binary with a source-like name): nothing to read.
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            for key in help_keys_in(&text) {
                found.entry(key).or_default().insert(path.strip_prefix(dir).unwrap_or(&path).to_owned());
            }
        }
    }
    Ok(found)
}

/// What a check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Keys in the source that no published snippet targets (by the key or a `prefix.*`).
    pub without_help: Vec<String>,
    /// Key targets of published snippets (slug, target) that match no key in the source.
    pub orphaned: Vec<(String, String)>,
}

/// Compares the source's keys with the key targets of published snippets, as `(slug, target)`.
pub fn compare<'a>(source: impl IntoIterator<Item = &'a String> + Clone, targets: &[(String, String)]) -> Findings {
    let covers = |target: &str, key: &str| match target.strip_suffix(".*") {
        Some(prefix) => key.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.')),
        None => target == key,
    };
    let without_help = source
        .clone()
        .into_iter()
        .filter(|key| !targets.iter().any(|(_, target)| covers(target, key)))
        .cloned()
        .collect();
    let mut orphaned: Vec<(String, String)> = targets
        .iter()
        .filter(|(_, target)| !source.clone().into_iter().any(|key| covers(target, key)))
        .cloned()
        .collect();
    orphaned.sort();
    orphaned.dedup();
    Findings { without_help, orphaned }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_every_kind_of_template() {
        let text = r#"
            <input data-help-key="claim.vat-number"> <div data-help-key='claim.tax'></div>
            <Field data-help-key={"claim.amount"} /> <Field data-help-key={ 'claim.date' } />
            h('button', { 'data-help-key': 'approval.approve', disabled: true })
            element.setAttribute("data-help-key", "claims.filter");
            <input :data-help-key="dynamicKey"> <input data-help-key={`claim.${name}`}>
            <input data-help-key="not a key!">
        "#;
        assert_eq!(
            help_keys_in(text),
            ["claim.vat-number", "claim.tax", "claim.amount", "claim.date", "approval.approve", "claims.filter"]
        );
    }

    #[test]
    fn fields_without_help_and_help_without_fields_are_found() {
        let source: Vec<String> = ["claim.vat-number", "claim.notes", "approval.reason"].map(String::from).to_vec();
        let targets: Vec<(String, String)> =
            [("vat", "claim.vat-number"), ("old", "claim.legacy"), ("approvals", "approval.*")]
                .map(|(slug, target)| (slug.to_owned(), target.to_owned()))
                .to_vec();
        let findings = compare(&source, &targets);
        assert_eq!(findings.without_help, ["claim.notes"]);
        assert_eq!(findings.orphaned, [("old".to_owned(), "claim.legacy".to_owned())]);
    }
}
