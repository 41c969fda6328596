//! What the widget knows about where the worker is, and how that becomes a `/v1/help` query.
//! Plain data and rules, tested natively; the DOM code only feeds it events.

/// The worker's situation as the widget sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageContext {
    /// `location.pathname`.
    pub path: String,
    /// Route template from `Cuecard('setContext', {route})`, valid while `path` is
    /// `route_path`: a navigation the app did not describe makes it stale.
    pub route: Option<String>,
    route_path: String,
    /// Help keys of the focused host element and its ancestors, innermost first.
    pub keys: Vec<String>,
    /// Keys the app set explicitly; they win over focus.
    pub explicit_keys: Option<Vec<String>>,
    pub roles: Vec<String>,
    /// From `setContext`; beats the page's languages.
    pub locale: Option<String>,
    /// From `data-locale`, `<html lang>` or the browser, in that order.
    pub page_locale: Option<String>,
    /// The host app's version, from `setContext({appVersion})`.
    pub app_version: Option<String>,
}

/// One `Cuecard('setContext', {...})` call; absent fields leave the context as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextUpdate {
    pub route: Option<Option<String>>,
    pub keys: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub locale: Option<Option<String>>,
    pub app_version: Option<Option<String>>,
}

impl PageContext {
    pub fn new(path: &str, page_locale: Option<String>) -> PageContext {
        PageContext { path: path.to_owned(), page_locale, ..PageContext::default() }
    }

    pub fn update(&mut self, update: ContextUpdate) {
        if let Some(route) = update.route {
            self.route = route.filter(|route| !route.is_empty());
            self.route_path.clone_from(&self.path);
        }
        if let Some(keys) = update.keys {
            self.explicit_keys = (!keys.is_empty()).then_some(keys);
        }
        if let Some(roles) = update.roles {
            self.roles = roles;
        }
        if let Some(locale) = update.locale {
            self.locale = locale.filter(|locale| !locale.is_empty());
        }
        if let Some(app_version) = update.app_version {
            self.app_version = app_version.filter(|version| !version.is_empty());
        }
    }

    /// The page moved (pushState, popstate, hashchange). A route set for another path is
    /// dropped; `keys_now_focused` are the keys of whatever has focus after the move.
    pub fn navigated(&mut self, path: &str, keys_now_focused: Vec<String>) {
        if path == self.path {
            return;
        }
        path.clone_into(&mut self.path);
        self.keys = keys_now_focused;
        self.explicit_keys = None;
    }

    /// Focus moved to a host element carrying these keys (innermost first).
    pub fn focused(&mut self, keys: Vec<String>) {
        self.keys = keys;
    }

    fn route_now(&self) -> Option<&str> {
        self.route.as_deref().filter(|_| self.route_path == self.path)
    }

    pub fn effective_keys(&self) -> &[String] {
        self.explicit_keys.as_deref().unwrap_or(&self.keys)
    }

    /// The worker's locale: from `setContext`, else the page's.
    pub fn locale_tag(&self) -> Option<&str> {
        self.locale.as_deref().or(self.page_locale.as_deref())
    }

    /// The query for `/v1/help`. The path never carries a query string or fragment.
    pub fn to_query(&self, site: &str) -> wire::HelpQuery {
        let join = |items: &[String]| (!items.is_empty()).then(|| items.join(","));
        wire::HelpQuery {
            site: site.to_owned(),
            path: Some(strip_query(&self.path).to_owned()).filter(|path| !path.is_empty()),
            route: self.route_now().map(str::to_owned),
            keys: join(self.effective_keys()),
            roles: join(&self.roles),
            locale: self.locale_tag().map(str::to_owned),
            app_version: self.app_version.clone(),
        }
    }
}

/// The path a worker is on: the hash's (`#/claims/42`, `#!/claims/42`) in a hash-routed app,
/// else the URL's; `/` for none.
pub fn page_path(pathname: &str, hash: &str) -> String {
    let routed = hash.strip_prefix('#').map(|hash| hash.strip_prefix('!').unwrap_or(hash));
    match routed.filter(|path| path.starts_with('/')) {
        Some(path) => strip_query(path).to_owned(),
        None if pathname.is_empty() => "/".to_owned(),
        None => pathname.to_owned(),
    }
}

fn strip_query(path: &str) -> &str {
    path.split(['?', '#']).next().unwrap_or_default()
}

