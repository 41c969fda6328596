//! Deterministic synthetic sites for benchmarks (feature `synthetic`): many screens of a
//! business app, each with its fields, sections, views and tabs, and the help written for them.
//!
//! Density per screen is fixed (50 snippets, 20 fields, 5 views, 3 tab patterns), so a
//! context matches about as many snippets in a site of 1k snippets as in one of 1M: what grows
//! is only what resolution must not look at.

use crate::{Context, Locale, Moment, Snippet, Status, Target};

/// Snippets per screen of the synthetic app.
pub const PER_SCREEN: usize = 50;
const FIELDS: u32 = 20;
const SECTIONS: u32 = 4;
const VIEWS: u32 = 5;
const TABS: u32 = 3;
const SITE_WIDE: usize = 10;
const ROLES: &[&str] = &["employee", "approver", "admin", "finance", "auditor"];

/// Words of help text; earlier words are drawn more often (roughly Zipf).
const WORDS: &[&str] = &[
    "claim",
    "receipt",
    "amount",
    "approve",
    "submit",
    "expense",
    "travel",
    "invoice",
    "payment",
    "report",
    "policy",
    "manager",
    "budget",
    "approval",
    "currency",
    "category",
    "reimburse",
    "mileage",
    "hotel",
    "flight",
    "meal",
    "project",
    "account",
    "number",
    "date",
    "rate",
    "limit",
    "tax",
    "vat",
    "total",
    "cost",
    "centre",
    "department",
    "employee",
    "supplier",
    "contract",
    "order",
    "purchase",
    "request",
    "form",
    "field",
    "enter",
    "select",
    "upload",
    "document",
    "attach",
    "scan",
    "photo",
    "error",
    "fails",
    "missing",
    "required",
    "optional",
    "check",
    "review",
    "reject",
    "return",
    "comment",
    "reason",
    "deadline",
    "month",
    "quarter",
    "payroll",
    "bank",
    "transfer",
    "card",
    "corporate",
    "personal",
    "advance",
    "balance",
    "refund",
    "deduct",
    "allowance",
    "daily",
    "overnight",
    "foreign",
    "exchange",
    "convert",
    "round",
    "split",
    "share",
    "guest",
    "client",
    "entertainment",
    "training",
    "course",
    "conference",
    "registration",
    "subscription",
    "software",
    "hardware",
    "equipment",
    "office",
    "supplies",
    "parking",
    "taxi",
    "train",
    "rental",
    "fuel",
    "toll",
    "insurance",
    "visa",
    "passport",
    "customs",
    "duty",
    "status",
    "draft",
    "pending",
    "approved",
    "rejected",
    "paid",
    "archived",
    "history",
    "audit",
    "trail",
    "change",
    "update",
    "new",
    "rule",
    "threshold",
    "exception",
    "escalate",
    "delegate",
    "substitute",
    "holiday",
    "absence",
    "notify",
    "email",
    "reminder",
    "search",
    "filter",
    "export",
    "print",
    "download",
    "template",
    "default",
    "setting",
    "profile",
    "role",
    "permission",
    "access",
    "login",
    "password",
    "security",
    "privacy",
    "data",
    "record",
    "entry",
    "line",
    "item",
    "quantity",
    "price",
    "discount",
    "net",
    "gross",
    "percentage",
    "code",
    "reference",
    "identifier",
    "country",
    "region",
    "city",
    "address",
    "postcode",
    "phone",
    "contact",
    "team",
    "colleague",
    "approver",
    "finance",
    "controller",
    "auditor",
    "administrator",
    "support",
    "helpdesk",
    "ticket",
];

/// One synthetic snippet, as an author would write it.
#[derive(Debug, Clone)]
pub struct SyntheticSnippet {
    pub slug: String,
    pub locale: &'static str,
    pub title: String,
    pub markdown: String,
    pub moment: Moment,
    pub roles: Vec<String>,
    pub priority: i32,
    pub targets: Vec<Target>,
}

fn word(rng: &mut fastrand::Rng) -> &'static str {
    // Squaring a uniform draw favours the front of the list.
    let uniform = rng.f64();
    WORDS[((uniform * uniform) * WORDS.len() as f64) as usize % WORDS.len()]
}

fn words(rng: &mut fastrand::Rng, count: usize) -> String {
    (0..count).map(|_| word(rng)).collect::<Vec<_>>().join(" ")
}

