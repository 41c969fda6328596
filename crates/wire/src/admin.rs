//! The admin API's JSON (`/admin/v1`): what authors and owners send and receive.
//!
//! Times are RFC 3339 strings (`2027-01-01T00:00:00Z`); snippets carry their `version`, which is
//! also their ETag, for `If-Match` on every change.

use crate::{Card, ErrorDetail, Moment, Reason};
use serde::{Deserialize, Serialize};

/// Where a snippet applies: exactly one of `key`, `route` or `url`, as in the Markdown front matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum TargetSpec {
    /// A help key (`claim.vat-number`) or a trailing wildcard (`claim.*`).
    Key(String),
    /// The app's route template (`/claims/:id`).
    Route(String),
    /// A WHATWG URL pattern (`/approvals/:id`).
    Url(String),
}

/// Described by hand: one object with exactly one of the three properties, each with its syntax.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for TargetSpec {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Type};
        let variant = |name: &str, description: &str, pattern: &str, max_length: usize| {
            let value = ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .max_length(Some(max_length))
                .description(Some(description));
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(name, value)
                .required(name)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        OneOfBuilder::new()
            .item(variant(
                "key",
                "A help key (`claim.vat-number`) or a trailing wildcard (`claim.*`)",
                r"^[A-Za-z0-9._:-]{1,128}(\.\*)?$",
                130,
            ))
            .item(variant("route", "The app's route template (`/claims/:id`)", r"^/[^\s\x00-\x1f\x7f-\x9f]*$", 512))
            .item(variant("url", "A WHATWG URL pattern's pathname (`/approvals/:id`)", r"^/", 512))
            .description(Some("Where a snippet applies: exactly one of `key`, `route` or `url`."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for TargetSpec {}

/// Publication state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Published,
    Archived,
}

/// A snippet as an author writes it (`POST` creates one, `PUT` replaces one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SnippetInput {
    /// Stable name within the site (`claim-form/vat-number`); translations share it.
    #[cfg_attr(feature = "openapi", schema(max_length = 200, pattern = r"^[A-Za-z0-9_-]+([./][A-Za-z0-9_-]+)*$"))]
    pub slug: String,
    /// BCP 47 tag; the site's default locale when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 35, pattern = r"^([A-Za-z]{2,3}|[A-Za-z]{5,8})(-[A-Za-z0-9]{1,8})*$")
    )]
    pub locale: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub title: String,
    /// The body in Markdown, stored byte for byte and rendered to sanitized HTML on write.
    #[cfg_attr(feature = "openapi", schema(max_length = 65536))]
    pub markdown: String,
    pub moment: Moment,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 64))]
    pub targets: Vec<TargetSpec>,
    /// Roles it is for; empty for everyone.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 16))]
    pub roles: Vec<String>,
    #[serde(default, deserialize_with = "crate::integral::required")]
    pub priority: i32,
    /// `draft` when absent; publishing needs the publisher role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub publish_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub expire_at: Option<String>,
    /// Semver range of host app versions (`>=2.3, <3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub app_versions: Option<String>,
}

/// A snippet as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snippet {
    pub id: i64,
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub markdown: String,
    /// Sanitized HTML, as the widget shows it.
    pub html: String,
    pub moment: Moment,
    pub targets: Vec<TargetSpec>,
    pub roles: Vec<String>,
    pub priority: i32,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_versions: Option<String>,
    /// Bumped by every change; the ETag is `"<version>"`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A page of snippets; pass `next_after` as `after` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnippetList {
    pub snippets: Vec<Snippet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

