//! `GET /openapi.json`: the public and admin APIs described from the handlers' own annotations,
//! generated once at start-up and served from memory (nothing is downloaded at build time).

use super::{
    events, events_export, health, help, keys, preview, reports, revisions, search, session, sites, snippets,
    widget_config,
};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Cuecard", description = "Contextual help at the point of work: the widget's public API and the \
        authors' admin API. Admin calls take `Authorization: Bearer sk_…`; errors are JSON with a stable `code`."),
    paths(
        help::resolve, help::hotspots, help::boot, help::snippet, search::query, events::record, widget_config::show, health::live, health::ready, crate::metrics::render,
        session::sign_in, session::show, session::sign_out,
        sites::read, sites::update,
        snippets::list, snippets::create, snippets::read, snippets::update, snippets::archive,
        snippets::publish, snippets::unpublish,
        revisions::list, revisions::diff, revisions::restore,
        keys::list, keys::create, keys::rotate, keys::revoke,
        preview::show, preview::explain, preview::draft,
        reports::snippets, reports::demand, reports::gaps, reports::coverage, reports::stale,
        events_export::export,
    ),
    modifiers(&SecretKeyScheme, &Exact),
    tags(
        (name = "public", description = "Called by the widget with the public site key; CORS for the site's origins."),
        (name = "snippets", description = "Authoring; changes need `If-Match`."),
        (name = "session", description = "The console's sign-in: a secret key exchanged for an HttpOnly session cookie."),
        (name = "revisions"), (name = "sites"), (name = "keys"), (name = "preview"), (name = "reports", description = "Insights: where help was wanted, whether it helped, where it is missing."), (name = "ops"),
    )
)]
pub struct ApiDoc;

struct SecretKeyScheme;

impl Modify for SecretKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("sk_…".into());
        components.add_security_scheme("secret_key", SecurityScheme::Http(scheme));
        let cookie =
            utoipa::openapi::security::ApiKey::Cookie(utoipa::openapi::security::ApiKeyValue::with_description(
                "cuecard_session",
                "A console session (`POST /admin/v1/session`). Changes made with it also need `Origin` of this \
             service and `x-cuecard-console: 1`.",
            ));
        components.add_security_scheme("session", SecurityScheme::ApiKey(cookie));
    }
}

/// Makes the document say everything each operation can answer, so clients (and the fuzz run
/// in `cargo xtask test`) can rely on it: the error statuses every operation of its shape can
/// return, parameters once each, and operation ids unique across resources (`snippets_read`).
struct Exact;

impl Modify for Exact {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let tag = operation.tags.as_ref().and_then(|tags| tags.first()).cloned().unwrap_or_default();
                if let Some(id) = operation.operation_id.as_mut()
                    && !id.starts_with(&format!("{tag}_"))
                {
                    *id = format!("{tag}_{id}");
                }
                if let Some(parameters) = operation.parameters.as_mut() {
                    let mut seen: Vec<(String, ParameterIn)> = Vec::new();
                    parameters.retain(|parameter| {
                        let first = !seen
                            .iter()
                            .any(|(name, place)| *name == parameter.name && *place == parameter.parameter_in);
                        seen.push((parameter.name.clone(), parameter.parameter_in.clone()));
                        first
                    });
                }
                let parameters = operation.parameters.as_deref().unwrap_or_default();
                let has_input = !parameters.is_empty() || operation.request_body.is_some();
                let conditional = parameters
                    .iter()
                    .any(|parameter| parameter.parameter_in == ParameterIn::Header && parameter.name == "If-Match");
                let admin = operation.security.as_ref().is_some_and(|security| !security.is_empty());
                // Everything a secret key may call, a console session may call too.
                if let Some(security) = operation.security.as_mut()
                    && security.len() == 1
                {
                    security.push(utoipa::openapi::security::SecurityRequirement::new("session", Vec::<String>::new()));
                }
                let public = tag == "public";
                let mut statuses: Vec<(u16, &str)> = vec![
                    (408, "The request took too long"),
                    (414, "The URL is too long"),
                    (431, "The request headers are too large"),
                    (500, "A fault of the service, logged with the request id"),
                ];
                if has_input {
                    statuses.push((400, "A parameter or the body is malformed"));
                }
                if admin {
                    statuses.extend([
                        (401, "No valid secret key"),
                        (403, "The key's role is too low"),
                        (404, "No such site or resource"),
                    ]);
                }
                if public {
                    statuses.extend([
                        (403, "The calling origin is not allowed"),
                        (404, "No such site"),
                        (429, "Over the rate limit; see Retry-After"),
                    ]);
                }
                if operation.request_body.is_some() {
                    statuses.extend([
                        (413, "The body is too large"),
                        (415, "The body is not JSON"),
                        (422, "The content breaks a rule"),
                    ]);
                }
                if conditional {
                    statuses.extend([
                        (412, "The resource changed since the ETag in If-Match"),
                        (428, "If-Match is missing"),
                    ]);
                }
                for (status, description) in statuses {
                    operation.responses.responses.entry(status.to_string()).or_insert_with(|| {
                        let body = utoipa::openapi::ContentBuilder::new()
                            .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                            .build();
                        utoipa::openapi::ResponseBuilder::new()
                            .description(description)
                            .content("application/json", body)
                            .build()
                            .into()
                    });
                }
            }
        }
    }
}

/// The document as JSON bytes, made once.
pub fn document() -> bytes::Bytes {
    ApiDoc::openapi().to_json().map(bytes::Bytes::from).unwrap_or_default()
}

pub async fn serve(axum::extract::State(document): axum::extract::State<bytes::Bytes>) -> impl IntoResponse {
    ([(CONTENT_TYPE, HeaderValue::from_static("application/json"))], document)
}
