//! The only serialized surface of Cuecard: what the widget and API clients send and receive.
//!
//! Everything here is plain data with serde derives. It compiles for wasm32 (the widget) and
//! natively (the service), so it must stay free of I/O, regex and heavy formatting.

pub mod admin;
pub mod integral;
pub mod rules;

use serde::{Deserialize, Serialize};

/// Query parameters of `GET /v1/help`: where the worker is.
///
/// Lists travel comma-separated (`keys=claim.vat-number,claim.tax`) so URLs stay short and
/// cacheable; `keys` is innermost first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct HelpQuery {
    /// Public site key (`pk_…`).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        param(required = true, min_length = 1, max_length = 64, pattern = r"^pk_[A-Za-z0-9_]{3,61}$")
    )]
    pub site: String,
    /// `location.pathname`, without query string or fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 2048, pattern = r"^/[^?#\x00-\x1f\x7f-\x9f]*$"))]
    pub path: Option<String>,
    /// The app's own route template (`/orders/:id/edit`), when the app told us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 512, pattern = r"^/[^\s\x00-\x1f\x7f-\x9f]*$"))]
    pub route: Option<String>,
    /// Help keys of the focused element and its ancestors, innermost first, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(max_length = 8255, pattern = r"^[A-Za-z0-9._:-]{1,128}(,[A-Za-z0-9._:-]{1,128}){0,63}$")
    )]
    pub keys: Option<String>,
    /// The worker's roles, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(max_length = 1039, pattern = r"^[A-Za-z0-9._:-]{1,64}(,[A-Za-z0-9._:-]{1,64}){0,15}$")
    )]
    pub roles: Option<String>,
    /// BCP 47 language tag (`fr-CA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(max_length = 35, pattern = r"^([A-Za-z]{2,3}|[A-Za-z]{5,8})(-[A-Za-z0-9]{1,8})*$")
    )]
    pub locale: Option<String>,
    /// The host app's version (`2.3.1`), for snippets limited to version ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(
            max_length = 64,
            pattern = r"^[vV]?(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,2}(-(0|[1-9][0-9]{0,8}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]{0,8}|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
        )
    )]
    pub app_version: Option<String>,
}

/// Query parameters of `GET /v1/search`: the words, and the same context as `/v1/help`
/// (listed again rather than flattened: flattened numbers do not survive query strings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SearchQuery {
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        param(required = true, min_length = 1, max_length = 64, pattern = r"^pk_[A-Za-z0-9_]{3,61}$")
    )]
    pub site: String,
    /// What the worker typed.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(required = true, min_length = 1, max_length = 200, pattern = r"\S"))]
    pub q: String,
    /// How many hits at most (default 10, at most 50).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::integral::optional")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 50))]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 2048, pattern = r"^/[^?#\x00-\x1f\x7f-\x9f]*$"))]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 512, pattern = r"^/[^\s\x00-\x1f\x7f-\x9f]*$"))]
    pub route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(max_length = 8255, pattern = r"^[A-Za-z0-9._:-]{1,128}(,[A-Za-z0-9._:-]{1,128}){0,63}$")
    )]
    pub keys: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(max_length = 1039, pattern = r"^[A-Za-z0-9._:-]{1,64}(,[A-Za-z0-9._:-]{1,64}){0,15}$")
    )]
    pub roles: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(max_length = 35, pattern = r"^([A-Za-z]{2,3}|[A-Za-z]{5,8})(-[A-Za-z0-9]{1,8})*$")
    )]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(
            max_length = 64,
            pattern = r"^[vV]?(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,2}(-(0|[1-9][0-9]{0,8}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]{0,8}|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
        )
    )]
    pub app_version: Option<String>,
}

impl SearchQuery {
    /// The context part, as `/v1/help` takes it.
    pub fn context(&self) -> HelpQuery {
        HelpQuery {
            site: self.site.clone(),
            path: self.path.clone(),
            route: self.route.clone(),
            keys: self.keys.clone(),
            roles: self.roles.clone(),
            locale: self.locale.clone(),
            app_version: self.app_version.clone(),
        }
    }
}

/// Body of a `GET /v1/search` answer: best first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResponse {
    pub hits: Vec<SearchHit>,
}

/// One search result: the snippet, an excerpt around the matched words, and how it relates to
/// the worker's context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    pub id: i64,
    pub title: String,
    /// The whole snippet, sanitized, so it opens without another request.
    pub html: String,
    /// Escaped body text around the matches; matched words are wrapped in `<mark>`.
    pub excerpt: String,
    pub moment: Moment,
    pub score: f32,
    /// Present when the snippet also matches the worker's context (it was boosted for that).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

