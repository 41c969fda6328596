//! Insights: where help was wanted, whether it helped, where it is missing — from the reports
//! API. Every chart has a text summary and a table of the same numbers, and every gap has "write
//! help for this", which opens the editor with the key or place filled in.

use crate::api;
use crate::app::{Alert, console, set_title, table_region, text_rows};
use crate::charts::{Chart, Row};
use crate::i18n::Text;
use crate::route::{NewSnippet, Page};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::admin::{CoverageReport, DemandReport, GapReport, SnippetReport, StaleReport};

/// Rows per list on this page.
const ROWS: &str = "20";

#[derive(Debug, Clone, Default)]
struct Reports {
    demand: Option<DemandReport>,
    snippets: Option<SnippetReport>,
    gaps: Option<GapReport>,
    coverage: Option<CoverageReport>,
    stale: Option<StaleReport>,
}

/// `YYYY-MM-DD` of the day `days_ago` days before today (UTC).
fn day(days_ago: u32) -> String {
    let now = js_sys::Date::new_0();
    let then = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(now.get_time() - f64::from(days_ago) * 86_400_000.0));
    then.to_iso_string().as_string().unwrap_or_default().chars().take(10).collect()
}

#[component]
pub fn Insights(text: &'static Text) -> impl IntoView {
    let console = console();
    set_title(text.nav_insights);
    let range = RwSignal::new(30u32);
    let reports = RwSignal::new(Reports::default());
    let error = RwSignal::new(None::<String>);
    let site = console.site();
    Effect::new(move |_| {
        let days = range.get();
        let (from, to) = (day(days - 1), day(0));
        let site = site.clone();
        spawn_local(async move {
            let path = |report: &str| {
                api::with_query(
                    &api::site_path(&site, &format!("/reports/{report}")),
                    &[("from", &from), ("to", &to), ("limit", ROWS)],
                )
            };
            // Asked side by side: each fetch starts when the joint future is first polled.
            let (demand, snippets, gaps, coverage, stale) = futures_util::future::join5(
                api::get::<DemandReport>(&path("demand")),
                api::get::<SnippetReport>(&path("snippets")),
                api::get::<GapReport>(&path("gaps")),
                api::get::<CoverageReport>(&path("coverage")),
                api::get::<StaleReport>(&path("stale")),
            )
            .await;
            if let Some(failure) = [
                demand.as_ref().err(),
                snippets.as_ref().err(),
                gaps.as_ref().err(),
                coverage.as_ref().err(),
                stale.as_ref().err(),
            ]
            .into_iter()
            .flatten()
            .next()
            {
                error.set(Some(console.failed(failure)));
            }
            reports.set(Reports {
                demand: demand.ok(),
                snippets: snippets.ok(),
                gaps: gaps.ok(),
                coverage: coverage.ok(),
                stale: stale.ok(),
            });
        });
    });
    view! {
        <h1 tabindex="-1">{text.nav_insights}</h1>
        <div class="field range">
            <label for="range">{text.period}</label>
            <select id="range" on:change=move |event| range.set(event_target_value(&event).parse().unwrap_or(30))>
                {[7u32, 30, 90, 365].into_iter().map(|days| view! {
                    <option value=days.to_string() selected=days == 30>{format!("{days} {}", text.days)}</option>
                }).collect_view()}
            </select>
        </div>
        <Alert message=error/>
        {move || reports.get().demand.map(|demand| view! { <Opened text demand/> })}
        {move || reports.get().snippets.map(|report| view! { <Helpful text report/> })}
        {move || reports.get().demand.map(|demand| view! { <Demand text demand/> })}
        {move || reports.get().gaps.map(|gaps| view! { <Gaps text gaps/> })}
        {move || reports.get().stale.map(|stale| view! { <Stale text stale/> })}
        {move || reports.get().coverage.map(|coverage| view! { <Coverage text coverage/> })}
    }
}

/// A chart, its words and its table; `table` holds the rows' cells as text.
#[component]
fn Figure(
    text: &'static Text,
    title: String,
    chart: Chart,
    headers: Vec<&'static str>,
    table: Vec<Vec<String>>,
) -> impl IntoView {
    let summary = chart.summary(text);
    let legend = (chart.series.len() > 1).then(|| {
        view! {
            <ul class="legend">
                {chart.series.iter().enumerate().map(|(index, name)| view! {
                    <li><span class=format!("swatch swatch-{index}") aria-hidden="true"></span>{name.clone()}</li>
                }).collect_view()}
            </ul>
        }
    });
    view! {
        <figure class="chart-figure">
            <figcaption>{title.clone()}</figcaption>
            {legend}
            <div class="chart-box" inner_html=chart.svg(text)></div>
            <p class="summary">{summary}</p>
            <details>
                <summary>{format!("{} — {}", text.as_table, title)}</summary>
                {table_region(title.clone(), None, headers, None, text_rows(table))}
            </details>
        </figure>
    }
}

