//! Search behaviour on a small multilingual site.

use super::*;
use crate::{Moment, SiteSettings, Status, Target};

fn locale(tag: &str) -> Locale {
    Locale::parse(tag).unwrap()
}

fn snippet(id: i64, slug: &str, title: &str, text: &str) -> Snippet {
    Snippet {
        id,
        slug: slug.into(),
        locale: locale("en"),
        title: title.into(),
        html: String::new(),
        moment: Moment::Apply,
        roles: Vec::new(),
        priority: 0,
        status: Status::Published,
        targets: Vec::new(),
        publish_at: None,
        expire_at: None,
        app_versions: None,
        text: text.into(),
    }
}

fn site() -> SiteIndex {
    let key = |name: &str| vec![Target::Key(name.into())];
    let snippets = vec![
        Snippet {
            targets: key("claim.receipt"),
            ..snippet(
                1,
                "receipt",
                "The receipt upload fails",
                "Upload a PDF, JPG or PNG receipt of at most 10 MB. Photos of crumpled receipts are fine.",
            )
        },
        snippet(
            2,
            "submit",
            "Submitting your first claim",
            "Claims are reimbursed with the next payroll run once approved.",
        ),
        Snippet {
            targets: key("claim.vat-number"),
            ..snippet(
                3,
                "vat",
                "Enter the VAT number",
                "Copy the merchant's VAT number from the receipt, with its country prefix.",
            )
        },
        Snippet {
            locale: locale("fr"),
            targets: key("claim.vat-number"),
            ..snippet(4, "vat", "Saisir le numéro de TVA", "Copiez le numéro de TVA du commerçant depuis le reçu.")
        },
        Snippet {
            locale: locale("de"),
            ..snippet(5, "kostenstelle", "Die richtige Kostenstelle finden", "Die Kostenstelle steht in Ihrem Profil.")
        },
        Snippet {
            roles: vec!["approver".into()],
            ..snippet(6, "limits", "Approval limits for receipts", "Approvers may approve receipts up to 5000 euros.")
        },
        Snippet {
            targets: key("claim.cost-centre"),
            ..snippet(7, "cost-centre", "Finding your team code", "Ask your manager if unsure.")
        },
        Snippet { status: Status::Draft, ..snippet(8, "draft", "Receipt rules draft", "Receipts receipts receipts.") },
        snippet(9, "escaping", "Odd characters", "Use <b>bold</b> & \"quotes\" when the receipt says so."),
        snippet(10, "vat-rates", "VAT rates explained", "Which VAT rate applies: the VAT rate printed on the receipt."),
    ];
    let mut builder = SiteIndex::builder(SiteSettings { default_locale: locale("en") });
    for snippet in snippets {
        builder.add(snippet).unwrap();
    }
    builder.build()
}

fn search(site: &SiteIndex, index: &SearchIndex, text: &str, context: &Context) -> Vec<i64> {
    index.search(site, text, context, 0, 10).unwrap().iter().map(|hit| hit.snippet.id).collect()
}

fn english() -> Context {
    Context { locale: Some(locale("en")), ..Context::default() }
}

#[test]
fn finds_stemmed_misspelled_and_half_typed_words() {
    let site = site();
    let index = SearchIndex::build(&site).unwrap();
    let cases = [
        ("stemming", "submitted claims", vec![2]),
        ("typo", "recipt upload", vec![1]),
        ("two typos in a long word", "reimbursd", vec![2]),
        ("prefix of the word being typed", "reimb", vec![2]),
        ("stop words are ignored", "how do I upload the receipt", vec![1]),
        ("help keys are searched", "cost centre", vec![7]),
        ("two words must both match", "receipt payroll", vec![]),
        ("from three words, one may miss", "upload receipt yesterday", vec![1]),
        ("nothing to search", "   ", vec![]),
    ];
    for (name, text, expected) in cases {
        assert_eq!(search(&site, &index, text, &english()), expected, "{name}: {text:?}");
    }
}

