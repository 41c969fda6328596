//! Markdown to safe HTML, done once when a snippet is written; the widget inserts only this.
//!
//! The policy is tighter than ammonia's default: https and mailto links only, opened in a new
//! tab with `rel="noopener noreferrer nofollow ugc"`, images only from hosts the operator
//! allows, no relative URLs, and only the tags a help snippet needs (no svg, math, style,
//! iframe, forms).

use pulldown_cmark::{Options, Parser, html};
use std::collections::HashSet;

/// Tags a snippet may contain after sanitizing.
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

/// Turns author Markdown into HTML that cannot run script or leak the worker elsewhere.
pub struct Renderer {
    sanitizer: ammonia::Builder<'static>,
    fingerprint: String,
}

/// Raised whenever the rendering or sanitizing rules change, so stores re-render what they hold.
const POLICY_VERSION: u32 = 1;

impl std::fmt::Debug for Renderer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Renderer").finish_non_exhaustive()
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::new(Vec::new())
    }
}

impl Renderer {
    /// `image_hosts`: hosts (`cdn.example.com`) whose https images snippets may show.
    pub fn new(image_hosts: Vec<String>) -> Renderer {
        let mut sorted_hosts = image_hosts.clone();
        sorted_hosts.sort();
        sorted_hosts.dedup();
        let fingerprint = format!("policy={POLICY_VERSION};img={}", sorted_hosts.join(","));
        let mut tags: HashSet<&'static str> = TAGS.iter().copied().collect();
        if !image_hosts.is_empty() {
            tags.insert("img");
        }
        let mut sanitizer = ammonia::Builder::default();
        sanitizer
            .tags(tags)
            .generic_attributes(HashSet::from(["lang", "title"]))
            .url_schemes(HashSet::from(["https", "mailto"]))
            .url_relative(ammonia::UrlRelative::Deny)
            .link_rel(Some("noopener noreferrer nofollow ugc"))
            .set_tag_attribute_value("a", "target", "_blank")
            .strip_comments(true)
            .attribute_filter(move |element, attribute, value| {
                if element == "img" && attribute == "src" {
                    let allowed = url::Url::parse(value).ok().is_some_and(|url| {
                        url.scheme() == "https"
                            && url.host_str().is_some_and(|host| image_hosts.iter().any(|allowed| allowed == host))
                    });
                    return allowed.then_some(value.into());
                }
                Some(value.into())
            });
        Renderer { sanitizer, fingerprint }
    }

    /// Names the policy (rules and allowed image hosts): stored HTML rendered under another
    /// fingerprint must be rendered again.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Markdown (CommonMark with tables and strikethrough) to sanitized HTML.
    pub fn render(&self, markdown: &str) -> String {
        let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
        html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
        self.sanitizer.clean(&unsafe_html).to_string()
    }
}

/// The words of a Markdown body without markup, for search and excerpts.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(words) | Event::Code(words) => text.push_str(&words),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_) | TagEnd::TableCell)
                if !text.ends_with(' ') =>
            {
                text.push(' ');
            }
            _ => {}
        }
    }
    text.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html() {
        let html = Renderer::default().render("**Cost centre**: four digits.\n\n- one\n- two\n");
        assert_eq!(
            html,
            "<p><strong>Cost centre</strong>: four digits.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        );
    }

    #[test]
    fn links_are_https_or_mailto_and_open_safely() {
        let html = Renderer::default().render("[policy](https://example.com/p) [mail](mailto:a@b.c) [http](http://x.y) [js](javascript:alert(1)) [rel](/local)");
        assert!(
            html.contains(
                r#"<a href="https://example.com/p" target="_blank" rel="noopener noreferrer nofollow ugc">policy</a>"#
            ),
            "{html}"
        );
        assert!(html.contains(r#"href="mailto:a@b.c""#), "{html}");
        assert!(!html.contains("http://x.y"), "{html}");
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains("/local"), "{html}");
    }

    #[test]
    fn script_and_handlers_are_removed() {
        let renderer = Renderer::default();
        for payload in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<svg onload=alert(1)>",
            "<iframe src=https://evil.example></iframe>",
            "<style>*{display:none}</style>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<p onclick=\"alert(1)\" style=\"color:red\">x</p>",
        ] {
            let html = renderer.render(payload);
            for marker in ["<script", "onerror", "onload", "<svg", "<iframe", "<style", "alert", "style="] {
                assert!(!html.to_ascii_lowercase().contains(marker), "{payload} -> {html}");
            }
        }
    }

    #[test]
    fn plain_text_keeps_words_and_drops_markup() {
        let text = plain_text("# Title\n\nUse **four** digits, e.g. `CC-4100`.\n\n- one\n- two <b>x</b>\n");
        assert_eq!(text, "Title Use four digits, e.g. CC-4100. one two x");
    }

    #[test]
    fn images_only_from_allowed_hosts() {
        let markdown = "![a](https://cdn.example.com/a.png) ![b](https://evil.example/b.png)";
        let html = Renderer::new(vec!["cdn.example.com".into()]).render(markdown);
        assert!(html.contains(r#"<img src="https://cdn.example.com/a.png" alt="a">"#), "{html}");
        assert!(!html.contains("evil.example"), "{html}");
        assert!(!Renderer::default().render(markdown).contains("<img"));
    }
}
