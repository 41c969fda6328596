//! One story per backend: a site is created, content imported, resolved, re-imported,
//! changed and reloaded from disk, on a real SQLite file.

use engine::render::Renderer;
use engine::{Context, Locale, Moment, SiteIndex, SiteSettings, Status, Target};
use store::{Error, SiteSpec, SnippetDraft, SqliteStore, Store};

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

#[tokio::test]
async fn sqlite_story() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("cuecard.db").display());
    let store = SqliteStore::open(&url, Renderer::default()).await.unwrap();

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
    let report = store.import("pk_test_acme", content.clone()).await.unwrap();
    assert_eq!(report.created.len(), 4);
    let context = Context {
        path: Some("/claims/new".into()),
        route: Some("/claims/new".into()),
        keys: vec!["claim.vat-number".into()],
        ..Context::default()
    };
    assert_eq!(resolve_slugs(&store, &context).await, ["vat", "new-claim", "policy"]);

    // HTML was sanitized on write; the Markdown is kept as written.
    let stored = store.servable_snippets(site.id).await.unwrap();
    let vat = stored.iter().find(|snippet| snippet.slug == "vat").unwrap();
    assert_eq!(vat.html, "<p>Help on <strong>vat</strong>.</p>\n");

    // Re-importing the same files changes nothing, not even the content version.
    let version_before = store.site("pk_test_acme").await.unwrap().unwrap().content_version;
    let report = store.import("pk_test_acme", content.clone()).await.unwrap();
    assert_eq!((report.created.len(), report.updated.len(), report.unchanged), (0, 0, 4));
    assert_eq!(store.site("pk_test_acme").await.unwrap().unwrap().content_version, version_before);

    // One changed file updates one row and bumps the version.
    let mut changed = content.clone();
    changed[2].title = "Expense policy".into();
    let report = store.import("pk_test_acme", changed.clone()).await.unwrap();
    assert_eq!(report.updated, ["policy (en)"]);
    assert!(store.site("pk_test_acme").await.unwrap().unwrap().content_version > version_before);

    // An import with one bad snippet changes nothing at all.
    let mut broken = changed.clone();
    broken[0].title = "VAT, renamed".into();
    broken.push(draft("bad", vec![Target::UrlPattern("/orders/(".into())]));
    assert!(matches!(store.import("pk_test_acme", broken).await, Err(Error::Invalid(_))));
    let stored = store.servable_snippets(site.id).await.unwrap();
    assert_eq!(stored.iter().find(|snippet| snippet.slug == "vat").unwrap().title, "About vat");
    assert!(!stored.iter().any(|snippet| snippet.slug == "bad"));

    // Unknown sites are refused by name.
    assert!(matches!(store.import("pk_test_other", changed).await, Err(Error::UnknownSite(_))));

    // Everything is on disk: a fresh store on the same file sees it.
    drop(store);
    let reopened = SqliteStore::open(&url, Renderer::default()).await.unwrap();
    assert_eq!(resolve_slugs(&reopened, &context).await, ["vat", "new-claim", "policy"]);
    assert_eq!(reopened.sites().await.unwrap().len(), 1);
}
