//! Full-text search over a site's snippets: typo-tolerant, stemmed per language, restricted to
//! what the worker may see, boosted by what matches their context, with a highlighted excerpt.
//!
//! Each site gets a tantivy index in RAM, built from the same snippets as its [`SiteIndex`]
//! (so answers do not depend on which database holds them). Text fields exist per stemming
//! language; a query is analysed once per language of the worker's locale chain.

use crate::{Context, Error, Locale, MatchKind, Reason, SiteIndex, Snippet, Timestamp};
use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};
use std::collections::{BTreeMap, HashMap};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, QueryClone, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

/// The longest query accepted, in bytes.
pub const QUERY_MAX_LEN: usize = 200;
/// Characters of body text around the matches in an excerpt.
const EXCERPT_CHARS: usize = 180;
/// The fast field holding a document's position in [`SiteIndex::snippets`].
const POSITION: &str = "position";

/// One search result.
#[derive(Debug, Clone)]
pub struct SearchHit<'a> {
    pub snippet: &'a Snippet,
    pub position: usize,
    pub score: f32,
    /// Escaped body text around the matches, matched words wrapped in `<mark>`.
    pub excerpt: String,
    /// How the snippet also matches the worker's context, if it does (it was boosted).
    pub context: Option<Reason<'a>>,
}

/// The stemming languages tantivy knows, by BCP 47 primary language subtag.
const LANGUAGES: &[(&str, Language)] = &[
    ("ar", Language::Arabic),
    ("da", Language::Danish),
    ("de", Language::German),
    ("el", Language::Greek),
    ("en", Language::English),
    ("es", Language::Spanish),
    ("fi", Language::Finnish),
    ("fr", Language::French),
    ("hu", Language::Hungarian),
    ("it", Language::Italian),
    ("nb", Language::Norwegian),
    ("nl", Language::Dutch),
    ("nn", Language::Norwegian),
    ("no", Language::Norwegian),
    ("pt", Language::Portuguese),
    ("ro", Language::Romanian),
    ("ru", Language::Russian),
    ("sv", Language::Swedish),
    ("ta", Language::Tamil),
    ("tr", Language::Turkish),
];

/// The analyser family for a locale tag: its stemming language's subtag, or `xx` (no stemming).
fn family(tag: &str) -> &'static str {
    let primary = tag.split('-').next().unwrap_or_default();
    LANGUAGES.iter().find(|(tag, _)| *tag == primary).map_or("xx", |(tag, _)| *tag)
}

/// English stop words: Lucene's list plus the words of a question ("how do I …"), which
/// workers type and snippets rarely contain.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of",
    "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
    "am", "can", "could", "did", "do", "does", "how", "i", "me", "my", "should", "we", "what", "when", "where",
    "which", "who", "why", "would", "you", "your",
];

fn stop_words(language: Language) -> Option<StopWordFilter> {
    match language {
        Language::English => Some(StopWordFilter::remove(ENGLISH_STOP_WORDS.iter().map(|word| (*word).to_owned()))),
        other => StopWordFilter::new(other),
    }
}

fn analyzer(family: &str) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .dynamic();
    let language = LANGUAGES.iter().find(|(tag, _)| *tag == family).map(|(_, language)| *language);
    let builder = match language.and_then(stop_words) {
        Some(stop_words) => builder.filter_dynamic(stop_words),
        None => builder,
    };
    let builder = match language {
        Some(language) => builder.filter_dynamic(Stemmer::new(language)),
        None => builder,
    };
    builder.filter_dynamic(AsciiFoldingFilter).build()
}

/// Tokens of `text` as (analysed form, byte range in `text`).
fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize)> {
    let mut stream = analyzer.token_stream(text);
    let mut found = Vec::new();
    while stream.advance() {
        let token = stream.token();
        found.push((token.text.clone(), token.offset_from, token.offset_to));
    }
    found
}

/// Per language family, the snippet's words: its title twice (title words weigh more), then
/// its body. One field keeps each query word a single posting list to intersect.
#[derive(Debug, Clone, Copy)]
struct TextFields {
    text: Field,
}