/// Body of a `GET /v1/help` answer: snippets in the order the worker should see them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HelpResponse {
    /// At most [`HelpResponse::CARDS_MAX`] for `/v1/help`.
    pub snippets: Vec<Card>,
    /// More snippets matched than were sent (only the best [`HelpResponse::CARDS_MAX`] are).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl HelpResponse {
    /// The most cards one help answer carries: a panel shows a handful; search finds the rest.
    pub const CARDS_MAX: usize = 20;
}

/// Body of `GET /v1/boot`: the widget's first answer, for the loader to show before the wasm has
/// loaded. `closed` and `open` are the widget's own views rendered on the service (the same
/// Leptos components the wasm runs), for the context asked about and the site's look.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Boot {
    /// What `GET /v1/help` answers for the same query.
    pub help: HelpResponse,
    pub look: WidgetLook,
    /// The launcher, with the site's label and side, in the worker's language.
    pub closed: String,
    /// The launcher and the open panel with `help`'s cards.
    pub open: String,
}

/// The site's look as the widget applies it (from the site's widget settings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WidgetLook {
    /// The launcher sits bottom left.
    #[serde(default)]
    pub left: bool,
    /// The site's launcher text, if it set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// CSS declarations of the site's theme (`--cc-accent:#0b5cad;`), empty for none.
    #[serde(default)]
    pub theme: String,
    /// The site turned hotspots on.
    #[serde(default)]
    pub hotspots: bool,
}

/// One snippet as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Card {
    pub id: i64,
    pub title: String,
    /// Sanitized HTML, rendered once when the snippet was written.
    pub html: String,
    pub moment: Moment,
    pub reason: Reason,
}

/// Body of `GET /v1/snippets/{id}`: one published snippet, for `Cuecard('show', id)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnippetBody {
    pub id: i64,
    pub title: String,
    pub html: String,
    pub moment: Moment,
    pub locale: String,
}

/// Gottfredson & Mosher's five moments of need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Moment {
    /// Learning to do something for the first time.
    New,
    /// Learning more about something.
    More,
    /// Doing it now.
    Apply,
    /// Something went wrong.
    Solve,
    /// Something changed.
    Change,
}

impl Moment {
    pub const ALL: [Moment; 5] = [Moment::New, Moment::More, Moment::Apply, Moment::Solve, Moment::Change];

    pub fn as_str(self) -> &'static str {
        match self {
            Moment::New => "new",
            Moment::More => "more",
            Moment::Apply => "apply",
            Moment::Solve => "solve",
            Moment::Change => "change",
        }
    }

    pub fn parse(text: &str) -> Option<Moment> {
        Moment::ALL.into_iter().find(|moment| moment.as_str() == text)
    }
}

/// Why a snippet was chosen for this context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    pub kind: ReasonKind,
    /// The help key, route template or URL pattern that matched; absent for site-wide snippets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The role that made a role-specific snippet apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The snippet's locale, which may be a fallback of the requested one.
    pub locale: String,
}

/// What kind of target matched, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// The help key of the focused element itself.
    FieldKey,
    /// The help key of an ancestor of the focused element.
    AncestorKey,
    /// The app's route template.
    Route,
    /// A URL pattern matching the path.
    UrlPattern,
    /// The snippet has no target and applies everywhere on the site.
    SiteWide,
}

impl ReasonKind {
    pub const ALL: [ReasonKind; 5] = [
        ReasonKind::FieldKey,
        ReasonKind::AncestorKey,
        ReasonKind::Route,
        ReasonKind::UrlPattern,
        ReasonKind::SiteWide,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReasonKind::FieldKey => "field_key",
            ReasonKind::AncestorKey => "ancestor_key",
            ReasonKind::Route => "route",
            ReasonKind::UrlPattern => "url_pattern",
            ReasonKind::SiteWide => "site_wide",
        }
    }

    pub fn parse(text: &str) -> Option<ReasonKind> {
        ReasonKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// Body of `POST /v1/events?site=…`: what happened in the widget, batched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventBatch {
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub events: Vec<Event>,
}