/// Filters of `GET /admin/v1/sites/{site}/snippets`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SnippetListQuery {
    pub status: Option<Status>,
    #[cfg_attr(
        feature = "openapi",
        param(max_length = 35, pattern = r"^([A-Za-z]{2,3}|[A-Za-z]{5,8})(-[A-Za-z0-9]{1,8})*$")
    )]
    pub locale: Option<String>,
    pub moment: Option<Moment>,
    /// Snippets with this exact target (help key, route or URL pattern).
    pub target: Option<String>,
    /// Slugs starting with this.
    pub slug_prefix: Option<String>,
    /// Snippets with these words in their title, slug or Markdown (ignoring case).
    #[cfg_attr(feature = "openapi", param(max_length = 200))]
    pub text: Option<String>,
    /// The id after which the page starts.
    #[serde(default, deserialize_with = "crate::integral::optional")]
    pub after: Option<i64>,
    /// At most this many (default 50, at most 500).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    #[serde(default, deserialize_with = "crate::integral::optional")]
    pub limit: Option<u32>,
}

/// One state a snippet had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revision {
    pub version: i64,
    /// `import`, `cli` or `key:ID`.
    pub actor: String,
    pub created_at: String,
    pub snippet: SnippetInput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevisionList {
    /// Newest first.
    pub revisions: Vec<Revision>,
}

/// What changed between two revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevisionDiff {
    pub from: i64,
    pub to: i64,
    /// Names of the fields that differ (`title`, `markdown`, `targets`, …).
    pub changed: Vec<String>,
    /// A unified diff of the Markdown bodies; empty when they are equal.
    pub markdown_diff: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DiffQuery {
    /// The older revision to compare with; the one before by default.
    #[serde(default, deserialize_with = "crate::integral::optional")]
    pub against: Option<i64>,
}

/// The answer to a change refused because it was based on an old version (412): the current
/// snippet, so the client can show what changed and retry on top of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaleBody {
    pub error: ErrorDetail,
    pub current: Snippet,
}

/// A 412 answer to a site settings change based on an old version: the error and the current
/// settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaleSiteBody {
    pub error: ErrorDetail,
    pub current: Site,
}

/// Where the launcher sits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum LauncherPosition {
    #[default]
    BottomRight,
    BottomLeft,
}

/// The widget's look and wording for a site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WidgetSettings {
    #[serde(default)]
    pub position: LauncherPosition,
    /// Accent colour as `#rgb` or `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"))]
    pub accent_color: Option<String>,
    /// Text of the launcher button (up to 40 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 40, pattern = r"\S"))]
    pub launcher_label: Option<String>,
    /// Panel background as `#rgb` or `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"))]
    pub surface_color: Option<String>,
    /// Text colour as `#rgb` or `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"))]
    pub text_color: Option<String>,
    /// Corner radius of the panel, 0 to 24 pixels.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::integral::optional")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 24))]
    pub radius_px: Option<u8>,
    /// A CSS font-family list (`Inter, "Segoe UI", sans-serif`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[A-Za-z0-9 ,_\x27\x22-]*[A-Za-z0-9][A-Za-z0-9 ,_\x27\x22-]*$"
        )
    )]
    pub font: Option<String>,
    /// Help markers beside every field that has help, on every page of the site (a page can
    /// still turn them on or off itself with `data-hotspots`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hotspots: bool,
}

impl WidgetSettings {
    /// Checks colours and lengths; the message names the bad field.
    pub fn validate(&self) -> Result<(), String> {
        let colors = [
            ("accent_color", &self.accent_color),
            ("surface_color", &self.surface_color),
            ("text_color", &self.text_color),
        ];
        for (name, color) in colors {
            if let Some(color) = color {
                let hex = color.strip_prefix('#').unwrap_or_default();
                if !(matches!(hex.len(), 3 | 6) && hex.bytes().all(|byte| byte.is_ascii_hexdigit())) {
                    return Err(format!("{name} `{color}` is not `#rgb` or `#rrggbb`"));
                }
            }
        }
        if self.radius_px.is_some_and(|radius| radius > 24) {
            return Err("radius_px is 0 to 24".into());
        }
        if let Some(font) = &self.font {
            let allowed = |character: char| character.is_alphanumeric() || " ,-_'\"".contains(character);
            if font.trim().is_empty() || font.len() > 100 || !font.chars().all(allowed) {
                return Err(
                    "font is a font-family list: letters, digits, spaces, commas, hyphens and quotes, at most 100"
                        .into(),
                );
            }
        }
        if self.launcher_label.as_ref().is_some_and(|label| label.trim().is_empty() || label.chars().count() > 40) {
            return Err("launcher_label has 1 to 40 characters".into());
        }
        Ok(())
    }

