//! URL patterns, compiled once per distinct pattern and found through a trie of their leading
//! literal path segments, so a path only tests the patterns that could match it.
//!
//! Semantics are WHATWG URLPattern's (the `urlpattern` crate, checked against Chromium in the
//! browser suite). The common shape — literal segments and `:name` segments, as in
//! `/orders/:id/edit` — is matched segment by segment: compiling a full URLPattern costs about
//! half a millisecond and testing it about two microseconds, which a site with thousands of
//! patterns cannot afford on every start and every request.

use crate::{Error, Target};
use compact_str::CompactString;
use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;
use urlpattern::{UrlPattern, UrlPatternInit, UrlPatternMatchInput, UrlPatternOptions};

/// A compiled pathname pattern.
#[derive(Debug)]
pub enum UrlPatternMatcher {
    /// Only literal and `:name` segments: equal segment counts, literals equal, names non-empty.
    /// Stored inline, so testing a typical pattern touches one or two cache lines.
    Segments(SmallVec<[Segment; 4]>),
    /// Anything else, with the full URLPattern machinery.
    Full(Box<UrlPattern>),
}

#[derive(Debug, PartialEq, Eq)]
pub enum Segment {
    Literal(CompactString),
    Name,
}

impl UrlPatternMatcher {
    /// Compiles (and so checks) a pathname pattern such as `/orders/:id`.
    pub fn compile(pattern: &str) -> Result<UrlPatternMatcher, Error> {
        if let Some(segments) = simple_segments(pattern) {
            return Ok(UrlPatternMatcher::Segments(segments));
        }
        compile(pattern).map(|full| UrlPatternMatcher::Full(Box::new(full)))
    }

    /// Whether the pattern matches `path` (a pathname: no query string, no fragment).
    pub fn matches(&self, path: &str) -> bool {
        match self {
            UrlPatternMatcher::Full(pattern) => matches(pattern, path),
            UrlPatternMatcher::Segments(segments) => {
                let Some(rest) = path.strip_prefix('/') else {
                    return false;
                };
                let mut parts = rest.split('/');
                let all_fit = segments.iter().all(|segment| match (segment, parts.next()) {
                    (Segment::Literal(literal), Some(part)) => literal == part,
                    (Segment::Name, Some(part)) => !part.is_empty(),
                    (_, None) => false,
                });
                all_fit && parts.next().is_none()
            }
        }
    }
}

/// The segments of a pattern made only of literal and `:name` segments, if it is one.
fn simple_segments(pattern: &str) -> Option<SmallVec<[Segment; 4]>> {
    let rest = pattern.strip_prefix('/')?;
    if rest.is_empty() {
        return None; // `/` alone: leave the edge cases to the full implementation.
    }
    let mut names: SmallVec<[&str; 4]> = SmallVec::new();
    let mut segments = SmallVec::new();
    for part in rest.split('/') {
        if is_literal(part) {
            segments.push(Segment::Literal(part.into()));
            continue;
        }
        let name = part.strip_prefix(':')?;
        let mut characters = name.chars();
        let first_ok = characters.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_');
        if !first_ok || !characters.all(|character| character.is_ascii_alphanumeric() || character == '_') {
            return None;
        }
        // Duplicate names are an error URLPattern reports; let it.
        if names.contains(&name) {
            return None;
        }
        names.push(name);
        segments.push(Segment::Name);
    }
    Some(segments)
}

pub(crate) fn compile(pattern: &str) -> Result<UrlPattern, Error> {
    let invalid = |reason: String| Error::InvalidUrlPattern { pattern: pattern.chars().take(520).collect(), reason };
    if !pattern.starts_with('/') || pattern.len() > Target::ROUTE_MAX_LEN {
        return Err(invalid("a pathname pattern starts with `/` and has at most 512 characters".into()));
    }
    let init = UrlPatternInit { pathname: Some(pattern.to_owned()), ..UrlPatternInit::default() };
    UrlPattern::parse(init, UrlPatternOptions::default()).map_err(|error| invalid(error.to_string()))
}