/// One thing a worker did. Carries where (route template, help key) but never who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub kind: EventKind,
    /// `location.pathname` without query string or fragment; checked, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2048, pattern = r"^/[^?#\x00-\x1f\x7f-\x9f]*$"))]
    pub path: Option<String>,
    /// The app's route template, which is stored instead of the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 512, pattern = r"^/[^\s\x00-\x1f\x7f-\x9f]*$"))]
    pub route: Option<String>,
    /// The focused field's help key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._:-]{1,128}$", max_length = 128))]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 35, pattern = r"^([A-Za-z]{2,3}|[A-Za-z]{5,8})(-[A-Za-z0-9]{1,8})*$")
    )]
    pub locale: Option<String>,
    /// The snippet viewed or rated.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::integral::optional")]
    pub snippet: Option<i64>,
    /// What was searched for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub query: Option<String>,
    /// How many snippets the panel or search showed.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::integral::optional")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10000))]
    pub results: Option<u32>,
    /// The answer to "Was this helpful?".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helpful: Option<bool>,
    /// The worker's roles, comma-separated, as the app told the widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 1039, pattern = r"^[A-Za-z0-9._:-]{1,64}(,[A-Za-z0-9._:-]{1,64}){0,15}$")
    )]
    pub roles: Option<String>,
    /// The host app's version, as the app told the widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 64, pattern = r"^[vV]?(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,2}$")
    )]
    pub app_version: Option<String>,
    /// Where a viewed snippet was opened from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<EventVia>,
    /// Why not, in the worker's words (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The panel was opened; `results` is how many snippets it listed.
    PanelOpen,
    /// A snippet was opened.
    SnippetView,
    /// A search ran; `results` is how many hits it found.
    Search,
    /// "Was this helpful?" was answered.
    Feedback,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::PanelOpen => "panel_open",
            EventKind::SnippetView => "snippet_view",
            EventKind::Search => "search",
            EventKind::Feedback => "feedback",
        }
    }
}

/// Where the worker opened a snippet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventVia {
    /// The panel's list for the worker's context.
    Panel,
    /// A hotspot beside a field.
    Hotspot,
    /// A search result (the event's `query` says what was searched).
    Search,
    /// The host page (`Cuecard('show', id)`).
    Page,
}

impl EventVia {
    pub fn as_str(self) -> &'static str {
        match self {
            EventVia::Panel => "panel",
            EventVia::Hotspot => "hotspot",
            EventVia::Search => "search",
            EventVia::Page => "page",
        }
    }
}

/// Answer to `POST /v1/events`: how many events were stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventsAccepted {
    pub accepted: u32,
}

/// Body of every 4xx and 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, snake_case, safe to match on (`unknown_site`).
    pub code: String,
    /// For humans; may change between versions.
    pub message: String,
}

/// Splits a comma-separated list parameter, dropping empty items and surrounding spaces.
pub fn split_list(list: Option<&str>) -> impl Iterator<Item = &str> {
    list.unwrap_or_default().split(',').map(str::trim).filter(|item| !item.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_query_round_trips_through_a_query_string() {
        let query = HelpQuery {
            site: "pk_demo_acme".into(),
            path: Some("/claims/new".into()),
            route: None,
            keys: Some("claim.vat-number,claim.tax".into()),
            roles: Some("employee".into()),
            locale: Some("fr-CA".into()),
            app_version: None,
        };
        let text = serde_urlencoded::to_string(&query).unwrap();
        assert_eq!(
            text,
            "site=pk_demo_acme&path=%2Fclaims%2Fnew&keys=claim.vat-number%2Cclaim.tax&roles=employee&locale=fr-CA"
        );
        assert_eq!(serde_urlencoded::from_str::<HelpQuery>(&text).unwrap(), query);
    }

    #[test]
    fn card_serializes_with_snake_case_enums() {
        let card = Card {
            id: 7,
            title: "VAT".into(),
            html: "<p>x</p>".into(),
            moment: Moment::Apply,
            reason: Reason {
                kind: ReasonKind::FieldKey,
                target: Some("claim.vat-number".into()),
                role: None,
                locale: "en".into(),
            },
        };
        let json = serde_json::to_string(&card).unwrap();
        assert_eq!(
            json,
            r#"{"id":7,"title":"VAT","html":"<p>x</p>","moment":"apply","reason":{"kind":"field_key","target":"claim.vat-number","locale":"en"}}"#
        );
        assert_eq!(serde_json::from_str::<Card>(&json).unwrap(), card);
    }

    #[test]
    fn moments_parse_from_their_names() {
        for moment in Moment::ALL {
            assert_eq!(Moment::parse(moment.as_str()), Some(moment));
            let json = serde_json::to_string(&moment).unwrap();
            assert_eq!(json, format!("\"{}\"", moment.as_str()), "as_str matches serde's name");
        }
        for kind in ReasonKind::ALL {
            assert_eq!(ReasonKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(Moment::parse("later"), None);
    }

    #[test]
    fn lists_split_on_commas_and_skip_blanks() {
        let items: Vec<_> = split_list(Some(" a, ,b,")).collect();
        assert_eq!(items, ["a", "b"]);
        assert_eq!(split_list(None).count(), 0);
    }
}
