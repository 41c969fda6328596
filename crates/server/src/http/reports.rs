//! `/admin/v1/sites/{site}/reports/…`: the insights reports (viewer role and up), answered from
//! the daily rollups. Extract → store → `crate::reports` → convert.

use super::auth::AdminKey;
use super::convert::{moment_to_wire, time_to_wire};
use super::{ApiError, Path, Query};
use crate::AppState;
use crate::reports::{self, Filter};
use axum::extract::State;
use store::Role;

/// Days a report covers when no range is given.
const DEFAULT_DAYS: i64 = 30;
/// The longest range one report covers.
const MAX_DAYS: i64 = 400;
/// "Not helpful" comments shown per snippet.
const COMMENTS_PER_SNIPPET: u32 = 5;

/// The report's days (since 1970-01-01, UTC) and filters.
fn range_and_filter(query: &wire::admin::ReportQuery) -> Result<(i64, i64, Filter), ApiError> {
    let day_of = |name: &'static str, text: &str| {
        let date: jiff::civil::Date = text.parse().map_err(|_| ApiError::InvalidParameter {
            name,
            message: format!("`{text}` is not a date (YYYY-MM-DD)"),
        })?;
        let midnight = date
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map_err(|error| ApiError::InvalidParameter { name, message: error.to_string() })?;
        Ok::<_, ApiError>(midnight.timestamp().as_second().div_euclid(86_400))
    };
    let today = super::help::unix_now().div_euclid(86_400);
    let to = query.to.as_deref().map(|text| day_of("to", text)).transpose()?.unwrap_or(today);
    let from = query.from.as_deref().map(|text| day_of("from", text)).transpose()?.unwrap_or(to - (DEFAULT_DAYS - 1));
    if from > to || to - from >= MAX_DAYS {
        return Err(ApiError::InvalidParameter {
            name: "from",
            message: format!("`from` is on or before `to`, at most {MAX_DAYS} days apart"),
        });
    }
    let filter = Filter {
        place: query.route.clone(),
        help_key: query.key.clone(),
        role: query.role.clone(),
        locale: query.locale.clone(),
        app_version: query.app_version.clone(),
    };
    Ok((from, to, filter))
}

fn date(day: i64) -> String {
    jiff::Timestamp::from_second(day * 86_400).map_or_else(
        |_| day.to_string(),
        |timestamp| timestamp.to_zoned_datetime(jiff::tz::TimeZone::UTC).date().to_string(),
    )
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/reports/snippets", tag = "reports",
    description = "How each snippet did: views by where they were opened, helpful and not helpful with the \
        rate's 95% Wilson interval, and the latest \"not helpful\" comments. Most viewed first.",
    params(("site" = String, Path, description = "Public site key"), wire::admin::ReportQuery),
    responses((status = 200, body = wire::admin::SnippetReport)),
    security(("secret_key" = [])))]
pub async fn snippets(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::admin::ReportQuery>,
) -> Result<axum::Json<wire::admin::SnippetReport>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let (from, to, filter) = range_and_filter(&query)?;
    let rows = state.store.event_days(site.id, from, to).await?;
    let counts = reports::snippet_counts(&rows, &filter);
    let mut snippets = Vec::new();
    for (id, counts) in counts {
        let Some(stored) = state.store.snippet(site.id, id).await? else { continue };
        let moment = moment_to_wire(stored.draft.moment);
        if query.moment.is_some_and(|wanted| wanted != moment) {
            continue;
        }
        let rated = counts.helpful + counts.not_helpful;
        let interval = reports::wilson(counts.helpful, rated);
        #[allow(clippy::cast_precision_loss)]
        let rate = (rated > 0).then(|| counts.helpful as f64 / rated as f64);
        let comments = state
            .store
            .unhelpful_comments(site.id, id, COMMENTS_PER_SNIPPET)
            .await?
            .into_iter()
            .map(|(at, text)| wire::admin::Comment { at: time_to_wire(at), text })
            .collect();
        snippets.push(wire::admin::SnippetReportRow {
            id,
            slug: stored.draft.slug,
            title: stored.draft.title,
            moment,
            views: counts.views,
            views_by_source: wire::admin::ViewsBySource {
                panel: counts.panel,
                hotspot: counts.hotspot,
                search: counts.search,
                page: counts.page,
            },
            helpful: counts.helpful,
            not_helpful: counts.not_helpful,
            helpful_rate: rate,
            helpful_rate_low: interval.map(|(low, _)| low),
            helpful_rate_high: interval.map(|(_, high)| high),
            comments,
        });
    }
    snippets.sort_by(|a, b| b.views.cmp(&a.views).then_with(|| a.id.cmp(&b.id)));
    Ok(axum::Json(wire::admin::SnippetReport { from: date(from), to: date(to), snippets }))
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/reports/demand", tag = "reports",
    description = "Where workers open help most: panel opens and snippet views per place (route template or \
        URL pattern), help key and roles, most opened first.",
    params(("site" = String, Path, description = "Public site key"), wire::admin::ReportQuery),
    responses((status = 200, body = wire::admin::DemandReport)),
    security(("secret_key" = [])))]
pub async fn demand(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::admin::ReportQuery>,
) -> Result<axum::Json<wire::admin::DemandReport>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let (from, to, filter) = range_and_filter(&query)?;
    let rows = state.store.event_days(site.id, from, to).await?;
    let places = reports::demand(&rows, &filter)
        .into_iter()
        .map(|(place, key, roles, opens, views)| wire::admin::DemandRow { place, key, roles, opens, views })
        .collect();
    Ok(axum::Json(wire::admin::DemandReport { from: date(from), to: date(to), places }))
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/reports/gaps", tag = "reports",
    description = "Where help is missing: help opened with nothing specific for the field or place, searches \
        that found nothing or led to no snippet, and fields seen on workers' pages without any help. Most \
        frequent first.",
    params(("site" = String, Path, description = "Public site key"), wire::admin::ReportQuery),
    responses((status = 200, body = wire::admin::GapReport)),
    security(("secret_key" = [])))]
pub async fn gaps(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::admin::ReportQuery>,
) -> Result<axum::Json<wire::admin::GapReport>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let (from, to, filter) = range_and_filter(&query)?;
    // What this instance counted but has not written yet belongs in the report too.
    state.flush_coverage().await;
    let rows = state.store.event_days(site.id, from, to).await?;
    let gap = |(place, key, count)| wire::admin::GapRow { place, key, count };
    let opened_without_help = reports::opened_without_help(&rows, &filter).into_iter().map(gap).collect();
    let searches = reports::search_gaps(&state.store.search_days(site.id, from, to).await?)
        .into_iter()
        .map(|(query, searches, empty, without_view)| wire::admin::SearchGapRow {
            query,
            searches,
            empty,
            without_view,
        })
        .collect();
    let coverage = state.store.coverage(site.id, from, to).await?;
    let fields_without_help = reports::fields_without_help(&coverage, &filter).into_iter().map(gap).collect();
    Ok(axum::Json(wire::admin::GapReport {
        from: date(from),
        to: date(to),
        opened_without_help,
        searches,
        fields_without_help,
    }))
}