    /// What the widget needs of these settings on the page: the theme as CSS custom properties
    /// (checked again here, as they go into a style rule), the launcher's side and text, hotspots.
    pub fn look(&self) -> crate::WidgetLook {
        let mut theme = String::new();
        let properties = [
            ("accent", &self.accent_color),
            ("surface", &self.surface_color),
            ("text", &self.text_color),
            ("font", &self.font),
        ];
        for (property, value) in properties {
            if let Some(value) =
                value.as_deref().filter(|value| value.len() <= 100 && !value.contains([';', '{', '}', '<', '\\']))
            {
                theme.push_str(&format!("--cc-{property}:{value};"));
            }
        }
        if let Some(radius) = self.radius_px.filter(|radius| *radius <= 24) {
            theme.push_str(&format!("--cc-radius:{radius}px;"));
        }
        crate::WidgetLook {
            left: self.position == LauncherPosition::BottomLeft,
            label: self.launcher_label.clone().filter(|label| !label.trim().is_empty()),
            theme,
            hotspots: self.hotspots,
        }
    }
}

/// A site as its owner manages it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Site {
    /// The public site key (`pk_…`) used in the embed.
    pub key: String,
    pub name: String,
    /// Origins allowed to call the public API from a browser.
    pub origins: Vec<String>,
    pub default_locale: String,
    /// Locales authors write in, the default first.
    pub locales: Vec<String>,
    pub widget: WidgetSettings,
    /// Bumped by every change to these settings; the `ETag` carries it, `PATCH` needs it back
    /// in `If-Match`.
    pub version: i64,
}

/// Changes to a site (`PATCH`); absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub origins: Option<Vec<String>>,
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 35, pattern = r"^([A-Za-z]{2,3}|[A-Za-z]{5,8})(-[A-Za-z0-9]{1,8})*$")
    )]
    pub default_locale: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub locales: Option<Vec<String>>,
    pub widget: Option<WidgetSettings>,
}

/// What an admin key may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    Viewer,
    Author,
    Publisher,
    Owner,
}

/// A secret key without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Key {
    pub id: i64,
    /// The start of the key (`sk_1a2b3c4d5e6f…`), to tell keys apart.
    pub prefix: String,
    pub role: KeyRole,
    pub label: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyList {
    pub keys: Vec<Key>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyCreate {
    pub role: KeyRole,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100, pattern = r"\S"))]
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyRotate {
    /// How long the old key keeps working (default 86400 s, at most 30 days).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 2592000))]
    #[serde(default, deserialize_with = "crate::integral::optional")]
    pub overlap_seconds: Option<i64>,
}

/// A key just made: `secret` is shown this once and cannot be recovered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedKey {
    pub key: Key,
    pub secret: String,
}

/// `POST /admin/v1/session`: a secret key exchanged for a console session (a cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The secret key (`sk_…`); the browser keeps only the session, never the key.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub key: String,
}

/// Who is signed in: the key (bearer or session) and its site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// The site's public key (`pk_…`).
    pub site: String,
    pub site_name: String,
    pub key: Key,
    /// When the console session ends by itself; absent for a bearer key without an expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// What the widget would show for a context, drafts included, each with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preview {
    pub snippets: Vec<PreviewCard>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewCard {
    #[serde(flatten)]
    pub card: Card,
    pub slug: String,
    pub status: Status,
}

/// "What shows here, and why not": the cards the widget would show for a context, in its order,
/// and the snippets one of whose targets fits the context that are not shown, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    pub shown: Vec<PreviewCard>,
    pub near_misses: Vec<NearMiss>,
}