#[component]
fn Opened(text: &'static Text, demand: DemandReport) -> impl IntoView {
    let chart = Chart {
        id: "opened".into(),
        series: vec![text.opens.into(), text.views.into()],
        rows: demand
            .days
            .iter()
            .map(|day| Row { label: day.day.clone(), values: vec![day.opens as f64, day.views as f64] })
            .collect(),
        percent: false,
    };
    let table =
        demand.days.iter().map(|day| vec![day.day.clone(), day.opens.to_string(), day.views.to_string()]).collect();
    view! {
        <section aria-labelledby="opened-title">
            <h2 id="opened-title">{text.help_opened_over_time}</h2>
            <Figure text title=text.help_opened_over_time.into() chart headers=vec![text.day, text.opens, text.views] table/>
        </section>
    }
}

#[component]
fn Helpful(text: &'static Text, report: SnippetReport) -> impl IntoView {
    let rated: Vec<_> = report.snippets.iter().filter(|row| row.helpful_rate.is_some()).collect();
    let chart = Chart {
        id: "helpful".into(),
        series: vec![text.helpful_rate.into()],
        rows: rated
            .iter()
            .map(|row| Row { label: row.title.clone(), values: vec![row.helpful_rate.unwrap_or(0.0)] })
            .collect(),
        percent: true,
    };
    let percent =
        |value: Option<f64>| value.map(|value| format!("{:.0} %", value * 100.0)).unwrap_or_else(|| "—".into());
    let table = report
        .snippets
        .iter()
        .map(|row| {
            vec![
                row.title.clone(),
                row.views.to_string(),
                row.helpful.to_string(),
                row.not_helpful.to_string(),
                percent(row.helpful_rate),
                format!("{} – {}", percent(row.helpful_rate_low), percent(row.helpful_rate_high)),
            ]
        })
        .collect();
    let comments: Vec<_> = report.snippets.iter().filter(|row| !row.comments.is_empty()).cloned().collect();
    view! {
        <section aria-labelledby="helpful-title">
            <h2 id="helpful-title">{text.helpful_per_snippet}</h2>
            <p class="hint">{format!("{} {}", report.total, text.snippets_viewed)}</p>
            <Figure text title=text.helpful_per_snippet.into() chart
                headers=vec![text.title, text.views, text.helpful, text.not_helpful, text.helpful_rate, text.interval]
                table/>
            {(!comments.is_empty()).then(|| view! {
                <h3>{text.latest_comments}</h3>
                <ul class="comments">
                    {comments.into_iter().map(|row| view! {
                        <li>
                            <a href=Page::Edit(row.id).href()>{row.title.clone()}</a>
                            <ul>{row.comments.into_iter().map(|comment| view! { <li>{format!("“{}” — {}", comment.text, crate::i18n::short_time(&comment.at))}</li> }).collect_view()}</ul>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

fn or_page(text: &'static Text, place: &str) -> String {
    if place.is_empty() { text.no_place.to_owned() } else { place.to_owned() }
}

#[component]
fn Demand(text: &'static Text, demand: DemandReport) -> impl IntoView {
    let top: Vec<_> = demand.places.iter().take(10).collect();
    let label = |row: &wire::admin::DemandRow| {
        if row.key.is_empty() {
            or_page(text, &row.place)
        } else {
            format!("{} · {}", or_page(text, &row.place), row.key)
        }
    };
    let chart = Chart {
        id: "demand".into(),
        series: vec![text.opens.into(), text.views.into()],
        rows: top
            .iter()
            .map(|row| Row { label: label(row), values: vec![row.opens as f64, row.views as f64] })
            .collect(),
        percent: false,
    };
    let table = demand
        .places
        .iter()
        .map(|row| {
            vec![
                or_page(text, &row.place),
                row.key.clone(),
                if row.roles.is_empty() { "—".into() } else { row.roles.clone() },
                row.opens.to_string(),
                row.views.to_string(),
            ]
        })
        .collect();
    view! {
        <section aria-labelledby="demand-title">
            <h2 id="demand-title">{text.demand}</h2>
            <Figure text title=text.demand.into() chart
                headers=vec![text.place, text.help_key, text.roles, text.opens, text.views]
                table/>
        </section>
    }
}

fn write_help(text: &'static Text, new: NewSnippet, what: String) -> impl IntoView {
    view! {
        <a class="button write-help" href=Page::New(new).href()>
            {text.write_help}<span class="visually-hidden">{format!(": {what}")}</span>
        </a>
    }
}

#[component]
fn Gaps(text: &'static Text, gaps: GapReport) -> impl IntoView {
    let gap_rows = |rows: Vec<wire::admin::GapRow>| {
        rows.into_iter()
            .map(|row| {
                let what = if row.key.is_empty() {
                    or_page(text, &row.place)
                } else {
                    format!("{} · {}", or_page(text, &row.place), row.key)
                };
                let new = NewSnippet { key: row.key.clone(), route: row.place.clone(), ..NewSnippet::default() };
                view! {
                    <tr>
                        <td>{or_page(text, &row.place)}</td>
                        <td>{row.key.clone()}</td>
                        <td>{row.count.to_string()}</td>
                        <td>{write_help(text, new, what)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let gap_table = move |caption: &'static str, rows: Vec<wire::admin::GapRow>, total: u64| {
        let headers = vec![text.place, text.help_key, text.times];
        table_region(
            caption.into(),
            Some(format!("{caption} ({total})")),
            headers,
            Some(text.write_help),
            gap_rows(rows),
        )
    };
    view! {
        <section aria-labelledby="gaps-title">
            <h2 id="gaps-title">{text.gaps}</h2>
            {gap_table(text.fields_without_help, gaps.fields_without_help, gaps.fields_without_help_total)}
            {gap_table(text.opened_without_help, gaps.opened_without_help, gaps.opened_without_help_total)}
            {table_region(
                text.searches_without_answer.into(),
                Some(format!("{} ({})", text.searches_without_answer, gaps.searches_total)),
                vec![text.search_words, text.searches, text.found_nothing, text.nothing_opened],
                Some(text.write_help),
                gaps.searches.into_iter().map(|row| {
                    let new = NewSnippet { title: row.query.clone(), ..NewSnippet::default() };
                    view! {
                        <tr>
                            <td>{row.query.clone()}</td>
                            <td>{row.searches.to_string()}</td>
                            <td>{row.empty.to_string()}</td>
                            <td>{row.without_view.to_string()}</td>
                            <td>{write_help(text, new, row.query.clone())}</td>
                        </tr>
                    }
                }).collect_view(),
            )}
        </section>
    }
}

#[component]
fn Stale(text: &'static Text, stale: StaleReport) -> impl IntoView {
    view! {
        <section aria-labelledby="stale-title">
            <h2 id="stale-title">{text.stale}</h2>
            <p class="hint">{text.stale_hint}</p>
            {table_region(
                text.stale.into(),
                None,
                vec![text.title, text.last_seen, text.last_app_version, text.vanished_in],
                None,
                stale.snippets.into_iter().map(|row| view! {
                    <tr>
                        <td><a href=Page::Edit(row.id).href()>{row.title.clone()}</a></td>
                        <td>{row.last_seen.clone().unwrap_or_else(|| text.never.into())}</td>
                        <td>{row.last_app_version.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{row.vanished_in.clone().unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }).collect_view(),
            )}
        </section>
    }
}

#[component]
fn Coverage(text: &'static Text, coverage: CoverageReport) -> impl IntoView {
    let chart = Chart {
        id: "coverage".into(),
        series: vec![text.share_with_help.into()],
        rows: coverage
            .days
            .iter()
            .map(|row| Row { label: row.name.clone(), values: vec![row.share.unwrap_or(0.0)] })
            .collect(),
        percent: true,
    };
    let share = |row: &wire::admin::CoverageRow| {
        row.share.map(|share| format!("{:.0} %", share * 100.0)).unwrap_or_else(|| "—".into())
    };
    let cells = |name: String, row: &wire::admin::CoverageRow| {
        vec![name, row.fields_seen.to_string(), row.fields_with_help.to_string(), share(row)]
    };
    let days = coverage.days.iter().map(|row| cells(row.name.clone(), row)).collect();
    let places: Vec<Vec<String>> = coverage.places.iter().map(|row| cells(or_page(text, &row.name), row)).collect();
    view! {
        <section aria-labelledby="coverage-title">
            <h2 id="coverage-title">{text.coverage}</h2>
            <Figure text title=text.coverage.into() chart
                headers=vec![text.day, text.fields_seen, text.fields_with_help, text.share_with_help]
                table=days/>
            {table_region(
                text.coverage_by_place.into(),
                Some(format!("{} ({})", text.coverage_by_place, coverage.places_total)),
                vec![text.place, text.fields_seen, text.fields_with_help, text.share_with_help],
                None,
                text_rows(places),
            )}
        </section>
    }
}
