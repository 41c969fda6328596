//! BCP 47 language tags, normalized, with the fallback chain resolution walks (`fr-CA → fr`).

use crate::Error;
use std::fmt;

/// A well-formed BCP 47 language tag in canonical case (`en`, `fr-CA`, `zh-Hant-TW`).
///
/// Only the syntax is checked (RFC 5646 subtags: 2–3 or 5–8 letter language, then 1–8
/// alphanumeric subtags); whether a language exists is not this type's business.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locale(String);

impl Locale {
    pub const MAX_LEN: usize = 35;

    pub fn parse(text: &str) -> Result<Locale, Error> {
        let invalid = || Error::InvalidLocale(text.chars().take(64).collect());
        // Browsers and POSIX systems also say `fr_CA`.
        let text_normalized = text.trim().replace('_', "-");
        if text_normalized.is_empty() || text_normalized.len() > Locale::MAX_LEN {
            return Err(invalid());
        }
        let mut canonical = String::with_capacity(text_normalized.len());
        for (position, subtag) in text_normalized.split('-').enumerate() {
            let well_formed =
                !subtag.is_empty() && subtag.len() <= 8 && subtag.bytes().all(|byte| byte.is_ascii_alphanumeric());
            if !well_formed {
                return Err(invalid());
            }
            if position == 0 {
                let language_ok =
                    subtag.bytes().all(|byte| byte.is_ascii_alphabetic()) && matches!(subtag.len(), 2 | 3 | 5..=8);
                if !language_ok {
                    return Err(invalid());
                }
                canonical.push_str(&subtag.to_ascii_lowercase());
                continue;
            }
            canonical.push('-');
            let all_alpha = subtag.bytes().all(|byte| byte.is_ascii_alphabetic());
            if all_alpha && subtag.len() == 2 {
                canonical.push_str(&subtag.to_ascii_uppercase()); // region: CA
            } else if all_alpha && subtag.len() == 4 {
                // script: Hant
                canonical.push_str(&subtag[..1].to_ascii_uppercase());
                canonical.push_str(&subtag[1..].to_ascii_lowercase());
            } else {
                canonical.push_str(&subtag.to_ascii_lowercase());
            }
        }
        Ok(Locale(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This tag, then each shorter prefix: `zh-Hant-TW`, `zh-Hant`, `zh`.
    pub fn chain(&self) -> impl Iterator<Item = &str> {
        let tag = self.0.as_str();
        let cuts = tag.match_indices('-').map(|(index, _)| index).rev();
        std::iter::once(tag).chain(cuts.map(move |index| &tag[..index]))
    }

    /// The order in which snippet locales are acceptable: the requested tag and its prefixes,
    /// then the site default and its prefixes, without repeats.
    pub fn fallbacks<'a>(requested: Option<&'a Locale>, site_default: &'a Locale) -> smallvec::SmallVec<[&'a str; 4]> {
        let mut chain = smallvec::SmallVec::new();
        for locale in requested.into_iter().chain(Some(site_default)) {
            for tag in locale.chain() {
                if !chain.contains(&tag) {
                    chain.push(tag);
                }
            }
        }
        chain
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalized() {
        for (input, expected) in [
            ("en", "en"),
            ("EN", "en"),
            ("fr-ca", "fr-CA"),
            ("fr_CA", "fr-CA"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("es-419", "es-419"),
            ("de-CH-1996", "de-CH-1996"),
        ] {
            assert_eq!(Locale::parse(input).unwrap().as_str(), expected, "{input}");
        }
    }

    #[test]
    fn malformed_tags_are_refused() {
        for input in [
            "",
            "e",
            "english-language-tag-too-long-for-us",
            "en--US",
            "en-",
            "-en",
            "1en",
            "en US",
            "en-toolongsubtag",
            "<script>",
            "fr-CA;q=0.9",
        ] {
            assert!(Locale::parse(input).is_err(), "{input:?} should be refused");
        }
    }

    #[test]
    fn fallbacks_walk_prefixes_then_the_site_default() {
        let site_default = Locale::parse("en").unwrap();
        let requested = Locale::parse("fr-CA").unwrap();
        assert_eq!(Locale::fallbacks(Some(&requested), &site_default).as_slice(), ["fr-CA", "fr", "en"]);
        let requested = Locale::parse("en-GB").unwrap();
        assert_eq!(Locale::fallbacks(Some(&requested), &site_default).as_slice(), ["en-GB", "en"]);
        let site_default = Locale::parse("de-AT").unwrap();
        assert_eq!(Locale::fallbacks(None, &site_default).as_slice(), ["de-AT", "de"]);
    }
}
