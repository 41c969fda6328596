//! `GET /openapi.json`: the public and admin APIs described from the handlers' own annotations,
//! generated once at start-up and served from memory (nothing is downloaded at build time).

use super::{events, health, help, keys, preview, revisions, search, sites, snippets, widget_config};
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
        help::resolve, help::hotspots, help::snippet, search::query, events::record, widget_config::show, health::live, health::ready,
        sites::read, sites::update,
        snippets::list, snippets::create, snippets::read, snippets::update, snippets::archive,
        snippets::publish, snippets::unpublish,
        revisions::list, revisions::diff, revisions::restore,
        keys::list, keys::create, keys::rotate, keys::revoke,
        preview::show,
    ),
    modifiers(&SecretKeyScheme),
    tags(
        (name = "public", description = "Called by the widget with the public site key; CORS for the site's origins."),
        (name = "snippets", description = "Authoring; changes need `If-Match`."),
        (name = "revisions"), (name = "sites"), (name = "keys"), (name = "preview"), (name = "ops"),
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
    }
}

/// The document as JSON bytes, made once.
pub fn document() -> bytes::Bytes {
    ApiDoc::openapi().to_json().map(bytes::Bytes::from).unwrap_or_default()
}

pub async fn serve(axum::extract::State(document): axum::extract::State<bytes::Bytes>) -> impl IntoResponse {
    ([(CONTENT_TYPE, HeaderValue::from_static("application/json"))], document)
}