/// Most help keys of one focus chain.
pub const FOCUS_KEYS_MAX: usize = 32;

/// Collects up to `max` help keys in the order given, skipping repeats and malformed values.
pub fn collect_keys<'a>(attributes: impl IntoIterator<Item = &'a str>, max: usize) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for attribute in attributes {
        let key = attribute.trim();
        // The service's own rule (`wire::rules`): a malformed key would cost the whole answer.
        if wire::rules::is_help_key(key) && !keys.iter().any(|known| known == key) && keys.len() < max {
            keys.push(key.to_owned());
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn route_from_set_context_is_sent_while_on_its_path() {
        let mut context = PageContext::new("/approvals/CLM-1042", Some("en".into()));
        context.update(ContextUpdate { route: Some(Some("/approvals/:id".into())), ..ContextUpdate::default() });
        assert_eq!(context.to_query("pk").route.as_deref(), Some("/approvals/:id"));

        // The app navigates without describing the new screen: the old route is stale.
        context.navigated("/approvals/CLM-1042/history", Vec::new());
        let query = context.to_query("pk");
        assert_eq!(query.route, None);
        assert_eq!(query.path.as_deref(), Some("/approvals/CLM-1042/history"));

        // It describes it after the move: that route applies.
        context
            .update(ContextUpdate { route: Some(Some("/approvals/:id/history".into())), ..ContextUpdate::default() });
        assert_eq!(context.to_query("pk").route.as_deref(), Some("/approvals/:id/history"));
    }

    #[test]
    fn hash_routed_apps_give_the_hash_path() {
        assert_eq!(page_path("/app/", "#/claims/42?tab=2"), "/claims/42");
        assert_eq!(page_path("/app/", "#!/claims/42"), "/claims/42");
        assert_eq!(page_path("/claims/new", "#section-2"), "/claims/new");
        assert_eq!(page_path("/claims/new", ""), "/claims/new");
        assert_eq!(page_path("", ""), "/");
    }

    #[test]
    fn focus_gives_keys_and_navigation_resets_them() {
        let mut context = PageContext::new("/claims/new", None);
        context.focused(strings(&["claim.vat-number", "claim.tax", "claim.form"]));
        assert_eq!(context.to_query("pk").keys.as_deref(), Some("claim.vat-number,claim.tax,claim.form"));
        context.navigated("/claims/new", Vec::new());
        assert!(context.to_query("pk").keys.is_some(), "same path is not a navigation");
        context.navigated("/claims", Vec::new());
        assert_eq!(context.to_query("pk").keys, None);
    }

    #[test]
    fn explicit_keys_and_locale_win() {
        let mut context = PageContext::new("/x", Some("de".into()));
        context.focused(strings(&["a"]));
        context.update(ContextUpdate {
            keys: Some(strings(&["b"])),
            roles: Some(strings(&["approver", "employee"])),
            locale: Some(Some("fr-CA".into())),
            app_version: Some(Some("2.3.1".into())),
            ..ContextUpdate::default()
        });
        let query = context.to_query("pk_demo");
        assert_eq!(query.app_version.as_deref(), Some("2.3.1"));
        assert_eq!(query.keys.as_deref(), Some("b"));
        assert_eq!(query.roles.as_deref(), Some("approver,employee"));
        assert_eq!(query.locale.as_deref(), Some("fr-CA"));
        context.update(ContextUpdate { locale: Some(None), keys: Some(Vec::new()), ..ContextUpdate::default() });
        let query = context.to_query("pk_demo");
        assert_eq!(query.locale.as_deref(), Some("de"));
        assert_eq!(query.keys.as_deref(), Some("a"));
    }

    #[test]
    fn the_path_never_carries_query_or_fragment() {
        let context = PageContext::new("/claims?id=42#top", None);
        assert_eq!(context.to_query("pk").path.as_deref(), Some("/claims"));
    }

    #[test]
    fn keys_are_deduplicated_and_checked() {
        let attributes = ["claim.vat-number", " claim.tax ", "", "bad key", "claim.tax", "claim.form"];
        assert_eq!(collect_keys(attributes, FOCUS_KEYS_MAX), strings(&["claim.vat-number", "claim.tax", "claim.form"]));
        assert_eq!(collect_keys(attributes, 2), strings(&["claim.vat-number", "claim.tax"]));
    }
}
