//! Synthetic widget traffic for the demo: a believable month of panel opens, views, ratings and
//! searches on the demo app's screens, so the reports show something the moment the demo
//! starts. Every synthetic event carries the app version [`SYNTHETIC_APP_VERSION`], so no one
//! mistakes it for real traffic (the reports can filter it in or out by `app_version`).

use engine::Target;

/// The app version every synthetic event says it came from.
pub const SYNTHETIC_APP_VERSION: &str = "0.0.0-synthetic";

/// The demo app's screens: (place template, roles, help keys on it, relative demand).
const SCREENS: &[(&str, &str, &[&str], u32)] = &[
    (
        "/claims/new",
        "employee",
        &[
            "claim.vat-number",
            "claim.project",
            "claim.receipt",
            "claim.category",
            "claim.cost-centre",
            "claim.notes",
            "claim.amount",
        ],
        6,
    ),
    ("/claims/", "employee", &["claims.filter", "claims.status-filter"], 2),
    ("/approvals/:id", "approver", &["approval.approve", "approval.reject", "approval.comment"], 3),
];

/// What workers search for, and whether the demo's help has an answer.
const SEARCHES: &[(&str, bool)] =
    &[("mileage", true), ("per diem", false), ("lost receipt", true), ("vat", true), ("hotel limit", false)];

const COMMENTS: &[&str] = &[
    "I still don't know which receipt counts for a taxi",
    "What if the shop only gave me a card slip?",
    "Too long, I just needed the rule",
];

/// A month (or `days`) of events ending at `now`, as `(when, event)`, oldest first. `help` is the
/// site's published snippets (id and targets); keys without a snippet are the gaps.
pub fn traffic(help: &[(i64, Vec<Target>)], days: i64, now: engine::Timestamp, seed: u64) -> Vec<(i64, store::Event)> {
    let mut random = fastrand::Rng::with_seed(seed);
    let snippet_for = |key: &str| {
        help.iter().find(|(_, targets)| targets.iter().any(|target| matches!(target, Target::Key(k) if k == key)))
    };
    let event = |kind: &str, place: &str, key: Option<&str>, roles: &str| store::Event {
        kind: kind.into(),
        route: Some(place.into()),
        help_key: key.map(str::to_owned),
        locale: Some("en".into()),
        roles: Some(roles.into()),
        app_version: Some(SYNTHETIC_APP_VERSION.into()),
        ..store::Event::default()
    };
    let mut events = Vec::new();
    let today = now.div_euclid(86_400);
    for day in (today - days + 1)..=today {
        // Quieter at weekends (1970-01-01 was a Thursday).
        let weekday = (day + 3).rem_euclid(7);
        let busy = if weekday >= 5 { 1 } else { 4 };
        for (place, roles, keys, demand) in SCREENS {
            for _ in 0..(busy * demand + random.u32(0..=*demand)) {
                let at = day * 86_400 + 8 * 3600 + i64::from(random.u32(0..9 * 3600));
                if at > now {
                    continue;
                }
                let key = keys[random.usize(0..keys.len())];
                let helped = snippet_for(key);
                let mut open = event("panel_open", place, Some(key), roles);
                open.specific = Some(helped.is_some());
                open.results = Some(if helped.is_some() { 3 } else { 1 });
                events.push((at, open));
                let Some((id, _)) = helped else { continue };
                let mut view = event("snippet_view", place, Some(key), roles);
                view.snippet_id = Some(*id);
                view.via = Some(if random.u8(0..4) == 0 { "hotspot" } else { "panel" }.into());
                events.push((at + 5, view));
                if random.u8(0..3) == 0 {
                    // The receipt snippet helps less than the others: something to improve.
                    let helpful = random.u8(0..10) < if key == "claim.receipt" { 4 } else { 8 };
                    let mut rating = event("feedback", place, Some(key), roles);
                    rating.snippet_id = Some(*id);
                    rating.helpful = Some(helpful);
                    if !helpful && random.bool() {
                        rating.comment = Some(COMMENTS[random.usize(0..COMMENTS.len())].into());
                    }
                    events.push((at + 40, rating));
                }
            }
        }
        for _ in 0..busy {
            let (words, answered) = SEARCHES[random.usize(0..SEARCHES.len())];
            let at = day * 86_400 + 8 * 3600 + i64::from(random.u32(0..9 * 3600));
            if at > now {
                continue;
            }
            let mut search = event("search", "/claims/new", None, "employee");
            search.query = Some(words.into());
            search.results = Some(if answered { 2 } else { 0 });
            events.push((at, search));
            if answered && let Some((id, _)) = help.first() {
                let mut view = event("snippet_view", "/claims/new", None, "employee");
                view.snippet_id = Some(*id);
                view.via = Some("search".into());
                view.query = Some(words.into());
                events.push((at + 8, view));
            }
        }
    }
    events.sort_by_key(|(at, _)| *at);
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_synthetic_month_is_marked_has_a_gap_and_is_repeatable() {
        let help =
            vec![(1, vec![Target::Key("claim.vat-number".into())]), (2, vec![Target::Key("claim.receipt".into())])];
        let now = 20_000 * 86_400 + 18 * 3600;
        let month = traffic(&help, 30, now, 7);
        assert_eq!(month, traffic(&help, 30, now, 7), "the same seed, the same month");
        assert!(month.len() > 1000, "{} events", month.len());
        assert!(month.iter().all(|(at, event)| *at <= now
            && *at > now - 31 * 86_400
            && event.app_version.as_deref() == Some(SYNTHETIC_APP_VERSION)));
        assert!(
            month
                .iter()
                .any(|(_, event)| event.help_key.as_deref() == Some("claim.notes") && event.specific == Some(false))
        );
        assert!(month.iter().any(|(_, event)| event.kind == "feedback" && event.helpful == Some(false)));
        assert!(month.iter().any(|(_, event)| event.query.as_deref() == Some("per diem") && event.results == Some(0)));
    }
}