/// A snippet that almost showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NearMiss {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub status: Status,
    /// How its target fitted the context.
    pub reason: Reason,
    /// Every reason it is not shown (at least one).
    pub why_not: Vec<WhyNot>,
}

/// Why a fitting snippet is not shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum WhyNot {
    /// A draft: only published snippets are shown.
    Draft,
    /// For these roles; the context has none of them.
    Role { needs: Vec<String> },
    /// Its locale is not in the context's fallback chain.
    Locale { locale: String, chain: Vec<String> },
    /// Its time window has not begun.
    NotYetPublished { publish_at: String },
    /// Its time window is over.
    Expired { expire_at: String },
    /// For host app versions in `range`; the context's version (if any) is not.
    AppVersion {
        range: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
    },
    /// A translation (same slug) ranks first and is shown instead.
    Translation { shown: i64 },
}

/// `POST /admin/v1/sites/{site}/preview/draft`: a draft checked as the author types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DraftCheck {
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    #[serde(default)]
    pub markdown: String,
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    #[serde(default)]
    pub targets: Vec<TargetSpec>,
}

/// The draft as the worker will see it, and what is wrong with each target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftChecked {
    /// The body rendered and sanitized exactly as saving it would.
    pub html: String,
    /// One entry per target, in order: `null` when it is fine, else what is wrong.
    pub targets: Vec<Option<String>>,
}

/// Which events a report counts: a date range (UTC days, inclusive; the last 30 days by
/// default) and optional filters on where and who.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", param(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", param(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub to: Option<String>,
    /// Only this place: a route template or URL pattern.
    pub route: Option<String>,
    /// Only this help key.
    pub key: Option<String>,
    /// Only workers with this role.
    pub role: Option<String>,
    pub locale: Option<String>,
    pub app_version: Option<String>,
    /// Only snippets of this moment (snippet report).
    pub moment: Option<Moment>,
    /// Rows per list (default 100, at most 1000); each list says how many rows it has in all.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    #[serde(default, deserialize_with = "crate::integral::optional")]
    pub limit: Option<u32>,
    /// Rows to skip in each list, for the next page.
    #[serde(default, deserialize_with = "crate::integral::optional")]
    pub offset: Option<u32>,
}

/// Views of a snippet by where they were opened from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ViewsBySource {
    pub panel: u64,
    pub hotspot: u64,
    pub search: u64,
    pub page: u64,
}

/// A worker's "not helpful" comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comment {
    pub at: String,
    pub text: String,
}

/// How one snippet did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnippetReportRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub moment: Moment,
    pub views: u64,
    pub views_by_source: ViewsBySource,
    pub helpful: u64,
    pub not_helpful: u64,
    /// helpful / (helpful + not helpful); absent without ratings.
    pub helpful_rate: Option<f64>,
    /// The 95% Wilson score interval of the rate.
    pub helpful_rate_low: Option<f64>,
    pub helpful_rate_high: Option<f64>,
    /// The latest "not helpful" comments, newest first (kept as long as the events are).
    pub comments: Vec<Comment>,
}

/// `GET …/reports/snippets`: most viewed first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnippetReport {
    pub from: String,
    pub to: String,
    /// Snippets viewed or rated in the range, in all (`snippets` is one page of them).
    pub total: u64,
    pub snippets: Vec<SnippetReportRow>,
}

/// Where help was opened: one place, key and set of roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandRow {
    /// Route template or URL pattern; empty when the page had neither.
    pub place: String,
    /// The focused field's help key; empty for the page.
    pub key: String,
    /// The workers' roles, comma-separated; empty for none.
    pub roles: String,
    /// Times the panel was opened here.
    pub opens: u64,
    /// Snippets viewed here.
    pub views: u64,
}

/// `GET …/reports/demand`: the points of work where help is opened most, first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandReport {
    pub from: String,
    pub to: String,
    /// Rows in all (`places` is one page of them).
    pub total: u64,
    pub places: Vec<DemandRow>,
    /// Help opened over time: every day of the range, oldest first (same filters).
    pub days: Vec<DemandDay>,
}

