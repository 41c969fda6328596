//! The store's stories, each told on both backends: a real SQLite file and a fresh schema on a
//! real PostgreSQL server (see `store::testing`). A site is created, content imported,
//! resolved, re-imported, changed and reloaded; authors edit with versions; keys; reports.

use engine::render::Renderer;
use engine::{Context, Locale, Moment, SiteIndex, SiteSettings, Status, Target};
use store::testing::{Backend, TestDatabase};
use store::{Error, ImportOptions, Precondition, Role, SiteChanges, SiteSpec, SnippetDraft, SnippetFilter, Store};

store::on_both_backends!(
    story,
    authoring_story,
    a_new_render_policy_rerenders_every_snippet,
    stale_help_follows_what_pages_show_for_every_kind_of_target,
    a_database_a_newer_release_migrated_is_refused_with_a_clear_message,
);

fn locale(tag: &str) -> Locale {
    Locale::parse(tag).unwrap()
}

fn draft(slug: &str, targets: Vec<Target>) -> SnippetDraft {
    SnippetDraft {
        slug: slug.into(),
        locale: locale("en"),
        title: format!("About {slug}"),
        markdown: format!("Help on **{slug}**.\n\n<script>alert(1)</script>"),
        moment: Moment::Apply,
        roles: Vec::new(),
        priority: 0,
        status: Status::Published,
        targets,
        publish_at: None,
        expire_at: None,
        app_versions: None,
    }
}

fn spec() -> SiteSpec {
    SiteSpec {
        public_key: "pk_test_acme".into(),
        name: "Acme".into(),
        origins: vec!["http://127.0.0.1:8081".into()],
        default_locale: locale("en"),
        locales: Vec::new(),
    }
}

async fn resolve_slugs(store: &dyn Store, context: &Context) -> Vec<String> {
    let site = store.site("pk_test_acme").await.unwrap().unwrap();
    let mut builder = SiteIndex::builder(SiteSettings { default_locale: site.default_locale.clone() });
    for snippet in store.servable_snippets(site.id).await.unwrap() {
        builder.add(snippet).unwrap();
    }
    builder.build().resolve(context, 0).into_iter().map(|found| found.snippet.slug.clone()).collect()
}

async fn story(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let store = database.open().await;

    // A site is created, then updated in place by its key.
    let site = store.put_site(&spec()).await.unwrap();
    assert_eq!(site.origins, ["http://127.0.0.1:8081"]);
    let renamed = store.put_site(&SiteSpec { name: "Acme Corp".into(), ..spec() }).await.unwrap();
    assert_eq!((renamed.id, renamed.name.as_str()), (site.id, "Acme Corp"));
    assert!(store.put_site(&SiteSpec { public_key: "sk_nope".into(), ..spec() }).await.is_err());
    assert!(store.put_site(&SiteSpec { origins: vec!["http://x/path".into()], ..spec() }).await.is_err());

    // Content is imported and resolves.
    let content = vec![
        draft("vat", vec![Target::Key("claim.vat-number".into())]),
        draft("new-claim", vec![Target::Route("/claims/new".into())]),
        draft("policy", vec![]),
        SnippetDraft { status: Status::Draft, ..draft("unfinished", vec![Target::Key("claim.vat-number".into())]) },
    ];
    let report = store.import("pk_test_acme", content.clone(), store::ImportOptions::default()).await.unwrap();
    assert_eq!(report.created.len(), 4);
    let context = Context {
        path: Some("/claims/new".into()),
        route: Some("/claims/new".into()),
        keys: vec!["claim.vat-number".into()],
        ..Context::default()
    };
    assert_eq!(resolve_slugs(&*store, &context).await, ["vat", "new-claim", "policy"]);

    // HTML was sanitized on write; the Markdown is kept as written.
    let stored = store.servable_snippets(site.id).await.unwrap();
    let vat = stored.iter().find(|snippet| snippet.slug == "vat").unwrap();
    assert_eq!(vat.html, "<p>Help on <strong>vat</strong>.</p>\n");

    // Re-importing the same files changes nothing, not even the content version.
    let version_before = store.site("pk_test_acme").await.unwrap().unwrap().content_version;
    let report = store.import("pk_test_acme", content.clone(), store::ImportOptions::default()).await.unwrap();
    assert_eq!((report.created.len(), report.updated.len(), report.unchanged), (0, 0, 4));
    assert_eq!(store.site("pk_test_acme").await.unwrap().unwrap().content_version, version_before);

    // One changed file updates one row and bumps the version.
    let mut changed = content.clone();
    changed[2].title = "Expense policy".into();
    let report = store.import("pk_test_acme", changed.clone(), store::ImportOptions::default()).await.unwrap();
    assert_eq!(report.updated, ["policy (en)"]);
    assert!(store.site("pk_test_acme").await.unwrap().unwrap().content_version > version_before);

    // An import with one bad snippet changes nothing at all.
    let mut broken = changed.clone();
    broken[0].title = "VAT, renamed".into();
    broken.push(draft("bad", vec![Target::UrlPattern("/orders/(".into())]));
    assert!(matches!(
        store.import("pk_test_acme", broken, store::ImportOptions::default()).await,
        Err(Error::Invalid(_))
    ));
    let stored = store.servable_snippets(site.id).await.unwrap();
    assert_eq!(stored.iter().find(|snippet| snippet.slug == "vat").unwrap().title, "About vat");
    assert!(!stored.iter().any(|snippet| snippet.slug == "bad"));

    // Unknown sites are refused by name.
    assert!(matches!(
        store.import("pk_test_other", changed, store::ImportOptions::default()).await,
        Err(Error::UnknownSite(_))
    ));

    // Everything is stored: a fresh store on the same database sees it.
    drop(store);
    let reopened = database.open().await;
    assert_eq!(resolve_slugs(&*reopened, &context).await, ["vat", "new-claim", "policy"]);
    assert_eq!(reopened.sites().await.unwrap().len(), 1);
}