/// A site's search index; built from a [`SiteIndex`] and queried together with it.
pub struct SearchIndex {
    reader: IndexReader,
    keys: Field,
    by_family: HashMap<&'static str, TextFields>,
    analyzers: HashMap<&'static str, TextAnalyzer>,
    documents: usize,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("SearchIndex").field("documents", &self.documents).finish_non_exhaustive()
    }
}

fn search_error(error: tantivy::TantivyError) -> Error {
    Error::Search(error.to_string())
}

impl SearchIndex {
    /// Indexes every snippet of `site` (title, plain-text body, help keys).
    pub fn build(site: &SiteIndex) -> Result<SearchIndex, Error> {
        let mut schema = Schema::builder();
        let position = schema.add_u64_field(POSITION, FAST);
        let mut families: Vec<&'static str> = LANGUAGES.iter().map(|(tag, _)| *tag).collect();
        families.push("xx");
        families.dedup();
        let mut by_family = HashMap::new();
        for family in &families {
            let indexing =
                TextFieldIndexing::default().set_tokenizer(family).set_index_option(IndexRecordOption::WithFreqs);
            let options = TextOptions::default().set_indexing_options(indexing);
            let fields = TextFields { text: schema.add_text_field(&format!("text_{family}"), options) };
            by_family.insert(*family, fields);
        }
        let keys_indexing =
            TextFieldIndexing::default().set_tokenizer("xx").set_index_option(IndexRecordOption::WithFreqs);
        let keys = schema.add_text_field("keys", TextOptions::default().set_indexing_options(keys_indexing));
        let index = Index::create_in_ram(schema.build());
        let mut analyzers = HashMap::new();
        for family in &families {
            index.tokenizers().register(family, analyzer(family));
            analyzers.insert(*family, analyzer(family));
        }

        let threads = std::thread::available_parallelism().map_or(1, |count| count.get()).min(4);
        let mut writer =
            index.writer_with_num_threads::<TantivyDocument>(threads, threads * 40_000_000).map_err(search_error)?;
        for (position_value, snippet) in site.snippets().iter().enumerate() {
            let fields = by_family[family(snippet.locale.as_str())];
            let mut document = TantivyDocument::default();
            document.add_u64(position, position_value as u64);
            document.add_text(fields.text, &snippet.title);
            document.add_text(fields.text, &snippet.title);
            document.add_text(fields.text, &snippet.text);
            for target in &snippet.targets {
                if let crate::Target::Key(key) = target {
                    document.add_text(keys, key.trim_end_matches(".*"));
                }
            }
            writer.add_document(document).map_err(search_error)?;
        }
        writer.commit().map_err(search_error)?;
        // One segment: every query term is then looked up once, not once per indexing thread.
        let segments = index.searchable_segment_ids().map_err(search_error)?;
        if segments.len() > 1 {
            writer.merge(&segments).wait().map_err(search_error)?;
        }
        writer.wait_merging_threads().map_err(search_error)?;
        let reader = index.reader().map_err(search_error)?;
        Ok(SearchIndex { reader, keys, by_family, analyzers, documents: site.len() })
    }

