//! Table tests of resolution: one fixture site, many contexts, the expected order and reasons.

use super::*;
use crate::Moment;
use proptest::prelude::*;

fn locale(tag: &str) -> Locale {
    Locale::parse(tag).unwrap()
}

fn snippet(id: i64, slug: &str, targets: Vec<Target>) -> Snippet {
    Snippet {
        id,
        slug: slug.into(),
        locale: locale("en"),
        title: slug.into(),
        html: format!("<p>{slug}</p>"),
        moment: Moment::Apply,
        roles: Vec::new(),
        priority: 0,
        status: Status::Published,
        targets,
        publish_at: None,
        expire_at: None,
        app_versions: None,
        text: format!("{slug} text"),
    }
}

fn key(name: &str) -> Target {
    Target::Key(name.into())
}
fn route(name: &str) -> Target {
    Target::Route(name.into())
}
fn pattern(name: &str) -> Target {
    Target::UrlPattern(name.into())
}

fn fixture() -> Vec<Snippet> {
    let mut snippets = vec![
        snippet(1, "vat", vec![key("claim.vat-number")]),
        Snippet { locale: locale("fr"), title: "TVA".into(), ..snippet(2, "vat", vec![key("claim.vat-number")]) },
        snippet(3, "tax", vec![key("claim.tax")]),
        snippet(4, "form", vec![key("claim.form")]),
        snippet(5, "new-claim", vec![route("/claims/new")]),
        snippet(6, "approval", vec![pattern("/approvals/:id")]),
        snippet(7, "policy", vec![]),
        Snippet { roles: vec!["approver".into()], ..snippet(8, "limits", vec![route("/claims/new")]) },
        Snippet { status: Status::Draft, ..snippet(9, "draft", vec![key("claim.vat-number")]) },
        Snippet { status: Status::Archived, ..snippet(10, "archived", vec![route("/claims/new")]) },
        Snippet { publish_at: Some(100), expire_at: Some(200), ..snippet(11, "rates", vec![]) },
        Snippet { priority: 5, ..snippet(12, "urgent", vec![route("/claims/new")]) },
        snippet(13, "both", vec![key("claim.form"), route("/claims/new")]),
        Snippet { locale: locale("de"), ..snippet(14, "german-only", vec![]) },
    ];
    snippets[1].moment = Moment::More;
    snippets
}

fn index_of(snippets: Vec<Snippet>) -> SiteIndex {
    let mut builder = SiteIndex::builder(SiteSettings { default_locale: locale("en") });
    for snippet in snippets {
        builder.add(snippet).unwrap();
    }
    builder.build()
}

fn context(path: &str, route: Option<&str>, keys: &[&str], roles: &[&str], locale_tag: Option<&str>) -> Context {
    Context {
        path: Some(path.into()),
        route: route.map(Into::into),
        keys: keys.iter().map(|key| key.to_string()).collect(),
        roles: roles.iter().map(|role| role.to_string()).collect(),
        locale: locale_tag.map(locale),
        app_version: None,
    }
}