/// Panel opens and snippet views on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub opens: u64,
    pub views: u64,
}

/// A place and key where workers opened help and found nothing specific, or fields seen
/// without any help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GapRow {
    pub place: String,
    pub key: String,
    /// How often: panel opens without specific help, or times the field was on a page.
    pub count: u64,
}

/// Searches by their words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchGapRow {
    /// Lower case, single spaces.
    pub query: String,
    pub searches: u64,
    /// Searches that found nothing.
    pub empty: u64,
    /// Searches not followed by opening a result.
    pub without_view: u64,
}

/// `GET …/reports/gaps`: where help is missing, most frequent first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GapReport {
    pub from: String,
    pub to: String,
    /// Help opened with nothing for the field or place (only site-wide snippets).
    pub opened_without_help: Vec<GapRow>,
    pub opened_without_help_total: u64,
    /// Searches that found nothing or led to no snippet (no filter but the range applies).
    pub searches: Vec<SearchGapRow>,
    pub searches_total: u64,
    /// Fields (`data-help-key`) on workers' pages that have no snippet at all (filters on role
    /// and locale do not apply: pages are counted without them).
    pub fields_without_help: Vec<GapRow>,
    pub fields_without_help_total: u64,
}

/// `GET …/events`: which raw events to export, and how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct EventExportQuery {
    /// Only events with a greater `id`: the last `id` of the previous page (0 to start).
    #[serde(default, deserialize_with = "crate::integral::optional")]
    pub after: Option<i64>,
    /// At most this many events (default and most 10000).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 10000))]
    #[serde(default, deserialize_with = "crate::integral::optional")]
    pub limit: Option<u32>,
    /// `ndjson` (default) or `csv`.
    pub format: Option<ExportFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

/// One exported event: a line of NDJSON, or a CSV row with these columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedEvent {
    pub id: i64,
    pub at: String,
    pub kind: String,
    /// Route template or URL pattern; never a path.
    pub place: Option<String>,
    pub key: Option<String>,
    pub roles: Option<String>,
    pub locale: Option<String>,
    pub app_version: Option<String>,
    pub snippet: Option<i64>,
    pub via: Option<String>,
    pub query: Option<String>,
    pub results: Option<i64>,
    pub helpful: Option<bool>,
    pub specific: Option<bool>,
    pub comment: Option<String>,
}

/// How much of what workers met had help, for one place or one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageRow {
    /// The place (route template or URL pattern; empty for neither), or the day (`YYYY-MM-DD`).
    pub name: String,
    /// Distinct fields (`data-help-key`) seen.
    pub fields_seen: u64,
    /// Of those, how many had help.
    pub fields_with_help: u64,
    /// `fields_with_help / fields_seen`; absent when no field was seen.
    pub share: Option<f64>,
}

/// `GET …/reports/coverage`: the share of fields seen that have help, per place and per day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageReport {
    pub from: String,
    pub to: String,
    /// Places with the most fields first.
    pub places: Vec<CoverageRow>,
    /// Places in all (`places` is one page of them).
    pub places_total: u64,
    /// Oldest day first.
    pub days: Vec<CoverageRow>,
}

/// A published snippet none of whose targets workers' pages have shown lately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaleRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    /// The last day any of its targets was seen (`YYYY-MM-DD`); absent if never.
    pub last_seen: Option<String>,
    /// The newest host app version whose pages showed one of its targets.
    pub last_app_version: Option<String>,
    /// The first host app version after `last_app_version` that pages reported: where its
    /// targets vanished. Absent while the newest version still shows them.
    pub vanished_in: Option<String>,
}

/// `GET …/reports/stale`: published snippets whose keys, routes and patterns were not seen in
/// the range although the site had traffic, or vanished in a newer host app version; never
/// seen first, then the longest unseen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaleReport {
    pub from: String,
    pub to: String,
    /// Rows in all (`snippets` is one page of them).
    pub total: u64,
    pub snippets: Vec<StaleRow>,
}
