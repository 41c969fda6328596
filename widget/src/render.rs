//! The widget's views rendered to HTML natively (feature `ssr`): the service's first answer and
//! the launcher the loader shows before the wasm has loaded. The same components as in the
//! browser, so there is one renderer; the wasm takes the markup over when it mounts.

use crate::app::{App, Settings, Status, Ui};
use crate::context::PageContext;
use crate::events::Tracker;
use leptos::prelude::*;

/// The widget as it looks with `cards` for a worker in `locale`, the panel `open` or not.
pub fn widget_html(cards: &[wire::Card], locale: Option<&str>, look: &wire::WidgetLook, open: bool) -> String {
    Owner::new().with(|| {
        let ui = Ui::new(PageContext::new("/", locale.map(str::to_owned)), Tracker::new("", ""), None);
        ui.left.set(look.left);
        ui.label.set(look.label.clone());
        ui.cards.set(cards.to_vec());
        ui.status.set(Status::Ready);
        ui.open.set(open);
        let settings = Settings { site: String::new(), api: String::new() };
        // Read once, outside any reactive scope: nothing here is meant to track.
        untrack(|| view! { <App ui settings /> }.to_html())
    })
}

/// The closed launcher in each language the widget speaks, as `(tag, html)`, for the loader.
pub fn launchers() -> Vec<(&'static str, String)> {
    crate::i18n::Language::ALL
        .iter()
        .map(|language| (language.tag(), widget_html(&[], Some(language.tag()), &wire::WidgetLook::default(), false)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(id: i64, title: &str) -> wire::Card {
        wire::Card {
            id,
            title: title.into(),
            html: "<p>Body</p>".into(),
            moment: wire::Moment::Apply,
            reason: wire::Reason { kind: wire::ReasonKind::Route, target: None, role: None, locale: "en".into() },
        }
    }

    #[test]
    fn the_open_panel_lists_the_cards_escaped_beside_the_launcher() {
        let look = wire::WidgetLook { left: true, label: Some("Stuck?".into()), ..wire::WidgetLook::default() };
        let html = widget_html(&[card(7, "VAT <b>number</b>")], Some("de-CH"), &look, true);
        assert!(html.starts_with(r#"<div lang="de" dir="ltr" class="cc-root cc-left">"#), "{html}");
        assert!(html.contains(r#"id="cuecard-panel""#));
        assert!(html.contains(r#"data-snippet="7""#));
        assert!(html.contains("VAT &lt;b&gt;number&lt;/b&gt;"), "titles are text: {html}");
        assert!(html.contains(r#"aria-expanded="true""#));
        assert!(html.contains("Stuck?"));
        assert!(html.contains("Wie mache ich") || html.contains("Hilfe"), "German words: {html}");
    }

    #[test]
    fn the_closed_launcher_has_no_panel_and_speaks_each_language() {
        let launchers = launchers();
        assert_eq!(launchers.iter().map(|(tag, _)| *tag).collect::<Vec<_>>(), ["en", "de", "fr"]);
        for (tag, html) in &launchers {
            assert!(!html.contains("cuecard-panel\" role"), "{tag}: {html}");
            assert!(html.contains(r#"aria-expanded="false""#), "{tag}: {html}");
        }
        assert!(launchers[1].1.contains("Hilfe"));
    }

    #[test]
    fn an_empty_answer_says_so() {
        let html = widget_html(&[], None, &wire::WidgetLook::default(), true);
        assert!(html.contains("No help for this screen yet."), "{html}");
    }
}
