//! `GET /admin/v1/sites/{site}/events`: the site's raw events (within retention) as NDJSON or
//! CSV, streamed page by page from the store, paged by cursor (`after` = the last `id` seen).

use super::auth::AdminKey;
use super::convert::time_to_wire;
use super::{ApiError, Path, Query};
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use store::{Role, StoredEvent};

/// Most events one answer carries; the default too.
const LIMIT_MAX: u32 = 10_000;
/// Events read from the store at a time while streaming.
const PAGE: u32 = 500;

fn exported(stored: StoredEvent) -> wire::admin::ExportedEvent {
    let event = stored.event;
    wire::admin::ExportedEvent {
        id: stored.id,
        at: time_to_wire(stored.created_at),
        kind: event.kind,
        place: event.route,
        key: event.help_key,
        roles: event.roles,
        locale: event.locale,
        app_version: event.app_version,
        snippet: event.snippet_id,
        via: event.via,
        query: event.query,
        results: event.results,
        helpful: event.helpful,
        specific: event.specific,
        comment: event.comment,
    }
}

/// One page of events in the chosen format (CSV with its header on the first page).
fn write_page(events: Vec<StoredEvent>, format: wire::admin::ExportFormat, header: bool) -> Result<Vec<u8>, String> {
    match format {
        wire::admin::ExportFormat::Ndjson => {
            let mut out = Vec::new();
            for event in events {
                serde_json::to_writer(&mut out, &exported(event)).map_err(|error| error.to_string())?;
                out.push(b'\n');
            }
            Ok(out)
        }
        wire::admin::ExportFormat::Csv => {
            let mut writer = csv::WriterBuilder::new().has_headers(header).from_writer(Vec::new());
            for event in events {
                writer.serialize(exported(event)).map_err(|error| error.to_string())?;
            }
            writer.into_inner().map_err(|error| error.to_string())
        }
    }
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/events", tag = "reports",
    description = "The site's raw events (those within `--events-retention-days`), oldest first, as NDJSON \
        (one `ExportedEvent` per line) or CSV with a header row. Page through with `after` set to the last \
        `id` received; an empty answer is the end.",
    params(("site" = String, Path, description = "Public site key"), wire::admin::EventExportQuery),
    responses((status = 200, description = "NDJSON or CSV", content((String = "application/x-ndjson"), (String = "text/csv")))),
    security(("secret_key" = [])))]
pub async fn export(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::admin::EventExportQuery>,
) -> Result<Response, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let limit = query.limit.unwrap_or(LIMIT_MAX);
    if !(1..=LIMIT_MAX).contains(&limit) {
        return Err(ApiError::InvalidParameter { name: "limit", message: format!("between 1 and {LIMIT_MAX}") });
    }
    let format = query.format.unwrap_or(wire::admin::ExportFormat::Ndjson);
    // The first page is read before answering, so a database error is still an error status.
    let first = state.store.events(site.id, query.after.unwrap_or(0), PAGE.min(limit)).await?;
    let store = state.store.clone();
    let pages = futures_util::stream::unfold(
        (Some(first), query.after.unwrap_or(0), limit, true),
        move |(ready, after, remaining, header)| {
            let store = store.clone();
            async move {
                if remaining == 0 {
                    return None;
                }
                let events = match ready {
                    Some(events) => events,
                    None => match store.events(site.id, after, PAGE.min(remaining)).await {
                        Ok(events) => events,
                        Err(error) => {
                            return Some((Err(std::io::Error::other(error.to_string())), (None, after, 0, false)));
                        }
                    },
                };
                if events.is_empty() {
                    // CSV still says what its columns are.
                    if header && format == wire::admin::ExportFormat::Csv {
                        let page = write_page(Vec::new(), format, true).map_err(std::io::Error::other);
                        return Some((page, (None, after, 0, false)));
                    }
                    return None;
                }
                let count = u32::try_from(events.len()).unwrap_or(u32::MAX);
                let next_after = events.last().map_or(after, |event| event.id);
                let page = write_page(events, format, header).map_err(std::io::Error::other);
                Some((page, (None, next_after, remaining.saturating_sub(count), false)))
            }
        },
    );
    let (content_type, file) = match format {
        wire::admin::ExportFormat::Ndjson => ("application/x-ndjson", "events.ndjson"),
        wire::admin::ExportFormat::Csv => ("text/csv; charset=utf-8", "events.csv"),
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}-{file}\"", site.public_key))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [(CONTENT_TYPE, HeaderValue::from_static(content_type)), (CONTENT_DISPOSITION, disposition)],
        Body::from_stream(pages),
    )
        .into_response())
}
