//! Where the console is: its pages live in the URL's fragment (`#/snippets/12`), so every page
//! can be bookmarked, reloaded and shared, and the service needs no route of its own per page.

/// The list's filters, as they appear in `#/snippets?…`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub text: String,
    pub status: String,
    pub moment: String,
    pub locale: String,
    pub target: String,
    /// The page's cursor: the id after which it starts.
    pub after: Option<i64>,
}

/// What a new snippet starts with ("write help for this" fills the key or route in).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSnippet {
    pub key: String,
    pub route: String,
    pub title: String,
    /// A translation: the slug and the snippet it translates.
    pub slug: String,
    pub locale: String,
    pub from: Option<i64>,
}

/// A context to explain, as in `#/explain?…`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExplainQuery {
    pub url: String,
    pub route: String,
    pub keys: String,
    pub roles: String,
    pub locale: String,
    pub app_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Snippets(ListFilter),
    New(NewSnippet),
    Edit(i64),
    Explain(ExplainQuery),
    Insights,
    Site,
}

impl Page {
    /// The page a fragment names; anything unknown is the snippet list.
    pub fn parse(fragment: &str) -> Page {
        let fragment = fragment.trim_start_matches('#');
        let (path, query) = fragment.split_once('?').unwrap_or((fragment, ""));
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let mut take = |name: &str| {
            pairs.iter().position(|(key, _)| key == name).map(|at| pairs.swap_remove(at).1).unwrap_or_default()
        };
        let segments: Vec<&str> = path.split('/').filter(|segment| !segment.is_empty()).collect();
        match segments.as_slice() {
            ["snippets", "new"] => Page::New(NewSnippet {
                key: take("key"),
                route: take("route"),
                title: take("title"),
                slug: take("slug"),
                locale: take("locale"),
                from: take("from").parse().ok(),
            }),
            ["snippets", id] => id.parse().map(Page::Edit).unwrap_or(Page::Snippets(ListFilter::default())),
            ["explain"] => Page::Explain(ExplainQuery {
                url: take("url"),
                route: take("route"),
                keys: take("keys"),
                roles: take("roles"),
                locale: take("locale"),
                app_version: take("app_version"),
            }),
            ["insights"] => Page::Insights,
            ["site"] => Page::Site,
            _ => Page::Snippets(ListFilter {
                text: take("text"),
                status: take("status"),
                moment: take("moment"),
                locale: take("locale"),
                target: take("target"),
                after: take("after").parse().ok(),
            }),
        }
    }

    /// The fragment for this page (`#/…`), with only the parameters that are set.
    pub fn href(&self) -> String {
        let with_query = |path: &str, pairs: &[(&str, &str)]| with_query(&format!("#/{path}"), pairs);
        match self {
            Page::Snippets(filter) => {
                let after = filter.after.map(|after| after.to_string()).unwrap_or_default();
                with_query(
                    "snippets",
                    &[
                        ("text", &filter.text),
                        ("status", &filter.status),
                        ("moment", &filter.moment),
                        ("locale", &filter.locale),
                        ("target", &filter.target),
                        ("after", &after),
                    ],
                )
            }
            Page::New(new) => {
                let from = new.from.map(|from| from.to_string()).unwrap_or_default();
                with_query(
                    "snippets/new",
                    &[
                        ("key", &new.key),
                        ("route", &new.route),
                        ("title", &new.title),
                        ("slug", &new.slug),
                        ("locale", &new.locale),
                        ("from", &from),
                    ],
                )
            }
            Page::Edit(id) => format!("#/snippets/{id}"),
            Page::Explain(query) => with_query(
                "explain",
                &[
                    ("url", &query.url),
                    ("route", &query.route),
                    ("keys", &query.keys),
                    ("roles", &query.roles),
                    ("locale", &query.locale),
                    ("app_version", &query.app_version),
                ],
            ),
            Page::Insights => "#/insights".into(),
            Page::Site => "#/site".into(),
        }
    }
}

/// `path?name=value&…`, values trimmed, empty ones left out.
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        if !value.trim().is_empty() {
            query.append_pair(name, value.trim());
        }
    }
    let query = query.finish();
    if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_reads_back_from_its_own_fragment() {
        let pages = [
            Page::Snippets(ListFilter::default()),
            Page::Snippets(ListFilter {
                text: "vat & tax".into(),
                status: "draft".into(),
                after: Some(40),
                ..ListFilter::default()
            }),
            Page::New(NewSnippet {
                key: "claim.vat-number".into(),
                route: "/claims/:id".into(),
                ..NewSnippet::default()
            }),
            Page::New(NewSnippet { slug: "vat".into(), locale: "de".into(), from: Some(3), ..NewSnippet::default() }),
            Page::Edit(12),
            Page::Explain(ExplainQuery { url: "https://app.example/claims/7?x=1".into(), ..ExplainQuery::default() }),
            Page::Insights,
            Page::Site,
        ];
        for page in pages {
            assert_eq!(Page::parse(&page.href()), page, "{}", page.href());
        }
    }

    #[test]
    fn unknown_fragments_open_the_list() {
        for fragment in ["", "#", "#/", "#/nowhere", "#/snippets/abc", "#main"] {
            assert_eq!(Page::parse(fragment), Page::Snippets(ListFilter::default()), "{fragment}");
        }
    }
}