    /// Snippets matching `text` that this worker may see, best first, one per slug.
    ///
    /// Every word must match (after stemming and stop-word removal), exactly, within an edit
    /// distance (1 from 4 letters, 2 from 8), or as a prefix for the last word. Scores are
    /// BM25 with title and key matches weighing more, then multiplied for snippets that also
    /// match the context (field key ×3, ancestor key or route ×2, URL pattern ×1.5).
    pub fn search<'a>(
        &self,
        site: &'a SiteIndex,
        text: &str,
        context: &Context,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<SearchHit<'a>>, Error> {
        if site.len() != self.documents {
            return Err(Error::Search("search index built from another site index".into()));
        }
        let text: String = text.chars().take(QUERY_MAX_LEN).collect();
        let locales = Locale::fallbacks(context.locale.as_ref(), &site.settings().default_locale);
        let mut families: Vec<&'static str> = locales.iter().map(|tag| family(tag)).collect();
        families.dedup();
        let words = self.query_words(&text, &families);
        if words.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let prefix_last = !text.ends_with(char::is_whitespace);
        let searcher = self.reader.searcher();
        let known = |term: &Term| searcher.doc_freq(term).is_ok_and(|count| count > 0);
        // Each word: its exact forms, and only for words the index does not know, typo and
        // prefix variants (expanding a known word would only slow the search down).
        let word_count = words.len();
        let word_clauses: Vec<BooleanQuery> = words
            .values()
            .enumerate()
            .map(|(word_index, forms)| {
                let is_last = word_index + 1 == word_count;
                let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (family, form) in forms {
                    let fields = self.by_family[family];
                    let text_term = Term::from_field_text(fields.text, form);
                    let key_term = Term::from_field_text(self.keys, form);
                    let key_known = known(&key_term);
                    let unknown = !known(&text_term) && !key_known;
                    let prefix = unknown && is_last && prefix_last;
                    let typos = if unknown { Typos::Yes } else { Typos::No };
                    alternatives.extend(word_queries(fields.text, form, 1.0, typos, prefix));
                    if key_known || prefix {
                        alternatives.extend(word_queries(self.keys, form, 1.5, Typos::No, prefix));
                    }
                }
                BooleanQuery::new(alternatives)
            })
            .collect();
        // Locales and roles are checked on the hits (the language fields already keep other
        // languages out); fetch more while too many hits belong to others.
        let context_matches: HashMap<usize, Reason<'a>> =
            site.resolve(context, now).into_iter().map(|found| (found.position, found.reason)).collect();
        let mut wanted = limit.saturating_mul(4).saturating_add(20);
        let mut columns: HashMap<u32, tantivy::columnar::Column<u64>> = HashMap::new();
        let best_per_slug = loop {
            let top = self.top_documents(&searcher, &word_clauses, wanted)?;
            // One hit per slug, in the best locale the worker reads.
            let mut best_per_slug: HashMap<&str, (usize, f32, usize)> = HashMap::new();
            for &(score, address) in &top {
                let column = match columns.entry(address.segment_ord) {
                    std::collections::hash_map::Entry::Occupied(column) => column.into_mut(),
                    std::collections::hash_map::Entry::Vacant(slot) => slot.insert(
                        searcher
                            .segment_reader(address.segment_ord)
                            .fast_fields()
                            .u64(POSITION)
                            .map_err(search_error)?,
                    ),
                };
                let Some(position) = column.first(address.doc_id) else {
                    continue;
                };
                let position = usize::try_from(position).unwrap_or(usize::MAX);
                let Some((_, locale_rank)) = site.admits_for(position, context, now) else {
                    continue;
                };
                let snippet = &site.snippets()[position];
                let entry = best_per_slug.entry(snippet.slug.as_str()).or_insert((position, score, locale_rank));
                if locale_rank < entry.2 {
                    *entry = (position, score, locale_rank);
                }
            }
            let exhausted = top.len() < wanted || wanted >= self.documents;
            if best_per_slug.len() >= limit || exhausted {
                break best_per_slug;
            }
            wanted = wanted.saturating_mul(4);
        };
        let mut hits: Vec<SearchHit<'a>> = best_per_slug
            .into_values()
            .map(|(position, score, _)| {
                let reason = context_matches.get(&position).cloned();
                let boost = match reason.as_ref().map(|reason| reason.kind) {
                    Some(MatchKind::FieldKey) => 3.0,
                    Some(MatchKind::AncestorKey(_) | MatchKind::Route) => 2.0,
                    Some(MatchKind::UrlPattern) => 1.5,
                    Some(MatchKind::SiteWide) | None => 1.0,
                };
                let reason = reason.filter(|reason| reason.kind != MatchKind::SiteWide);
                SearchHit {
                    snippet: &site.snippets()[position],
                    position,
                    score: score * boost,
                    excerpt: String::new(),
                    context: reason,
                }
            })
            .collect();
        hits.sort_by(|left, right| {
            right.score.total_cmp(&left.score).then_with(|| left.snippet.id.cmp(&right.snippet.id))
        });
        hits.truncate(limit);
        let mut matchers: HashMap<&'static str, Vec<WordMatcher>> = HashMap::new();
        for hit in &mut hits {
            let family = family(hit.snippet.locale.as_str());
            let family_matchers =
                matchers.entry(family).or_insert_with(|| self.word_matchers(family, &text, prefix_last));
            let mut analyzer = self.analyzers[family].clone();
            hit.excerpt = excerpt(&mut analyzer, &hit.snippet.text, family_matchers);
        }
        Ok(hits)
    }

    /// The `wanted` best documents where every word matches or, when none does and there are
    /// three words or more, where all but one match.
    fn top_documents(
        &self,
        searcher: &tantivy::Searcher,
        word_clauses: &[BooleanQuery],
        wanted: usize,
    ) -> Result<Vec<(f32, tantivy::DocAddress)>, Error> {
        let word_count = word_clauses.len();
        let mut top = Vec::new();
        for required in [word_count, word_count.saturating_sub(1)] {
            if required == 0 || (required < word_count && word_count < 3) {
                break;
            }
            let query = if required == word_count {
                let clauses = word_clauses.iter().map(|clause| (Occur::Must, clause.box_clone())).collect();
                BooleanQuery::new(clauses)
            } else {
                let clauses = word_clauses.iter().map(|clause| (Occur::Should, clause.box_clone())).collect();
                BooleanQuery::with_minimum_required_clauses(clauses, required)
            };
            top = searcher.search(&query, &TopDocs::with_limit(wanted).order_by_score()).map_err(search_error)?;
            if !top.is_empty() {
                break;
            }
        }
        Ok(top)
    }

    /// The query's words, by position in the query, each with its analysed form per family.
    fn query_words(&self, text: &str, families: &[&'static str]) -> BTreeMap<usize, Vec<(&'static str, String)>> {
        let mut words: BTreeMap<usize, Vec<(&'static str, String)>> = BTreeMap::new();
        for family in families {
            let mut analyzer = self.analyzers[family].clone();
            for (form, start, _) in tokens(&mut analyzer, text) {
                words.entry(start).or_default().push((family, form));
            }
        }
        words
    }

    /// How to recognise the query's words in text of this language family.
    fn word_matchers(&self, family: &'static str, query: &str, prefix_last: bool) -> Vec<WordMatcher> {
        let mut analyzer = self.analyzers[family].clone();
        let forms: Vec<String> = tokens(&mut analyzer, query).into_iter().map(|(form, _, _)| form).collect();
        let count = forms.len();
        forms
            .into_iter()
            .enumerate()
            .map(|(index, form)| {
                let typos = match typo_distance(&form) {
                    0 => None,
                    distance => Some(levenshtein_builder(distance).build_dfa(&form)),
                };
                WordMatcher { prefix: prefix_last && index + 1 == count, typos, form }
            })
            .collect()
    }
}

/// One query word, as search matched it: exactly, within its edit distance, or as a prefix.
struct WordMatcher {
    form: String,
    typos: Option<levenshtein_automata::DFA>,
    prefix: bool,
}

impl WordMatcher {
    /// Whether an analysed (stemmed) token is this word.
    fn accepts(&self, form: &str) -> bool {
        form == self.form
            || (self.prefix && form.starts_with(self.form.as_str()))
            || self.typos.as_ref().is_some_and(|dfa| matches!(dfa.eval(form), Distance::Exact(_)))
    }

    /// A cheap test on the lower-cased token before stemming it: stemming keeps a word's first
    /// letters, and a typo within the edit distance leaves the word close enough for the DFA.
    fn may_accept(&self, lowercase: &str) -> bool {
        let probe_len = self.form.char_indices().nth(2).map_or(self.form.len(), |(index, _)| index);
        lowercase.starts_with(&self.form[..probe_len])
            || self.typos.as_ref().is_some_and(|dfa| matches!(dfa.eval(lowercase), Distance::Exact(_)))
    }
}

/// Building a Levenshtein automaton builder is expensive; there is one per distance.
fn levenshtein_builder(distance: u8) -> &'static LevenshteinAutomatonBuilder {
    static BUILDERS: std::sync::OnceLock<[LevenshteinAutomatonBuilder; 2]> = std::sync::OnceLock::new();
    let builders =
        BUILDERS.get_or_init(|| [LevenshteinAutomatonBuilder::new(1, true), LevenshteinAutomatonBuilder::new(2, true)]);
    &builders[usize::from(distance.clamp(1, 2)) - 1]
}

