//! Three-way merge of a Markdown body, line by line: when a save meets someone else's newer
//! version, the author's and the other's changes since the version both started from are combined.
//! Where both changed the same lines, both texts are kept between markers for the author to
//! settle, so nothing either of them typed is lost.

/// One stretch of the original (`base[start..end]`) replaced by `lines`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit<'a> {
    start: usize,
    end: usize,
    lines: Vec<&'a str>,
}

/// `ours` and `theirs`, both edited from `base`, merged; `clean` is false when markers were needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub clean: bool,
}

pub const OURS_MARKER: &str = "<<<<<<< yours";
pub const SPLIT_MARKER: &str = "=======";
pub const THEIRS_MARKER: &str = ">>>>>>> theirs";

pub fn merge(base: &str, ours: &str, theirs: &str) -> Merged {
    if ours == theirs || theirs == base {
        return Merged { text: ours.to_owned(), clean: true };
    }
    if ours == base {
        return Merged { text: theirs.to_owned(), clean: true };
    }
    let base_lines: Vec<&str> = base.split_inclusive('\n').collect();
    let our_edits = edits(&base_lines, &ours.split_inclusive('\n').collect::<Vec<_>>());
    let their_edits = edits(&base_lines, &theirs.split_inclusive('\n').collect::<Vec<_>>());
    let mut text = String::new();
    let mut clean = true;
    let (mut at, mut ours_next, mut theirs_next) = (0, 0, 0);
    loop {
        let next_ours = our_edits.get(ours_next);
        let next_theirs = their_edits.get(theirs_next);
        let start = match (next_ours, next_theirs) {
            (None, None) => break,
            (Some(edit), None) | (None, Some(edit)) => edit.start,
            (Some(left), Some(right)) => left.start.min(right.start),
        };
        text.extend(base_lines[at..start].iter().copied());
        // Every edit of either side overlapping or touching the region [start, end) joins it.
        let mut end = start;
        let (first_ours, first_theirs) = (ours_next, theirs_next);
        loop {
            let mut grew = false;
            while let Some(edit) = our_edits.get(ours_next).filter(|edit| edit.start <= end) {
                end = end.max(edit.end);
                ours_next += 1;
                grew = true;
            }
            while let Some(edit) = their_edits.get(theirs_next).filter(|edit| edit.start <= end) {
                end = end.max(edit.end);
                theirs_next += 1;
                grew = true;
            }
            if !grew {
                break;
            }
        }
        let side = |all: &[Edit<'_>], from: usize, to: usize| -> String {
            let mut result = String::new();
            let mut position = start;
            for edit in &all[from..to] {
                result.extend(base_lines[position..edit.start].iter().copied());
                result.extend(edit.lines.iter().copied());
                position = edit.end;
            }
            result.extend(base_lines[position..end].iter().copied());
            result
        };
        let mine = side(&our_edits, first_ours, ours_next);
        let other = side(&their_edits, first_theirs, theirs_next);
        if first_ours == ours_next {
            text.push_str(&other);
        } else if first_theirs == theirs_next || mine == other {
            text.push_str(&mine);
        } else {
            clean = false;
            for (marker, part) in [(OURS_MARKER, mine.as_str()), (SPLIT_MARKER, other.as_str())] {
                text.push_str(marker);
                text.push('\n');
                text.push_str(part);
                if !part.is_empty() && !part.ends_with('\n') {
                    text.push('\n');
                }
            }
            text.push_str(THEIRS_MARKER);
            text.push('\n');
        }
        at = end;
    }
    text.extend(base_lines[at..].iter().copied());
    Merged { text, clean }
}

/// The edits turning `base` into `changed`, from their longest common subsequence of lines.
fn edits<'a>(base: &[&'a str], changed: &[&'a str]) -> Vec<Edit<'a>> {
    let (rows, columns) = (base.len(), changed.len());
    // lengths[i][j]: longest common subsequence of base[i..] and changed[j..].
    let mut lengths = vec![vec![0u32; columns + 1]; rows + 1];
    for i in (0..rows).rev() {
        for j in (0..columns).rev() {
            lengths[i][j] = if base[i] == changed[j] {
                lengths[i + 1][j + 1] + 1
            } else {
                lengths[i + 1][j].max(lengths[i][j + 1])
            };
        }
    }
    let mut result: Vec<Edit<'a>> = Vec::new();
    let (mut i, mut j) = (0, 0);
    let mut open: Option<Edit<'a>> = None;
    while i < rows || j < columns {
        if i < rows && j < columns && base[i] == changed[j] {
            result.extend(open.take());
            i += 1;
            j += 1;
        } else if j < columns && (i == rows || lengths[i][j + 1] >= lengths[i + 1][j]) {
            open.get_or_insert(Edit { start: i, end: i, lines: Vec::new() }).lines.push(changed[j]);
            j += 1;
        } else {
            open.get_or_insert(Edit { start: i, end: i, lines: Vec::new() }).end = i + 1;
            i += 1;
        }
    }
    result.extend(open);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "Title line\nSecond line\nThird line\n";

    #[test]
    fn changes_to_different_lines_both_land() {
        let ours = "Title line, edited by me\nSecond line\nThird line\n";
        let theirs = "Title line\nSecond line\nThird line, edited by them\n";
        let merged = merge(BASE, ours, theirs);
        assert!(merged.clean);
        assert_eq!(merged.text, "Title line, edited by me\nSecond line\nThird line, edited by them\n");
    }

    #[test]
    fn one_sided_and_identical_changes_need_no_markers() {
        let changed = "Title line\nA new second line\nThird line\n";
        assert_eq!(merge(BASE, changed, BASE), Merged { text: changed.into(), clean: true });
        assert_eq!(merge(BASE, BASE, changed), Merged { text: changed.into(), clean: true });
        assert_eq!(merge(BASE, changed, changed), Merged { text: changed.into(), clean: true });
    }

    #[test]
    fn both_appending_keeps_both_texts_between_markers() {
        let ours = format!("{BASE}My note.\n");
        let theirs = format!("{BASE}Their note.\n");
        let merged = merge(BASE, &ours, &theirs);
        assert!(!merged.clean);
        assert_eq!(
            merged.text,
            format!("{BASE}{OURS_MARKER}\nMy note.\n{SPLIT_MARKER}\nTheir note.\n{THEIRS_MARKER}\n")
        );
    }

    #[test]
    fn nothing_either_side_typed_is_lost() {
        let cases = [
            ("a\nb\nc\n", "a\nB1\nc\n", "a\nB2\nc\nd\n"),
            ("", "mine\n", "theirs\n"),
            ("a\nb\n", "", "a\nb\nc\n"),
            ("one\ntwo\nthree\nfour\n", "zero\none\ntwo\nthree\nfour\n", "one\ntwo\nthree\nfour\nfive\n"),
            ("x", "x y", "x z"),
        ];
        for (base, ours, theirs) in cases {
            let merged = merge(base, ours, theirs);
            for line in ours.lines().chain(theirs.lines()) {
                let removed_by_other_side = base.lines().any(|old| old == line);
                assert!(removed_by_other_side || merged.text.contains(line), "{line:?} lost: {merged:?}");
            }
        }
    }
}