/// Whether `pattern` matches `path` with WHATWG URLPattern semantics (pathname only).
pub fn matches(pattern: &UrlPattern, path: &str) -> bool {
    let input =
        UrlPatternMatchInput::Init(UrlPatternInit { pathname: Some(path.to_owned()), ..UrlPatternInit::default() });
    pattern.test(input).unwrap_or(false)
}

/// A segment the pattern syntax leaves alone and URL canonicalization does not rewrite.
fn is_literal(segment: &str) -> bool {
    !segment.is_empty()
        && segment.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~'))
        && segment != "."
        && segment != ".."
}

/// A `.` segment as the URL parser sees it (`.` or `%2e`, any case).
fn is_single_dot(segment: &str) -> bool {
    segment == "." || segment.eq_ignore_ascii_case("%2e")
}

/// A `..` segment as the URL parser sees it (`..`, `.%2e`, `%2e.`, `%2e%2e`, any case).
fn is_double_dot(segment: &str) -> bool {
    matches!(segment.to_ascii_lowercase().as_str(), ".." | ".%2e" | "%2e." | "%2e%2e")
}

/// `path` with its dot segments resolved, as the URL parser (and so URLPattern) reads it:
/// `/foo/../bar` is `/bar`. Borrowed when there are none, which is every path a browser sends.
pub fn canonical_path(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.split('/').any(|segment| is_single_dot(segment) || is_double_dot(segment)) {
        return std::borrow::Cow::Borrowed(path);
    }
    let raw: Vec<&str> = path.split('/').skip(1).collect();
    let mut kept: Vec<&str> = Vec::with_capacity(raw.len());
    for (index, segment) in raw.iter().enumerate() {
        let last = index + 1 == raw.len();
        if is_double_dot(segment) {
            kept.pop();
        } else if !is_single_dot(segment) {
            kept.push(segment);
            continue;
        }
        // A trailing dot segment leaves the directory: `/a/b/..` is `/a/`.
        if last {
            kept.push("");
        }
    }
    std::borrow::Cow::Owned(format!("/{}", kept.join("/")))
}

/// The leading segments every path matching `pattern` must start with, after its leading
/// dot segments are resolved as URLPattern resolves them (`/a/../b/:id` starts with `b`).
/// A shorter prefix is always safe (more candidates are tested), so doubtful cases get none.
fn literal_prefix(pattern: &str) -> Vec<&str> {
    let is_dot = |segment: &str| is_single_dot(segment) || is_double_dot(segment);
    let raw: Vec<&str> = pattern.split('/').skip(1).collect();
    // The last segment is only a prefix segment when another `/` follows it in the pattern
    // or it is the whole remainder; both cases are literal-equal, so keep the rule simple:
    // take literal (or dot) segments up to the first that is not.
    let fixed_count = raw.iter().take_while(|segment| is_literal(segment) || is_dot(segment)).count();
    let fixed = &raw[..fixed_count];
    // A dot segment right before pattern syntax, or syntax that starts like one (`..:id`), is
    // resolved together with it by URLPattern; do not guess how.
    let doubtful = (fixed.last().is_some_and(|segment| is_dot(segment)) && fixed_count < raw.len())
        || raw.get(fixed_count).is_some_and(|segment| segment.starts_with(['.', '%']));
    if doubtful {
        return Vec::new();
    }
    let mut segments = Vec::new();
    for segment in fixed {
        if is_double_dot(segment) {
            segments.pop();
        } else if !is_single_dot(segment) {
            segments.push(*segment);
        }
    }
    segments
}

#[derive(Debug)]
pub(crate) struct CompiledPattern<Idx> {
    pub pattern: UrlPatternMatcher,
    pub snippets: SmallVec<[Idx; 4]>,
    pub source: CompactString,
}

#[derive(Debug, Default)]
struct Node {
    patterns: SmallVec<[u32; 4]>,
    children: HashMap<CompactString, u32>,
}

/// Distinct compiled patterns, each with the snippets that target it, and the trie over them.
#[derive(Debug)]
pub(crate) struct PatternSet<Idx> {
    patterns: Vec<CompiledPattern<Idx>>,
    by_source: HashMap<String, u32>,
    nodes: Vec<Node>,
}

