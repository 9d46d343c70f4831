//! Matching terms in a text, in Rust: relevance scores and highlighted snippets.

use super::normalize::{classify, normalize, Ch};
use super::{units::is_mixed, ELLIPSIS, HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, MAX_INDEX_CHARS, MAX_QUERY_CHARS};
use std::collections::HashSet;

/// A term prepared for matching: its normalised characters (no separators) and the boundary rules of
/// its first and last word runs.
struct Needle {
    chs: Vec<Ch>,
    /// The leading word run mixes letters and digits: it must start where a text's word run starts.
    lead_mixed: bool,
    /// The trailing word run mixes letters and digits: it must end where a text's word run ends.
    trail_mixed: bool,
}

/// Normalises the terms; a term containing separators becomes several needles.
fn needles(terms: &[String]) -> Vec<Needle> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for term in terms {
        let chs = normalize(term, MAX_QUERY_CHARS);
        for piece in chs.split(|ch| *ch == Ch::Sep).filter(|p| !p.is_empty()) {
            if !seen.insert(piece.to_vec()) {
                continue;
            }
            let lead = piece.iter().take_while(|ch| ch.is_word()).copied().collect::<Vec<_>>();
            let trail = piece.iter().rev().take_while(|ch| ch.is_word()).copied().collect::<Vec<_>>();
            out.push(Needle {
                chs: piece.to_vec(),
                lead_mixed: is_mixed(&lead),
                trail_mixed: is_mixed(&trail),
            });
        }
    }
    out
}

/// Whether `outside` (a text character next to a match) continues the word run of `inside` (the
/// match's character on that side), so that the match would not be an indexed unit.
///
/// Word runs are indexed whole, and mixed runs also by their letter and digit parts: a match of a
/// pure-letter or pure-digit run may end at a letter/digit change, a match of a mixed run may not.
fn continues(outside: Option<Ch>, inside: Ch, mixed: bool) -> bool {
    match outside {
        Some(o) if o.is_word() && inside.is_word() => {
            mixed || matches!(o, Ch::Digit(_)) == matches!(inside, Ch::Digit(_))
        }
        _ => false,
    }
}

/// The start positions of the non-overlapping occurrences of a needle, left to right.
fn occurrences(text: &[Ch], needle: &Needle) -> Vec<usize> {
    let n = needle.chs.len();
    let (Some(&first), Some(&last)) = (needle.chs.first(), needle.chs.last()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i + n <= text.len() {
        let hit = text[i..i + n] == needle.chs[..]
            && !continues(i.checked_sub(1).map(|p| text[p]), first, needle.lead_mixed)
            && !continues(text.get(i + n).copied(), last, needle.trail_mixed);
        if hit {
            found.push(i);
            i += n;
        } else {
            i += 1;
        }
    }
    found
}

/// A deterministic relevance score of a text for the terms, the same whichever database found it.
///
/// `matched + occurrences / (occurrences + 1 + chars / 100)`, where `matched` is the number of distinct
/// terms found in the text and `occurrences` the total number of their (non-overlapping) occurrences,
/// in the first [`MAX_INDEX_CHARS`] characters (`chars`, at most that). The integer part is the number
/// of matched terms, so a text with more of the terms always ranks first; the fraction (below 1) grows
/// with repetitions and shrinks with length. Terms are matched as the index matches them: CJK anywhere,
/// letters and digits only as whole words (or letter/digit parts of words like `iphone15`), after
/// case and width folding. 0 when no term occurs. Scores compare texts ranked for the same terms;
/// weighting fields (a subject boost) is the caller's business.
#[must_use]
pub fn rank(text: &str, terms: &[String]) -> f64 {
    let chs = normalize(text, MAX_INDEX_CHARS);
    let (mut matched, mut total) = (0usize, 0usize);
    for needle in needles(terms) {
        let found = occurrences(&chs, &needle).len();
        if found > 0 {
            matched += 1;
            total += found;
        }
    }
    if matched == 0 {
        return 0.0;
    }
    let occ = total as f64;
    matched as f64 + occ / (occ + 1.0 + chs.len() as f64 / 100.0)
}

/// A short excerpt of the text around the first match of the terms, for result lists.
///
/// At most `max_chars` characters of the text, starting up to a quarter of `max_chars` before the
/// first match (matches are searched in the first [`MAX_INDEX_CHARS`] characters); every match inside
/// is wrapped in [`HIGHLIGHT_OPEN`]/[`HIGHLIGHT_CLOSE`] (【】), touching or overlapping matches as one;
/// [`ELLIPSIS`] (…) marks a cut end. Characters, never bytes, are cut. Whitespace and control
/// characters collapse to one space; brackets 【】 already in the text become 〖〗, so that 【】 in a
/// snippet are always highlights. Without a match: the beginning of the text. The result is plain text,
/// not HTML: escape it before display.
#[must_use]
pub fn snippet(text: &str, terms: &[String], max_chars: usize) -> String {
    if max_chars == 0 {
        return String::new();
    }
    let chars: Vec<char> = text.chars().collect();
    let chs: Vec<Ch> = chars.iter().take(MAX_INDEX_CHARS).map(|c| classify(*c)).collect();
    let mut ranges: Vec<(usize, usize)> = needles(terms)
        .iter()
        .flat_map(|needle| occurrences(&chs, needle).into_iter().map(|s| (s, s + needle.chs.len())))
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }

    let total = chars.len();
    let (mut start, mut end) = (0, max_chars.min(total));
    if let Some(&(s, e)) = merged.first() {
        start = s.saturating_sub(max_chars / 4);
        end = (start + max_chars).min(total);
        if end - start < max_chars {
            start = end.saturating_sub(max_chars);
        }
        if e > end {
            start = s.min(e.saturating_sub(max_chars));
            end = (start + max_chars).min(total);
        }
    }

    let mut body = String::new();
    let mut highlights =
        merged.iter().map(|&(s, e)| (s.max(start), e.min(end))).filter(|(s, e)| s < e).peekable();
    let mut open_until = None;
    let mut pending_space = false;
    for (i, &c) in chars.iter().enumerate().take(end).skip(start) {
        if open_until == Some(i) {
            body.push(HIGHLIGHT_CLOSE);
            open_until = None;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = true;
            continue;
        }
        if pending_space && !body.is_empty() {
            body.push(' ');
        }
        pending_space = false;
        if let Some(&(s, e)) = highlights.peek() {
            if s == i {
                body.push(HIGHLIGHT_OPEN);
                open_until = Some(e);
                highlights.next();
            }
        }
        body.push(match c {
            HIGHLIGHT_OPEN => '〖',
            HIGHLIGHT_CLOSE => '〗',
            _ => c,
        });
    }
    if open_until.is_some() {
        body.push(HIGHLIGHT_CLOSE);
    }

    let mut out = String::with_capacity(body.len() + 8);
    if start > 0 {
        out.push(ELLIPSIS);
    }
    out.push_str(&body);
    if end < total {
        out.push(ELLIPSIS);
    }
    out
}