fn ids(matches: &[Match<'_>]) -> Vec<i64> {
    matches.iter().map(|found| found.snippet.id).collect()
}

#[test]
fn resolution_table() {
    let index = index_of(fixture());
    let keys = ["claim.vat-number", "claim.tax", "claim.form"];
    #[rustfmt::skip]
    let cases: Vec<(&str, Context, i64, Vec<i64>)> = vec![
        ("nothing but site-wide on an unknown page",
            context("/elsewhere", None, &[], &[], None), 0, vec![7]),
        ("validity window opens at publish_at",
            context("/elsewhere", None, &[], &[], None), 100, vec![7, 11]),
        ("validity window closes at expire_at",
            context("/elsewhere", None, &[], &[], None), 200, vec![7]),
        ("route: priority first, then id; archived never",
            context("/claims/new", Some("/claims/new"), &[], &[], None), 0, vec![12, 5, 13, 7]),
        ("role-specific before generic within a kind",
            context("/claims/new", Some("/claims/new"), &[], &["approver"], None), 0, vec![8, 12, 5, 13, 7]),
        ("field key, then ancestors by depth, then route; drafts never",
            context("/claims/new", Some("/claims/new"), &keys, &[], None), 0, vec![1, 3, 4, 13, 12, 5, 7]),
        ("a translation replaces its original, in the best locale",
            context("/elsewhere", None, &keys[..1], &[], Some("fr-CA")), 0, vec![2, 7]),
        ("an unknown locale falls back to the site default",
            context("/elsewhere", None, &keys[..1], &[], Some("ja")), 0, vec![1, 7]),
        ("a locale outside the chain is never served",
            context("/x", None, &[], &[], Some("en-GB")), 0, vec![7]),
        ("url pattern matches the path",
            context("/approvals/CLM-1042", None, &[], &[], None), 0, vec![6, 7]),
        ("url pattern does not match a longer path",
            context("/approvals/CLM-1042/history", None, &[], &[], None), 0, vec![7]),
        ("a route template matches the path when the app told no route",
            context("/claims/new", None, &[], &[], None), 0, vec![12, 5, 13, 7]),
        ("the app's own route wins over its path",
            context("/claims/new", Some("/claims/:id"), &[], &[], None), 0, vec![7]),
    ];
    for (name, context, now, expected) in cases {
        assert_eq!(ids(&index.resolve(&context, now)), expected, "{name}");
    }
}

#[test]
fn route_templates_fit_the_path_segment_by_segment_and_say_which_template_matched() {
    let index = index_of(vec![
        snippet(1, "approval", vec![route("/approvals/:id")]),
        snippet(2, "history", vec![route("/approvals/:id/history")]),
        snippet(3, "splat", vec![route("/approvals/*")]),
    ]);
    let found = index.resolve(&context("/approvals/CLM-1042", None, &[], &[], None), 0);
    let reasons: Vec<(i64, MatchKind, Option<&str>)> =
        found.iter().map(|found| (found.snippet.id, found.reason.kind, found.reason.target)).collect();
    assert_eq!(reasons, vec![(1, MatchKind::Route, Some("/approvals/:id"))]);
    assert_eq!(ids(&index.resolve(&context("/approvals/CLM-1042/history", None, &[], &[], None), 0)), vec![2]);
    // An empty segment is no id; only the app's own syntax (`*` here) needs `setContext`.
    assert_eq!(ids(&index.resolve(&context("/approvals/", None, &[], &[], None), 0)), Vec::<i64>::new());
    assert_eq!(ids(&index.resolve(&context("/approvals/x", Some("/approvals/*"), &[], &[], None), 0)), vec![3]);
}

#[test]
fn wildcard_keys_rank_below_exact_keys_and_longer_prefixes_first() {
    let index = index_of(vec![
        snippet(1, "all-invoice", vec![key("invoice.*")]),
        snippet(2, "vat-section", vec![key("invoice.vat.*")]),
        snippet(3, "vat-number", vec![key("invoice.vat.number")]),
        snippet(4, "form", vec![key("invoice")]),
        snippet(5, "other", vec![key("order.*")]),
    ]);
    let found = index.resolve(&context("/", None, &["invoice.vat.number", "invoice"], &[], None), 0);
    let reasons: Vec<(i64, MatchKind, Option<&str>)> =
        found.iter().map(|found| (found.snippet.id, found.reason.kind, found.reason.target)).collect();
    assert_eq!(
        reasons,
        vec![
            (3, MatchKind::FieldKey, Some("invoice.vat.number")),
            (2, MatchKind::FieldKey, Some("invoice.vat.*")),
            (1, MatchKind::FieldKey, Some("invoice.*")),
            (4, MatchKind::AncestorKey(1), Some("invoice")),
        ]
    );
    // `invoice.*` covers keys below `invoice`, not `invoice` itself nor `invoices.x`.
    let found = index.resolve(&context("/", None, &["invoices.x"], &[], None), 0);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn field_help_gives_each_page_key_its_first_snippet() {
    let index = index_of(vec![
        snippet(1, "all-invoice", vec![key("invoice.*")]),
        snippet(3, "vat-number", vec![key("invoice.vat.number")]),
        Snippet { roles: vec!["approver".into()], ..snippet(4, "approve", vec![key("invoice.approve")]) },
        snippet(5, "screen", vec![route("/invoices/new")]),
        snippet(6, "everywhere", vec![]),
    ]);
    let page = context(
        "/invoices/new",
        Some("/invoices/new"),
        &["invoice.vat.number", "invoice.total", "invoice.approve", "customer.name", "invoice.total"],
        &[],
        None,
    );
    let spots: Vec<(i64, MatchKind, Option<&str>)> = index
        .field_help(&page, 0)
        .iter()
        .map(|found| (found.snippet.id, found.reason.kind, found.reason.target))
        .collect();
    // The prefix snippet marks `invoice.total`; `invoice.approve` only has help for approvers;
    // route and site-wide snippets and keys without help give no hotspot; repeats count once.
    assert_eq!(
        spots,
        vec![
            (3, MatchKind::FieldKey, Some("invoice.vat.number")),
            (1, MatchKind::FieldKey, Some("invoice.total")),
            (1, MatchKind::FieldKey, Some("invoice.approve")),
        ]
    );
    let approver = Context { roles: vec!["approver".into()], ..page.clone() };
    let approve =
        index.field_help(&approver, 0).into_iter().find(|found| found.reason.target == Some("invoice.approve"));
    assert_eq!(approve.map(|found| (found.snippet.id, found.reason.role)), Some((4, Some("approver"))));
}

#[test]
fn app_version_ranges_follow_the_host_apps_releases() {
    let ranged = |id, slug: &str, range: &str| Snippet {
        app_versions: Some(crate::parse_app_versions(range).unwrap()),
        ..snippet(id, slug, vec![route("/r")])
    };
    let index = index_of(vec![
        ranged(1, "old-ui", "<2.3"),
        ranged(2, "new-ui", ">=2.3, <3"),
        snippet(3, "any-version", vec![route("/r")]),
    ]);
    let at = |version: Option<&str>| {
        let context = Context {
            app_version: version.map(|version| crate::parse_app_version(version).unwrap()),
            ..context("/r", Some("/r"), &[], &[], None)
        };
        ids(&index.resolve(&context, 0))
    };
    assert_eq!(at(Some("2.2.9")), vec![1, 3]);
    assert_eq!(at(Some("2.3")), vec![2, 3]);
    assert_eq!(at(Some("3.0.0")), vec![3]);
    assert_eq!(at(None), vec![3], "a ranged snippet needs the app to say its version");
}

#[test]
fn ties_break_on_priority_then_id_and_locale_before_priority() {
    let index = index_of(vec![
        Snippet { priority: 1, ..snippet(30, "c", vec![route("/r")]) },
        Snippet { priority: 1, ..snippet(10, "a", vec![route("/r")]) },
        Snippet { priority: 9, locale: locale("en"), ..snippet(20, "b", vec![route("/r")]) },
        Snippet { priority: 0, locale: locale("de-CH"), ..snippet(40, "d", vec![route("/r")]) },
        Snippet { priority: 0, locale: locale("de"), ..snippet(50, "e", vec![route("/r")]) },
    ]);
    let found = index.resolve(&context("/r", Some("/r"), &[], &[], Some("de-CH")), 0);
    assert_eq!(ids(&found), vec![40, 50, 20, 10, 30]);
}

#[test]
fn reasons_name_what_matched() {
    let index = index_of(fixture());
    let found = index.resolve(
        &context("/claims/new", Some("/claims/new"), &["claim.vat-number", "claim.form"], &["approver"], Some("fr")),
        0,
    );
    type Row<'a> = (i64, MatchKind, Option<&'a str>, Option<&'a str>, &'a str);
    let reasons: Vec<Row<'_>> = found
        .iter()
        .map(|found| {
            let reason = &found.reason;
            (found.snippet.id, reason.kind, reason.target, reason.role, reason.locale.as_str())
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            (2, MatchKind::FieldKey, Some("claim.vat-number"), None, "fr"),
            (4, MatchKind::AncestorKey(1), Some("claim.form"), None, "en"),
            (13, MatchKind::AncestorKey(1), Some("claim.form"), None, "en"),
            (8, MatchKind::Route, Some("/claims/new"), Some("approver"), "en"),
            (12, MatchKind::Route, Some("/claims/new"), None, "en"),
            (5, MatchKind::Route, Some("/claims/new"), None, "en"),
            (7, MatchKind::SiteWide, None, None, "en"),
        ]
    );
}

#[test]
fn the_index_knows_when_time_alone_changes_answers() {
    let index = index_of(fixture());
    assert_eq!(index.next_change_after(0), Some(100));
    assert_eq!(index.next_change_after(100), Some(200));
    assert_eq!(index.next_change_after(200), None);
}

#[test]
fn drafts_are_served_only_by_a_preview_index() {
    let mut builder = SiteIndex::builder(SiteSettings { default_locale: locale("en") }).include_drafts(true);
    for snippet in fixture() {
        builder.add(snippet).unwrap();
    }
    let preview = builder.build();
    let found = preview.resolve(&context("/elsewhere", None, &["claim.vat-number"], &[], None), 0);
    assert_eq!(ids(&found), vec![1, 9, 7]);
    assert!(preview.snippet(10).is_none(), "archived snippets are never indexed");
}

#[test]
fn invalid_targets_are_refused_when_building() {
    let mut builder = SiteIndex::builder(SiteSettings { default_locale: locale("en") });
    for bad in [pattern("/orders/(unclosed"), pattern("no-slash"), key("has space"), route("relative")] {
        assert!(builder.add(snippet(1, "bad", vec![bad.clone()])).is_err(), "{bad:?}");
    }
}

fn arbitrary_snippet(id: i64) -> impl Strategy<Value = Snippet> {
    let target = prop_oneof![
        (0..6u8).prop_map(|n| key(&format!("k{n}"))),
        (0..4u8).prop_map(|n| route(&format!("/r{n}"))),
        (0..3u8).prop_map(|n| pattern(&format!("/p{n}/:id"))),
    ];
    (
        proptest::collection::vec(target, 0..3),
        proptest::option::of(prop_oneof![Just("a"), Just("b")]),
        prop_oneof![Just("en"), Just("fr"), Just("fr-CA")],
        -2..3i32,
        0..8u8,
    )
        .prop_map(move |(targets, role, locale_tag, priority, slug)| Snippet {
            roles: role.into_iter().map(Into::into).collect(),
            locale: locale(locale_tag),
            priority,
            ..snippet(id, &format!("s{slug}"), targets)
        })
}

fn arbitrary_site() -> impl Strategy<Value = Vec<Snippet>> {
    (1..40usize).prop_flat_map(|count| (1..=count as i64).map(arbitrary_snippet).collect::<Vec<_>>())
}

fn arbitrary_context() -> impl Strategy<Value = Context> {
    (
        proptest::collection::vec((0..6u8).prop_map(|n| format!("k{n}")), 0..4),
        proptest::option::of((0..4u8).prop_map(|n| format!("/r{n}"))),
        (0..3u8, 0..3u8).prop_map(|(n, id)| format!("/p{n}/{id}")),
        proptest::collection::vec(prop_oneof![Just("a".to_string()), Just("b".to_string())], 0..2),
        proptest::option::of(prop_oneof![Just("en"), Just("fr"), Just("fr-CA"), Just("de")]),
    )
        .prop_map(|(keys, route, path, roles, locale_tag)| Context {
            path: Some(path),
            route,
            keys,
            roles,
            locale: locale_tag.map(locale),
            app_version: None,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn resolution_is_deterministic_whatever_the_insertion_order(
        snippets in arbitrary_site(), context in arbitrary_context(), seed in any::<u64>()
    ) {
        let forward = index_of(snippets.clone());
        let mut shuffled = snippets;
        // A cheap deterministic shuffle driven by the seed.
        let len = shuffled.len();
        for position in 0..len {
            let other = (seed.wrapping_mul(position as u64 + 1) % len as u64) as usize;
            shuffled.swap(position, other);
        }
        let backward = index_of(shuffled);
        prop_assert_eq!(ids(&forward.resolve(&context, 0)), ids(&backward.resolve(&context, 0)));
        prop_assert_eq!(ids(&forward.resolve(&context, 0)), ids(&forward.resolve(&context, 0)));
    }

    #[test]
    fn an_unrelated_snippet_never_reorders_the_others(
        snippets in arbitrary_site(), context in arbitrary_context()
    ) {
        let before = ids(&index_of(snippets.clone()).resolve(&context, 0));
        let mut with_unrelated = snippets;
        with_unrelated.push(snippet(10_000, "unrelated", vec![key("never.in.context")]));
        let after = ids(&index_of(with_unrelated).resolve(&context, 0));
        prop_assert_eq!(before, after);
    }

    #[test]
    fn site_wide_never_outranks_a_field_key_match_of_the_same_role_and_locale(
        snippets in arbitrary_site(), context in arbitrary_context()
    ) {
        let index = index_of(snippets);
        let found = index.resolve(&context, 0);
        for (position, field) in found.iter().enumerate() {
            if field.reason.kind != MatchKind::FieldKey {
                continue;
            }
            let outranked = found[..position].iter().any(|earlier| {
                earlier.reason.kind == MatchKind::SiteWide
                    && earlier.reason.role == field.reason.role
                    && earlier.reason.locale == field.reason.locale
            });
            prop_assert!(!outranked);
        }
    }

    #[test]
    fn drafts_are_never_served(snippets in arbitrary_site(), context in arbitrary_context()) {
        let drafts: Vec<Snippet> = snippets
            .into_iter()
            .map(|snippet| Snippet { status: Status::Draft, ..snippet })
            .collect();
        prop_assert!(index_of(drafts).resolve(&context, 0).is_empty());
    }

    #[test]
    fn every_match_is_for_one_of_the_workers_roles_and_locales(
        snippets in arbitrary_site(), context in arbitrary_context()
    ) {
        let index = index_of(snippets);
        let english = locale("en");
        let chain = Locale::fallbacks(context.locale.as_ref(), &english);
        for found in index.resolve(&context, 0) {
            let snippet = found.snippet;
            prop_assert!(snippet.roles.is_empty() || snippet.roles.iter().any(|role| context.roles.contains(role)));
            prop_assert!(chain.contains(&snippet.locale.as_str()));
        }
    }

    #[test]
    fn explain_shows_what_workers_get_and_every_other_fitting_snippet_says_why_not(
        snippets in arbitrary_site(), context in arbitrary_context(), now in 0i64..300
    ) {
        let published: Vec<Snippet> =
            snippets.iter().filter(|snippet| snippet.status == Status::Published).cloned().collect();
        let served = index_of(published);
        let mut builder = SiteIndex::builder(SiteSettings { default_locale: locale("en") }).include_drafts(true);
        for snippet in snippets {
            builder.add(snippet).unwrap();
        }
        let with_drafts = builder.build();
        let explanation = with_drafts.explain(&context, now);
        prop_assert_eq!(ids(&explanation.shown), ids(&served.resolve(&context, now)));
        for near in &explanation.near_misses {
            prop_assert!(!near.misses.is_empty());
            prop_assert!(!ids(&explanation.shown).contains(&near.snippet.id));
        }
    }
}

fn explained(index: &SiteIndex, context: &Context, now: Timestamp) -> (Vec<i64>, Vec<(i64, Vec<String>)>) {
    let explanation = index.explain(context, now);
    let near = explanation
        .near_misses
        .iter()
        .map(|near| (near.snippet.id, near.misses.iter().map(|miss| format!("{miss:?}")).collect()))
        .collect();
    (ids(&explanation.shown), near)
}

#[test]
fn explain_names_every_reason_a_fitting_snippet_is_not_shown() {
    let mut snippets = fixture();
    snippets.push(Snippet {
        app_versions: Some(semver::VersionReq::parse(">=2").unwrap()),
        ..snippet(15, "v2-only", vec![route("/claims/new")])
    });
    snippets.push(Snippet {
        roles: vec!["approver".into()],
        locale: locale("de"),
        status: Status::Draft,
        ..snippet(16, "everything-wrong", vec![key("claim.form")])
    });
    let mut builder = SiteIndex::builder(SiteSettings { default_locale: locale("en") }).include_drafts(true);
    for snippet in snippets {
        builder.add(snippet).unwrap();
    }
    let index = builder.build();
    let worker = context("/claims/new", Some("/claims/new"), &["claim.vat-number", "claim.form"], &[], Some("en"));
    let (shown, near) = explained(&index, &worker, 300);
    assert_eq!(shown, vec![1, 4, 13, 12, 5, 7]);
    let near: std::collections::BTreeMap<i64, Vec<String>> = near.into_iter().collect();
    assert_eq!(near[&2], vec!["Locale { chain: [\"en\"] }".to_string()], "the French translation");
    assert_eq!(near[&9], vec!["Draft".to_string()]);
    assert_eq!(near[&8], vec!["Role { needs: [\"approver\"] }".to_string()]);
    assert_eq!(near[&11], vec!["Expired { expire_at: 200 }".to_string()]);
    assert_eq!(near[&14], vec!["Locale { chain: [\"en\"] }".to_string()]);
    assert_eq!(near[&15], vec!["AppVersion { range: VersionReq { comparators: [Comparator { op: GreaterEq, major: 2, minor: None, patch: None, pre: Prerelease(\"\") }] }, version: None }".to_string()]);
    assert_eq!(near[&16].len(), 3, "draft, role and locale: {:?}", near[&16]);
    assert!(!near.contains_key(&10), "archived snippets are not indexed at all");
    // Before its window, the same snippet says so; a French worker sees the translation instead.
    let (_, early) = explained(&index, &worker, 50);
    assert!(
        early
            .iter()
            .any(|(id, misses)| *id == 11 && misses == &vec!["NotYetPublished { publish_at: 100 }".to_string()])
    );
    let french = context("/claims/new", None, &["claim.vat-number"], &[], Some("fr"));
    let (shown, near) = explained(&index, &french, 300);
    assert_eq!(shown[0], 2);
    assert!(near.iter().any(|(id, misses)| *id == 1 && misses == &vec!["Translation { shown: 2 }".to_string()]));
}