/// Up to [`EXCERPT_CHARS`] of `text` around the most matched words, escaped, matches marked.
/// Only words that may match are stemmed: stemming every word of every hit would cost more
/// than the search itself.
fn excerpt(analyzer: &mut TextAnalyzer, text: &str, matchers: &[WordMatcher]) -> String {
    let mut plain = TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).build();
    let marks: Vec<(usize, usize)> = tokens(&mut plain, text)
        .into_iter()
        .filter(|(lowercase, _, _)| {
            matchers.iter().any(|matcher| matcher.may_accept(lowercase))
                && tokens(analyzer, lowercase)
                    .first()
                    .is_some_and(|(form, _, _)| matchers.iter().any(|matcher| matcher.accepts(form)))
        })
        .map(|(_, start, end)| (start, end))
        .collect();
    excerpt_html(text, &marks)
}

/// Edit distance tolerated for a word of this length.
fn typo_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Typos {
    Yes,
    No,
}

/// Exact, typo-tolerant and (for the word being typed) prefix queries for one word in a field.
fn word_queries(field: Field, word: &str, weight: f32, typos: Typos, prefix: bool) -> Vec<(Occur, Box<dyn Query>)> {
    let term = Term::from_field_text(field, word);
    let mut queries: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::Should,
        Box::new(BoostQuery::new(Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)), weight * 2.0)),
    )];
    let distance = typo_distance(word);
    if typos == Typos::Yes && distance > 0 {
        let fuzzy = FuzzyTermQuery::new(term.clone(), distance, true);
        queries.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), weight * 0.5))));
    }
    if prefix && word.chars().count() >= 2 {
        let prefixed = FuzzyTermQuery::new_prefix(term, 0, true);
        queries.push((Occur::Should, Box::new(BoostQuery::new(Box::new(prefixed), weight))));
    }
    queries
}