impl<Idx: Copy> Default for PatternSet<Idx> {
    fn default() -> Self {
        PatternSet { patterns: Vec::new(), by_source: HashMap::default(), nodes: vec![Node::default()] }
    }
}

impl<Idx: Copy + std::fmt::Debug> PatternSet<Idx> {
    /// Compiles `source` unless it is known; returns its id.
    pub fn intern(&mut self, source: &str) -> Result<u32, Error> {
        if let Some(&id) = self.by_source.get(source) {
            return Ok(id);
        }
        let pattern = UrlPatternMatcher::compile(source)?;
        let id = u32::try_from(self.patterns.len()).unwrap_or(u32::MAX);
        let mut node = 0usize;
        for segment in literal_prefix(source) {
            let next = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
            let child = *self.nodes[node].children.entry(segment.into()).or_insert(next);
            if child == next {
                self.nodes.push(Node::default());
            }
            node = child as usize;
        }
        self.nodes[node].patterns.push(id);
        self.patterns.push(CompiledPattern { pattern, snippets: SmallVec::new(), source: source.into() });
        self.by_source.insert(source.to_owned(), id);
        Ok(id)
    }

    /// Like `intern`, for patterns of literal and `:name` segments only (`None` for others):
    /// route templates, whose other syntax is the app router's, not URLPattern's.
    pub fn intern_segments(&mut self, source: &str) -> Option<u32> {
        simple_segments(source)?;
        self.intern(source).ok()
    }

    pub fn attach(&mut self, pattern_id: u32, snippet: Idx) {
        self.patterns[pattern_id as usize].snippets.push(snippet);
    }