#[test]
fn answers_respect_locale_roles_and_status() {
    let site = site();
    let index = SearchIndex::build(&site).unwrap();
    // French reads the French translation in place of the English one.
    let french = Context { locale: Some(locale("fr-CA")), ..Context::default() };
    assert_eq!(search(&site, &index, "numéro TVA", &french), vec![4]);
    assert_eq!(search(&site, &index, "VAT number", &french), vec![4], "one hit per slug, best locale");
    // A German-only snippet does not reach English readers.
    assert_eq!(search(&site, &index, "Kostenstelle", &english()), Vec::<i64>::new());
    let german = Context { locale: Some(locale("de")), ..Context::default() };
    assert_eq!(search(&site, &index, "Kostenstellen", &german), vec![5]);
    // Role-specific snippets need the role; drafts are never found.
    assert!(!search(&site, &index, "receipts", &english()).contains(&6));
    let approver = Context { roles: vec!["approver".into()], ..english() };
    assert!(search(&site, &index, "approval limits", &approver).contains(&6));
    assert!(!search(&site, &index, "receipts rules", &approver).contains(&8));
}

#[test]
fn the_context_boosts_its_own_snippets() {
    // Two equally relevant snippets: id breaks the tie, until one matches the context.
    let mut builder = SiteIndex::builder(SiteSettings { default_locale: locale("en") });
    let targeted = |id, slug: &str, target: Target| Snippet {
        targets: vec![target],
        ..snippet(id, slug, &format!("About {slug}"), "Check the rate printed on the receipt.")
    };
    builder.add(targeted(1, "alpha", Target::Key("form.alpha".into()))).unwrap();
    builder.add(targeted(2, "beta", Target::Key("form.beta".into()))).unwrap();
    builder.add(targeted(3, "gamma", Target::Route("/claims/new".into()))).unwrap();
    let site = builder.build();
    let index = SearchIndex::build(&site).unwrap();
    assert_eq!(search(&site, &index, "rate", &english()), vec![1, 2, 3]);

    let on_beta = Context { keys: vec!["form.beta".into()], route: Some("/claims/new".into()), ..english() };
    let hits = index.search(&site, "rate", &on_beta, 0, 10).unwrap();
    let order: Vec<(i64, Option<MatchKind>)> =
        hits.iter().map(|hit| (hit.snippet.id, hit.context.as_ref().map(|reason| reason.kind))).collect();
    assert_eq!(
        order,
        vec![(2, Some(MatchKind::FieldKey)), (3, Some(MatchKind::Route)), (1, None)],
        "field key, then route, then the rest"
    );
}

#[test]
fn excerpts_mark_matches_and_escape_the_rest() {
    let site = site();
    let index = SearchIndex::build(&site).unwrap();
    let hits = index.search(&site, "recipt", &english(), 0, 10).unwrap();
    let escaping = hits.iter().find(|hit| hit.snippet.id == 9).unwrap();
    assert_eq!(
        escaping.excerpt,
        "Use &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot; when the <mark>receipt</mark> says so."
    );
    let receipt = hits.iter().find(|hit| hit.snippet.id == 1).unwrap();
    assert!(receipt.excerpt.contains("<mark>receipt</mark>"), "{}", receipt.excerpt);
    assert!(receipt.excerpt.contains("<mark>receipts</mark>"), "stems match too: {}", receipt.excerpt);
}

#[test]
fn long_bodies_are_cut_around_the_matches() {
    let filler = "lorem ipsum dolor sit amet ".repeat(20);
    let text = format!("{filler}the cost centre is on your badge. {filler}");
    let mut builder = SiteIndex::builder(SiteSettings { default_locale: locale("en") });
    builder.add(snippet(1, "long", "Long", &text)).unwrap();
    let site = builder.build();
    let index = SearchIndex::build(&site).unwrap();
    let hits = index.search(&site, "badge", &english(), 0, 5).unwrap();
    let excerpt = &hits[0].excerpt;
    assert!(excerpt.starts_with('…') && excerpt.ends_with('…'), "{excerpt}");
    assert!(excerpt.contains("<mark>badge</mark>"), "{excerpt}");
    assert!(excerpt.chars().count() <= EXCERPT_CHARS + 30, "{excerpt}");
}

#[test]
fn results_are_deterministic() {
    let site = site();
    let first = SearchIndex::build(&site).unwrap();
    let second = SearchIndex::build(&site).unwrap();
    for text in ["receipt", "claim", "vat", "r"] {
        assert_eq!(search(&site, &first, text, &english()), search(&site, &second, text, &english()), "{text}");
    }
}
