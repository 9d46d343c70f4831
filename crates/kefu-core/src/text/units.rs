//! Index units: the whitespace-separated tokens written to the search column and looked up by queries.
//!
//! A normalised text splits into runs: maximal sequences of CJK characters, and maximal sequences of
//! word characters (letters and digits). Everything else separates runs.
//!
//! | run | indexed | looked up by a query |
//! | --- | --- | --- |
//! | CJK, n characters | every character and every overlapping pair | the run's pairs (n ≥ 2), or its one character |
//! | word | the whole run and, if it mixes letters and digits, its letter and digit parts | the whole run |
//!
//! So every unit a query looks up for a run is indexed for every text that contains that run: a query
//! always finds a text that contains its words verbatim, whatever the segmenter made of either.

use super::normalize::Ch;
use super::MAX_TOKEN_CHARS;
use std::ops::Range;

/// The kind of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunKind {
    Cjk,
    Word,
}

/// The runs of a normalised text, as kinds and index ranges.
pub(crate) fn runs(chs: &[Ch]) -> Vec<(RunKind, Range<usize>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chs.len() {
        let kind = match chs[i] {
            Ch::Cjk(_) => RunKind::Cjk,
            Ch::Letter(_) | Ch::Digit(_) => RunKind::Word,
            Ch::Sep => {
                i += 1;
                continue;
            }
        };
        let start = i;
        while i < chs.len() && kind_of(chs[i]) == Some(kind) {
            i += 1;
        }
        out.push((kind, start..i));
    }
    out
}

fn kind_of(ch: Ch) -> Option<RunKind> {
    match ch {
        Ch::Cjk(_) => Some(RunKind::Cjk),
        Ch::Letter(_) | Ch::Digit(_) => Some(RunKind::Word),
        Ch::Sep => None,
    }
}

/// The characters of a slice without separators.
pub(crate) fn collect(chs: &[Ch]) -> String {
    chs.iter().filter_map(|ch| ch.char()).collect()
}

/// The maximal letter-only and digit-only parts of a word run.
fn word_parts(run: &[Ch]) -> Vec<&[Ch]> {
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 1..=run.len() {
        let boundary = i == run.len() || matches!(run[i], Ch::Digit(_)) != matches!(run[i - 1], Ch::Digit(_));
        if boundary {
            parts.push(&run[start..i]);
            start = i;
        }
    }
    parts
}

/// Whether a word run mixes letters and digits.
pub(crate) fn is_mixed(run: &[Ch]) -> bool {
    run.iter().any(|ch| matches!(ch, Ch::Digit(_))) && run.iter().any(|ch| matches!(ch, Ch::Letter(_)))
}

/// Calls `emit` with every unit to index for a normalised text, in text order (with repetitions).
pub(crate) fn index_units(chs: &[Ch], mut emit: impl FnMut(String)) {
    for (kind, range) in runs(chs) {
        let run = &chs[range];
        match kind {
            RunKind::Cjk => {
                for (i, ch) in run.iter().enumerate() {
                    emit(collect(std::slice::from_ref(ch)));
                    if let Some(pair) = run.get(i..i + 2) {
                        emit(collect(pair));
                    }
                }
            }
            RunKind::Word => {
                if run.len() <= MAX_TOKEN_CHARS {
                    emit(collect(run));
                }
                if is_mixed(run) {
                    for part in word_parts(run) {
                        if part.len() <= MAX_TOKEN_CHARS {
                            emit(collect(part));
                        }
                    }
                }
            }
        }
    }
}

/// Calls `emit` with the units a query looks up for a normalised term, in order (with repetitions).
///
/// A word run longer than [`MAX_TOKEN_CHARS`] is not indexed whole; it is looked up by its parts when it
/// has several, and not at all otherwise.
pub(crate) fn query_units(chs: &[Ch], mut emit: impl FnMut(String)) {
    for (kind, range) in runs(chs) {
        let run = &chs[range];
        match kind {
            RunKind::Cjk if run.len() == 1 => emit(collect(run)),
            RunKind::Cjk => run.windows(2).for_each(|pair| emit(collect(pair))),
            RunKind::Word if run.len() <= MAX_TOKEN_CHARS => emit(collect(run)),
            RunKind::Word if is_mixed(run) => word_parts(run)
                .into_iter()
                .filter(|p| p.len() <= MAX_TOKEN_CHARS)
                .for_each(|p| emit(collect(p))),
            RunKind::Word => {}
        }
    }
}