    /// Calls `found` for every pattern that matches `path`, testing only candidates whose
    /// literal prefix the path has.
    pub fn for_each_match<'a>(&'a self, path: &str, mut found: impl FnMut(&'a CompiledPattern<Idx>)) {
        let path = canonical_path(path);
        let path = path.as_ref();
        let mut node = 0usize;
        let mut segments = path.split('/').skip(1);
        loop {
            for &id in &self.nodes[node].patterns {
                let candidate = &self.patterns[id as usize];
                if !candidate.snippets.is_empty() && candidate.pattern.matches(path) {
                    found(candidate);
                }
            }
            let Some(segment) = segments.next() else { break };
            match self.nodes[node].children.get(segment) {
                Some(&child) => node = child as usize,
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefixes_stop_at_the_first_pattern_syntax() {
        assert_eq!(literal_prefix("/approvals/:id/history"), ["approvals"]);
        assert_eq!(literal_prefix("/a/b/c"), ["a", "b", "c"]);
        assert_eq!(literal_prefix("/"), Vec::<&str>::new());
        assert_eq!(literal_prefix("/:tenant/orders"), Vec::<&str>::new());
        assert_eq!(literal_prefix("/orders/*"), ["orders"]);
        assert_eq!(literal_prefix("/orders{/:id}?"), Vec::<&str>::new());
        assert_eq!(literal_prefix("/files/a%20b"), ["files"]);
        // Dot segments are resolved as URLPattern resolves them.
        assert_eq!(literal_prefix("/foo/../bar"), ["bar"]);
        assert_eq!(literal_prefix("/a/../b/:id"), ["b"]);
        assert_eq!(literal_prefix("/a/./b"), ["a", "b"]);
        assert_eq!(literal_prefix("/a/%2E%2e/b/*"), ["b"]);
    }

    #[test]
    fn paths_are_read_with_their_dot_segments_resolved() {
        assert_eq!(canonical_path("/foo/bar"), "/foo/bar");
        assert!(matches!(canonical_path("/foo/bar"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(canonical_path("/foo/bar/../baz"), "/foo/baz");
        assert_eq!(canonical_path("/foo/./bar"), "/foo/bar");
        assert_eq!(canonical_path("/../a"), "/a");
        assert_eq!(canonical_path("/a/b/.."), "/a/");
        assert_eq!(canonical_path("/a/%2e%2E/b"), "/b");
    }

    #[test]
    fn patterns_with_dot_segments_match_their_canonical_paths() {
        let mut set = PatternSet::<u32>::default();
        for (snippet, source) in ["/foo/../bar", "/a/../b/:id"].into_iter().enumerate() {
            let id = set.intern(source).unwrap();
            set.attach(id, snippet as u32);
        }
        let matching = |path: &str| {
            let mut sources = Vec::new();
            set.for_each_match(path, |found| sources.push(found.source.to_string()));
            sources
        };
        assert_eq!(matching("/bar"), ["/foo/../bar"]);
        assert_eq!(matching("/b/1"), ["/a/../b/:id"]);
        assert!(matching("/a/1").is_empty());
        assert_eq!(matching("/x/../bar"), ["/foo/../bar"]);
    }

    #[test]
    fn simple_patterns_are_matched_by_segments() {
        assert_eq!(
            simple_segments("/orders/:id/edit").map(SmallVec::into_vec),
            Some(vec![Segment::Literal("orders".into()), Segment::Name, Segment::Literal("edit".into())])
        );
        for complex in ["/", "/orders/*", "/orders/:id?", "/:id.json", "/a/:id/:id", "/(\\d+)", "/a/{b}?", "/a%20b"] {
            assert_eq!(simple_segments(complex), None, "{complex}");
        }
        assert!(UrlPatternMatcher::compile("/a/:id/:id").is_err(), "duplicate names are refused");
    }

    #[test]
    fn the_trie_finds_exactly_the_matching_patterns() {
        let mut set = PatternSet::<u32>::default();
        for (snippet, source) in
            ["/approvals/:id", "/approvals", "/approvals/:id/history", "/:any", "/orders/*", "/a/b"]
                .into_iter()
                .enumerate()
        {
            let id = set.intern(source).unwrap();
            set.attach(id, snippet as u32);
        }
        // Interning the same pattern again reuses it.
        assert_eq!(set.intern("/approvals/:id").unwrap(), 0);
        assert_eq!(set.patterns.len(), 6);
        let matching = |path: &str| {
            let mut sources = Vec::new();
            set.for_each_match(path, |found| sources.push(found.source.to_string()));
            sources.sort();
            sources
        };
        assert_eq!(matching("/approvals"), ["/:any", "/approvals"]);
        assert_eq!(matching("/approvals/CLM-1"), ["/approvals/:id"]);
        assert_eq!(matching("/approvals/CLM-1/history"), ["/approvals/:id/history"]);
        assert_eq!(matching("/orders/1/2"), ["/orders/*"]);
        assert_eq!(matching("/a/b"), ["/a/b"]);
        assert_eq!(matching("/a/b/c"), Vec::<String>::new());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        /// The trie only skips patterns that cannot match, and the segment matcher agrees with
        /// URLPattern: answers equal testing every pattern with the full implementation.
        #[test]
        fn the_trie_never_hides_a_match(
            patterns in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(vec!["a", "b", "orders", ":id", "*", "c-1", "{x}?", "x.y", "..", "."]), 0..4),
                1..12,
            ),
            paths in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(vec!["a", "b", "orders", "42", "c-1", "x.y", "", "%20", "é", "..", "."]), 0..5),
                1..12,
            ),
        ) {
            let mut set = PatternSet::<u32>::default();
            let mut sources = Vec::new();
            for (snippet, segments) in patterns.iter().enumerate() {
                let source = format!("/{}", segments.join("/"));
                if let Ok(id) = set.intern(&source) {
                    set.attach(id, snippet as u32);
                    sources.push(source);
                }
            }
            for segments in paths {
                let path = format!("/{}", segments.join("/"));
                let mut through_trie = Vec::new();
                set.for_each_match(&path, |found| through_trie.push(found.source.to_string()));
                through_trie.sort();
                let mut brute_force: Vec<String> = set
                    .patterns
                    .iter()
                    .filter(|candidate| matches(&compile(&candidate.source).unwrap(), &path))
                    .map(|candidate| candidate.source.to_string())
                    .collect();
                brute_force.sort();
                proptest::prop_assert_eq!(through_trie, brute_force, "path {}", path);
            }
        }
    }
}