/// The `index`-th snippet of a synthetic site (same seed, same snippet).
pub fn snippet(index: usize, seed: u64) -> SyntheticSnippet {
    let mut rng = fastrand::Rng::with_seed(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let screen = index / PER_SCREEN;
    let targets = if index < SITE_WIDE {
        Vec::new()
    } else {
        match rng.u32(0..100) {
            0..45 => vec![Target::Key(format!("s{screen}.f{}", rng.u32(0..FIELDS)))],
            45..50 => vec![Target::Key(format!("s{screen}.*"))],
            50..70 => vec![Target::Route(format!("/s{screen}/view{}", rng.u32(0..VIEWS)))],
            70..85 => vec![Target::UrlPattern(format!("/s{screen}/:id/tab{}", rng.u32(0..TABS)))],
            85..95 => vec![Target::Key(format!("s{screen}.section{}", rng.u32(0..SECTIONS)))],
            _ => vec![
                Target::Key(format!("s{screen}.f{}", rng.u32(0..FIELDS))),
                Target::Route(format!("/s{screen}/view{}", rng.u32(0..VIEWS))),
            ],
        }
    };
    let roles = if rng.u32(0..100) < 30 { vec![ROLES[rng.usize(0..ROLES.len())].to_owned()] } else { Vec::new() };
    let locale = match rng.u32(0..100) {
        0..70 => "en",
        70..90 => "fr",
        _ => "de",
    };
    let moment = [Moment::New, Moment::More, Moment::Apply, Moment::Solve, Moment::Change][rng.usize(0..5)];
    let title_words = rng.usize(3..7);
    let title = words(&mut rng, title_words);
    let body_words = rng.usize(30..60);
    let markdown = format!("{}.\n\n- **{}**\n- {}\n", words(&mut rng, body_words), word(&mut rng), words(&mut rng, 6));
    SyntheticSnippet {
        slug: format!("s{screen}/n{index}"),
        locale,
        title,
        markdown,
        moment,
        roles,
        priority: rng.i32(0..3),
        targets,
    }
}

/// `count` snippets of a synthetic site, ready for an index (published, ids from 1).
pub fn engine_snippets(count: usize, seed: u64) -> impl Iterator<Item = Snippet> {
    let renderer = crate::render::Renderer::default();
    (0..count).map(move |index| {
        let synthetic = snippet(index, seed);
        Snippet {
            id: index as i64 + 1,
            slug: synthetic.slug,
            locale: Locale::parse(synthetic.locale).unwrap_or_else(|_| unreachable!("fixed tags")),
            title: synthetic.title,
            html: renderer.render(&synthetic.markdown),
            moment: synthetic.moment,
            roles: synthetic.roles,
            priority: synthetic.priority,
            status: Status::Published,
            targets: synthetic.targets,
            publish_at: None,
            expire_at: None,
            app_versions: None,
            text: crate::render::plain_text(&synthetic.markdown),
        }
    })
}

/// Contexts a worker of a synthetic site of `site_size` snippets might be in.
pub fn contexts(count: usize, site_size: usize, seed: u64) -> Vec<Context> {
    let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(1));
    let screens = site_size.div_ceil(PER_SCREEN).max(1);
    (0..count)
        .map(|_| {
            let screen = rng.usize(0..screens);
            let on_tab = rng.bool();
            let path = if on_tab {
                format!("/s{screen}/{}/tab{}", rng.u32(1..100_000), rng.u32(0..TABS))
            } else {
                format!("/s{screen}/view{}", rng.u32(0..VIEWS))
            };
            Context {
                route: (!on_tab).then(|| path.clone()),
                path: Some(path),
                keys: vec![
                    format!("s{screen}.f{}", rng.u32(0..FIELDS)),
                    format!("s{screen}.section{}", rng.u32(0..SECTIONS)),
                    format!("s{screen}.form"),
                ],
                roles: vec![ROLES[rng.usize(0..ROLES.len())].to_owned()],
                locale: Locale::parse(if rng.u32(0..100) < 75 { "en" } else { "fr-CA" }).ok(),
                app_version: None,
            }
        })
        .collect()
}

/// Queries a worker might type: one to three help words, a fifth of them with a typo.
pub fn queries(count: usize, seed: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(2));
    (0..count)
        .map(|_| {
            let word_count = rng.usize(1..4);
            let mut text = words(&mut rng, word_count);
            if rng.u32(0..100) < 20 && text.len() > 4 {
                // Drop one letter inside the first word.
                let position = rng.usize(1..3);
                text.remove(position);
            }
            text
        })
        .collect()
}
