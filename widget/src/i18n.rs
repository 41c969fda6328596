//! The widget's own words in English, German and French. The language follows the worker's
//! locale (`setContext`, then `data-locale`, `<html lang>`, the browser); others get English.

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    German,
    French,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::English, Language::German, Language::French];

    /// From a BCP 47 tag (`de-CH` → German); English when absent or unknown.
    pub fn from_tag(tag: Option<&str>) -> Language {
        let primary = tag.unwrap_or_default().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "de" => Language::German,
            "fr" => Language::French,
            _ => Language::English,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::German => "de",
            Language::French => "fr",
        }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Language::English => &ENGLISH,
            Language::German => &GERMAN,
            Language::French => &FRENCH,
        }
    }
}

/// Whether a BCP 47 tag's script runs right to left (Arabic, Hebrew, Persian, Urdu, …).
pub fn is_rtl(tag: Option<&str>) -> bool {
    let primary = tag.unwrap_or_default().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    matches!(primary.as_str(), "ar" | "he" | "fa" | "ur" | "ps" | "sd" | "ug" | "yi" | "dv" | "ckb")
}

/// Every fixed string the widget shows or announces.
#[derive(Debug)]
pub struct Text {
    pub help: &'static str,
    pub close_help: &'static str,
    pub loading: &'static str,
    pub unavailable: &'static str,
    pub nothing_here: &'static str,
    pub search_label: &'static str,
    pub searching: &'static str,
    pub search_unavailable: &'static str,
    /// `%` is replaced by the words searched for (a character, not `{}`: a string pattern would cost wasm).
    pub no_results: &'static str,
    pub one_result: &'static str,
    /// First `%` the count, second the words.
    pub results: &'static str,
    pub back: &'static str,
    pub was_it_helpful: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub what_were_you_looking_for: &'static str,
    pub send: &'static str,
    pub skip: &'static str,
    pub thanks: &'static str,
    /// new, more, apply, solve, change.
    pub moments: [&'static str; 5],
}

static ENGLISH: Text = Text {
    help: "Help",
    close_help: "Close help",
    loading: "Loading help…",
    unavailable: "Help is unavailable right now. Please try again later.",
    nothing_here: "No help for this screen yet.",
    search_label: "Search help",
    searching: "Searching…",
    search_unavailable: "Search is unavailable right now.",
    no_results: "No help found for “%”.",
    one_result: "1 result for “%”",
    results: "% results for “%”",
    back: "Back",
    was_it_helpful: "Was this helpful?",
    yes: "Yes",
    no: "No",
    what_were_you_looking_for: "What were you looking for? (optional)",
    send: "Send",
    skip: "Skip",
    thanks: "Thank you for telling us.",
    moments: ["Getting started", "Learn more", "How do I…", "Fix a problem", "What's changed"],
};

static GERMAN: Text = Text {
    help: "Hilfe",
    close_help: "Hilfe schließen",
    loading: "Hilfe wird geladen…",
    unavailable: "Die Hilfe ist gerade nicht erreichbar. Bitte versuchen Sie es später noch einmal.",
    nothing_here: "Für diese Seite gibt es noch keine Hilfe.",
    search_label: "Hilfe durchsuchen",
    searching: "Suche läuft…",
    search_unavailable: "Die Suche ist gerade nicht erreichbar.",
    no_results: "Keine Hilfe zu „%“ gefunden.",
    one_result: "1 Treffer für „%“",
    results: "% Treffer für „%“",
    back: "Zurück",
    was_it_helpful: "War das hilfreich?",
    yes: "Ja",
    no: "Nein",
    what_were_you_looking_for: "Wonach haben Sie gesucht? (optional)",
    send: "Senden",
    skip: "Überspringen",
    thanks: "Danke für Ihre Rückmeldung.",
    moments: ["Erste Schritte", "Mehr erfahren", "Wie mache ich…", "Ein Problem lösen", "Was ist neu"],
};

static FRENCH: Text = Text {
    help: "Aide",
    close_help: "Fermer l’aide",
    loading: "Chargement de l’aide…",
    unavailable: "L’aide est indisponible pour le moment. Veuillez réessayer plus tard.",
    nothing_here: "Pas encore d’aide pour cet écran.",
    search_label: "Rechercher dans l’aide",
    searching: "Recherche…",
    search_unavailable: "La recherche est indisponible pour le moment.",
    no_results: "Aucune aide trouvée pour « % ».",
    one_result: "1 résultat pour « % »",
    results: "% résultats pour « % »",
    back: "Retour",
    was_it_helpful: "Cela vous a-t-il aidé ?",
    yes: "Oui",
    no: "Non",
    what_were_you_looking_for: "Que cherchiez-vous ? (facultatif)",
    send: "Envoyer",
    skip: "Passer",
    thanks: "Merci de votre retour.",
    moments: ["Premiers pas", "En savoir plus", "Comment faire…", "Résoudre un problème", "Nouveautés"],
};

impl Text {
    pub fn moment(&self, moment: wire::Moment) -> &'static str {
        let index = wire::Moment::ALL.iter().position(|known| *known == moment).unwrap_or(0);
        self.moments[index]
    }

    /// What a search found, said in a sentence.
    pub fn search_outcome(&self, words: &str, count: usize) -> String {
        match count {
            0 => self.no_results.replacen('%', words, 1),
            1 => self.one_result.replacen('%', words, 1),
            count => self.results.replacen('%', &count.to_string(), 1).replacen('%', words, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_pick_the_language_and_unknown_ones_get_english() {
        assert_eq!(Language::from_tag(Some("de-CH")), Language::German);
        assert_eq!(Language::from_tag(Some("FR_ca")), Language::French);
        assert_eq!(Language::from_tag(Some("pt-BR")), Language::English);
        assert_eq!(Language::from_tag(None), Language::English);
        assert!(is_rtl(Some("ar-EG")) && is_rtl(Some("he")) && !is_rtl(Some("de")) && !is_rtl(None));
    }

    #[test]
    fn every_language_says_everything() {
        for language in [Language::English, Language::German, Language::French] {
            let text = language.text();
            assert!(text.moments.iter().all(|label| !label.is_empty()));
            assert!(text.search_outcome("x", 3).contains('3') && text.search_outcome("x", 3).contains('x'));
            assert!(text.no_results.contains('%') && text.one_result.contains('%'));
        }
        assert_eq!(Language::German.text().moment(wire::Moment::Solve), "Ein Problem lösen");
    }
}