async fn authoring_story(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let store = database.open().await;
    let site = store.put_site(&spec()).await.unwrap();
    let import = |drafts| store.import("pk_test_acme", drafts, ImportOptions::default());
    import(vec![draft("vat", vec![Target::Key("claim.vat-number".into())])]).await.unwrap();

    // create → list → update → stale update refused → archive.
    let created = store
        .create_snippet(site.id, &draft("mileage", vec![Target::Route("/claims/new".into())]), "key:1")
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert!(matches!(
        store.create_snippet(site.id, &draft("mileage", vec![]), "key:1").await,
        Err(Error::Duplicate(_))
    ));
    let listed = store
        .snippets(site.id, &SnippetFilter { target: Some("/claims/new".into()), ..SnippetFilter::default() })
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|stored| stored.draft.slug.as_str()).collect::<Vec<_>>(), ["mileage"]);
    let page = store.snippets(site.id, &SnippetFilter { limit: Some(1), ..SnippetFilter::default() }).await.unwrap();
    let next =
        store.snippets(site.id, &SnippetFilter { after: Some(page[0].id), ..SnippetFilter::default() }).await.unwrap();
    assert_eq!((page.len(), next.len()), (1, 1));

    let edited = SnippetDraft { title: "Mileage rates".into(), ..created.draft.clone() };
    let updated = store.update_snippet(site.id, created.id, &1.into(), &edited, "key:1").await.unwrap();
    assert_eq!((updated.version, updated.draft.title.as_str()), (2, "Mileage rates"));
    let loser = SnippetDraft { title: "Mileage (stale)".into(), ..created.draft.clone() };
    match store.update_snippet(site.id, created.id, &1.into(), &loser, "key:2").await {
        Err(Error::Stale(current)) => assert_eq!((current.version, current.draft.title.as_str()), (2, "Mileage rates")),
        other => panic!("expected a stale version, got {other:?}"),
    }
    let same = store.update_snippet(site.id, created.id, &2.into(), &edited, "key:1").await.unwrap();
    assert_eq!(same.version, 2, "an update that changes nothing writes nothing");
    let archived = SnippetDraft { status: Status::Archived, ..edited.clone() };
    store.update_snippet(site.id, created.id, &2.into(), &archived, "key:1").await.unwrap();
    assert!(!store.servable_snippets(site.id).await.unwrap().iter().any(|snippet| snippet.id == created.id));

    // Revisions keep every state, newest first, with who wrote it.
    let revisions = store.revisions(site.id, created.id).await.unwrap();
    assert_eq!(revisions.iter().map(|revision| revision.version).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(revisions[2].draft, created.draft);
    assert_eq!(revisions[0].actor, "key:1");

    // An archived snippet's slug can be used again: the snippet comes back, history kept.
    let revived = store.create_snippet(site.id, &draft("mileage", vec![]), "key:2").await.unwrap();
    assert_eq!((revived.id, revived.version, revived.draft.status), (created.id, 4, Status::Published));
    assert_eq!(store.revisions(site.id, created.id).await.unwrap().len(), 4);
    // `*` matches any version, a list any of its versions, an empty list none.
    let starred = SnippetDraft { title: "Mileage (any)".into(), ..revived.draft.clone() };
    assert_eq!(
        store.update_snippet(site.id, created.id, &Precondition::Any, &starred, "key:1").await.unwrap().version,
        5
    );
    let listed = SnippetDraft { title: "Mileage (listed)".into(), ..revived.draft.clone() };
    let either = Precondition::OneOf(vec![2, 5]);
    assert_eq!(store.update_snippet(site.id, created.id, &either, &listed, "key:1").await.unwrap().version, 6);
    let none = Precondition::OneOf(Vec::new());
    assert!(matches!(store.update_snippet(site.id, created.id, &none, &edited, "key:1").await, Err(Error::Stale(_))));

    // Another site's ids are not found through this site.
    let other = store.put_site(&SiteSpec { public_key: "pk_test_other".into(), ..spec() }).await.unwrap();
    assert!(store.snippet(other.id, created.id).await.unwrap().is_none());
    assert!(matches!(
        store.update_snippet(other.id, created.id, &3.into(), &edited, "key:9").await,
        Err(Error::NotFound)
    ));
    assert!(matches!(store.revisions(other.id, created.id).await, Err(Error::NotFound)));

    // An import does not overwrite what was edited through the API since the last import.
    let vat = store.snippets(site.id, &SnippetFilter::default()).await.unwrap().remove(0);
    let by_api = SnippetDraft { title: "VAT (edited online)".into(), ..vat.draft.clone() };
    store.update_snippet(site.id, vat.id, &vat.version.into(), &by_api, "key:1").await.unwrap();
    let from_file = SnippetDraft { title: "VAT (from git)".into(), ..vat.draft.clone() };
    let report = import(vec![from_file.clone()]).await.unwrap();
    assert_eq!(report.conflicts, ["vat (en)"]);
    assert_eq!(store.snippet(site.id, vat.id).await.unwrap().unwrap().draft.title, "VAT (edited online)");
    let plan = store
        .import("pk_test_acme", vec![from_file.clone()], ImportOptions { force: true, dry_run: true })
        .await
        .unwrap();
    assert_eq!(plan.updated, ["vat (en)"]);
    assert_eq!(store.snippet(site.id, vat.id).await.unwrap().unwrap().draft.title, "VAT (edited online)");
    store.import("pk_test_acme", vec![from_file.clone()], ImportOptions { force: true, dry_run: false }).await.unwrap();
    assert_eq!(store.snippet(site.id, vat.id).await.unwrap().unwrap().draft.title, "VAT (from git)");
    assert!(import(vec![from_file]).await.unwrap().conflicts.is_empty());

    // Site settings change through the owner's API.
    let changes = SiteChanges {
        locales: Some(vec![locale("de"), locale("fr")]),
        widget_settings: Some(r##"{"accent":"#0b5cad"}"##.into()),
        ..SiteChanges::default()
    };
    let before = store.site("pk_test_acme").await.unwrap().unwrap();
    let changed = store.update_site(site.id, &before.settings_version.into(), &changes).await.unwrap();
    assert_eq!(changed.locales, [locale("en"), locale("de"), locale("fr")]);
    assert_eq!(changed.widget_settings, r##"{"accent":"#0b5cad"}"##);
    assert_eq!(changed.settings_version, before.settings_version + 1);
    // A second owner who read the settings before that change loses nothing of the first's.
    let stale = SiteChanges { origins: Some(vec!["https://other.example".into()]), ..SiteChanges::default() };
    match store.update_site(site.id, &before.settings_version.into(), &stale).await {
        Err(Error::StaleSite(current)) => assert_eq!(current.settings_version, changed.settings_version),
        other => panic!("expected stale settings, got {other:?}"),
    }
    let again = store.update_site(site.id, &changed.settings_version.into(), &changes).await.unwrap();
    assert_eq!(again.settings_version, changed.settings_version, "no change writes nothing");
    assert!(
        store
            .update_site(
                site.id,
                &Precondition::Any,
                &SiteChanges { origins: Some(vec!["ftp://x".into()]), ..SiteChanges::default() }
            )
            .await
            .is_err()
    );

    // Keys: shown once, found by their secret, revocable, rotated with an overlap.
    let owner = store.create_key(site.id, Role::Owner, "ops").await.unwrap();
    let presented = store::keys::check(&owner.plaintext).unwrap();
    assert_eq!(store.authenticate(&presented).await.unwrap().unwrap().role, Role::Owner);
    let rotated = store.rotate_key(site.id, owner.key.id, 3600).await.unwrap();
    assert!(store.authenticate(&presented).await.unwrap().is_some(), "the old key works during the overlap");
    let new_presented = store::keys::check(&rotated.plaintext).unwrap();
    assert_eq!(store.authenticate(&new_presented).await.unwrap().unwrap().id, rotated.key.id);
    store.rotate_key(site.id, rotated.key.id, 0).await.unwrap();
    assert!(store.authenticate(&new_presented).await.unwrap().is_none(), "no overlap: the key stops at once");
    store.revoke_key(site.id, owner.key.id).await.unwrap();
    assert!(store.authenticate(&presented).await.unwrap().is_none());
    assert!(matches!(store.revoke_key(other.id, owner.key.id).await, Err(Error::NotFound)));
    assert_eq!(store.keys(site.id).await.unwrap().len(), 3);

    // The last owner key that does not expire cannot be revoked: the site keeps a way in.
    let only = store.create_key(other.id, Role::Owner, "only").await.unwrap();
    assert!(matches!(store.revoke_key(other.id, only.key.id).await, Err(Error::Conflict(_))));
    let rotated_out = store.rotate_key(other.id, only.key.id, 3600).await.unwrap();
    assert!(
        matches!(store.revoke_key(other.id, rotated_out.key.id).await, Err(Error::Conflict(_))),
        "a key that expires soon does not count as a way in"
    );
    store.revoke_key(other.id, only.key.id).await.unwrap();
    let spare = store.create_key(other.id, Role::Owner, "spare").await.unwrap();
    store.revoke_key(other.id, rotated_out.key.id).await.unwrap();
    assert!(matches!(store.revoke_key(other.id, spare.key.id).await, Err(Error::Conflict(_))));

    // Retention deletes old events and keeps recent ones.
    let event = store::Event { kind: "panel_open".into(), ..store::Event::default() };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    store.record_events_at(site.id, now, &[event.clone(), event]).await.unwrap();
    assert_eq!(store.delete_events_before(now - 60).await.unwrap(), 0);
    assert_eq!(store.delete_events_before(now + 60).await.unwrap(), 2);
    assert!(store.events(site.id, 0, 10).await.unwrap().is_empty());
}

async fn a_new_render_policy_rerenders_every_snippet(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let store = database.open().await;
    let site = store.put_site(&spec()).await.unwrap();
    let with_image =
        SnippetDraft { markdown: "![chart](https://cdn.example.com/c.png)\n".into(), ..draft("chart", vec![]) };
    store.import("pk_test_acme", vec![with_image.clone()], ImportOptions::default()).await.unwrap();
    let first = store.servable_snippets(site.id).await.unwrap().remove(0);
    assert!(!first.html.contains("<img"));
    let version = store.site("pk_test_acme").await.unwrap().unwrap().content_version;
    drop(store);

    let allowing = database.open_with(Renderer::new(vec!["cdn.example.com".into()])).await;
    let rerendered = allowing.servable_snippets(site.id).await.unwrap().remove(0);
    assert!(rerendered.html.contains(r#"<img src="https://cdn.example.com/c.png""#), "{}", rerendered.html);
    assert!(allowing.site("pk_test_acme").await.unwrap().unwrap().content_version > version);
    let stored = allowing.snippet(site.id, rerendered.id).await.unwrap().unwrap();
    assert_eq!(stored.draft.markdown, with_image.markdown, "the Markdown is kept byte for byte");
}

async fn stale_help_follows_what_pages_show_for_every_kind_of_target(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let store = database.open().await;
    let site = store.put_site(&spec()).await.unwrap();
    let drafts = vec![
        draft("vat", vec![Target::Key("claim.vat-number".into())]),
        draft("claim-fields", vec![Target::Key("claim.*".into())]),
        draft("approvals", vec![Target::Route("/approvals/:id".into())]),
        draft("old-form", vec![Target::UrlPattern("/old/form".into())]),
        draft("everywhere", Vec::new()),
    ];
    store.import("pk_test_acme", drafts, ImportOptions::default()).await.unwrap();
    let id = |slug: &str| {
        let store = &store;
        let slug = slug.to_owned();
        async move {
            let all = store.snippets(site.id, &SnippetFilter::default()).await.unwrap();
            all.into_iter().find(|stored| stored.draft.slug == slug).unwrap().id
        }
    };
    let seen = |day, place: &str, key: &str, version: &str| store::CoverageCount {
        site_id: site.id,
        day,
        place: place.into(),
        help_key: key.into(),
        app_version: version.into(),
        seen: 2,
        helped: 0,
    };
    let versions: Vec<String> = vec!["2.3.0".into(), "2.4.0".into()];
    // Nothing seen yet: every snippet with targets is stale, the site-wide one never.
    let never = store.stale_targets(site.id, Some(10), &versions, 100, 0).await.unwrap().1;
    assert_eq!(never.len(), 4);
    assert!(never.iter().all(|row| row.last_day.is_none() && row.newest_version.is_none()));

    store
        .add_coverage(&[
            seen(12, "/claims/new", "claim.vat-number", "2.3.0"),
            seen(12, "/claims/new", "claim.project", "2.4.0"),
            seen(12, "/approvals/:id", "approval.reason", "2.4.0"),
            seen(3, "/old/form", "old.field", "2.3.0"),
        ])
        .await
        .unwrap();
    let stale = store.stale_targets(site.id, Some(10), &versions, 100, 0).await.unwrap().1;
    let summary: Vec<(i64, Option<i64>, Option<usize>)> =
        stale.iter().map(|row| (row.snippet_id, row.last_day, row.newest_version)).collect();
    // `old-form` not since day 3 (the longest unseen first); `vat` was seen on day 12 but only
    // on 2.3 pages; the key pattern and the route were seen on 2.4 pages on day 12: not stale.
    assert_eq!(summary, [(id("old-form").await, Some(3), Some(0)), (id("vat").await, Some(12), Some(0))]);

    // Changing a snippet's targets works its sightings out again.
    let vat = store.snippet(site.id, id("vat").await).await.unwrap().unwrap();
    let mut changed = vat.draft.clone();
    changed.targets = vec![Target::Key("claim.project".into())];
    store.update_snippet(site.id, vat.id, &Precondition::Any, &changed, "test").await.unwrap();
    let stale = store.stale_targets(site.id, Some(10), &versions, 100, 0).await.unwrap().1;
    assert_eq!(stale.iter().map(|row| row.snippet_id).collect::<Vec<_>>(), [id("old-form").await]);
}

async fn a_database_a_newer_release_migrated_is_refused_with_a_clear_message(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let store = database.open().await;
    let known = store.schema_version().await.unwrap();
    assert!(known >= 10, "{known}");
    drop(store);
    // A later release applied one more migration.
    let checksum = match database.backend() {
        Backend::Sqlite => "x'00'",
        Backend::Postgres => "'\\x00'::bytea",
    };
    database
        .execute(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES ({}, 'from the future', TRUE, {checksum}, 1)",
            known + 1
        ))
        .await;
    let error = database.try_open(Renderer::default()).await.map(drop).unwrap_err();
    assert!(
        matches!(error, Error::NewerDatabase { applied, known: k } if applied == known + 1 && k == known),
        "{error}"
    );
    assert!(error.to_string().contains("a newer release upgraded it"), "{error}");
}

/// Instances of a new release starting together on one PostgreSQL database: one applies the
/// migrations (under sqlx's advisory lock) and the render-policy step, the others find them done.
#[tokio::test]
async fn instances_starting_together_on_postgresql_migrate_once() {
    let database = TestDatabase::new(Backend::Postgres).await;
    let open = || database.try_open(Renderer::default());
    let (first, second, third, fourth) = tokio::join!(open(), open(), open(), open());
    let stores: Vec<_> =
        [first, second, third, fourth].into_iter().map(|store| store.expect("every instance starts")).collect();
    let newest = stores[0].schema_version().await.unwrap();
    for store in &stores {
        assert_eq!(store.schema_version().await.unwrap(), newest);
    }
    drop(stores);
    let store = database.open().await;
    store.put_site(&spec()).await.unwrap();
    assert_eq!(store.sites().await.unwrap().len(), 1);
    database
        .execute(
            "DO $$ BEGIN
                 IF (SELECT COUNT(*) FROM _sqlx_migrations) <> (SELECT COUNT(DISTINCT version) FROM _sqlx_migrations)
                 THEN RAISE EXCEPTION 'a migration was applied twice'; END IF;
             END $$",
        )
        .await;
}