fn escape_into(output: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '&' => output.push_str("&amp;"),
            '<' => output.push_str("&lt;"),
            '>' => output.push_str("&gt;"),
            '"' => output.push_str("&quot;"),
            '\'' => output.push_str("&#39;"),
            other => output.push(other),
        }
    }
}

/// Picks the window of `text` holding the most marks and renders it as safe HTML.
fn excerpt_html(text: &str, marks: &[(usize, usize)]) -> String {
    let window_start = {
        let mut best = (0usize, 0usize); // (marks in window, start)
        for (index, (start, _)) in marks.iter().enumerate() {
            let count = marks[index..].iter().take_while(|(_, end)| end - start <= EXCERPT_CHARS).count();
            if count > best.0 {
                best = (count, *start);
            }
        }
        // Start a little before the first mark, on a word boundary.
        let mut start = best.1.saturating_sub(EXCERPT_CHARS / 4);
        while start > 0 && !text.is_char_boundary(start) {
            start -= 1;
        }
        if start > 0 {
            start = text[start..].find(char::is_whitespace).map_or(start, |space| start + space + 1);
        }
        start.min(best.1)
    };
    let mut window_end = (window_start + EXCERPT_CHARS).min(text.len());
    while window_end < text.len() && !text.is_char_boundary(window_end) {
        window_end += 1;
    }
    if window_end < text.len() {
        window_end =
            text[..window_end].rfind(char::is_whitespace).filter(|end| *end > window_start).unwrap_or(window_end);
    }
    let mut html = String::with_capacity(EXCERPT_CHARS + 64);
    if window_start > 0 {
        html.push('…');
    }
    let mut cursor = window_start;
    for &(start, end) in marks.iter().filter(|(start, end)| *start >= window_start && *end <= window_end) {
        escape_into(&mut html, &text[cursor..start]);
        html.push_str("<mark>");
        escape_into(&mut html, &text[start..end]);
        html.push_str("</mark>");
        cursor = end;
    }
    escape_into(&mut html, &text[cursor..window_end]);
    if window_end < text.len() {
        html.push('…');
    }
    html
}

#[cfg(test)]
mod tests;
