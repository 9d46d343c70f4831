//! The shared segmenter, query terms, and their rendering as FTS5 and tsquery expressions.

use super::normalize::{normalize, Ch};
use super::units::{collect, query_units, runs, RunKind};
use super::{MAX_MATCH_UNITS, MAX_QUERY_CHARS, MAX_QUERY_TERMS};
use jieba_rs::Jieba;
use std::collections::HashSet;
use std::sync::LazyLock;

/// Customer-service and e-commerce words added to jieba's dictionary, so that a query keeps them whole
/// (one term, matched as one contiguous string) instead of splitting them into unrelated words or
/// single characters.
pub const CUSTOM_WORDS: &[&str] = &[
    "仅退款",
    "退货退款",
    "七天无理由",
    "签收",
    "运单号",
    "快递单号",
    "物流单号",
    "订单号",
    "客服",
    "人工客服",
    "售后",
    "发票",
    "电子发票",
    "以旧换新",
    "价保",
    "保价",
    "优惠券",
    "会员等级",
    "运费险",
    "补差价",
    "退差价",
    "上门取件",
    "好评返现",
];

/// Words dropped from queries: particles, pronouns and fillers that carry no meaning for search.
/// Words that form compounds (有, 会, 能, 没有 …) are kept on purpose.
#[rustfmt::skip]
pub const STOP_WORDS: &[&str] = &[
    // particles
    "的", "地", "得", "了", "着", "过", "吗", "呢", "啊", "吧", "呀", "哦", "噢", "嘛", "么", "哈", "啦", "哇", "呗", "嗯",
    // pronouns and address
    "我", "你", "您", "他", "她", "它", "我们", "你们", "他们", "她们", "咱们", "亲",
    // function words
    "是", "在", "和", "与", "及", "或", "就", "也", "都", "还", "又", "把", "被", "给", "让", "这", "那", "个",
    "这个", "那个", "已经",
    // requests, wishes and question words
    "请", "请问", "要", "想", "我要", "我想", "想要", "一下", "可以", "能不能", "是不是", "有没有",
    "什么", "怎么", "怎样", "怎么样", "怎么办", "为什么", "为啥", "时候",
];

#[cfg(test)]
pub(crate) static LOADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

static SEGMENTER: LazyLock<Jieba> = LazyLock::new(|| {
    #[cfg(test)]
    LOADS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let mut jieba = Jieba::new();
    for word in CUSTOM_WORDS {
        jieba.add_word(word, None, None);
    }
    jieba
});

/// The process-wide jieba segmenter with kefu's [`CUSTOM_WORDS`], built on first use (about 30 MB;
/// never build another). Call it once at start-up to pay the loading time before the first search.
pub fn segmenter() -> &'static Jieba {
    &SEGMENTER
}

/// Whether a word is one of the [`STOP_WORDS`].
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// The terms of a user's search, to be matched all together (AND).
///
/// The query is normalised like indexed text (first [`MAX_QUERY_CHARS`] characters). A word run
/// (letters and digits) is one term: `iPhone 15` gives `iphone`, `15`; `lina.zhang@example.com` gives
/// `lina`, `zhang`, `example`, `com`. A CJK run is segmented by jieba (dictionary only, no HMM guessing),
/// [`STOP_WORDS`] are dropped, each remaining word of two or more characters is a term, and consecutive
/// single characters are glued into one term (a name such as 张伟, a word jieba does not know). Terms
/// are deduplicated in order; at most [`MAX_QUERY_TERMS`]. Empty when nothing is searchable
/// (punctuation, emoji, stop words only).
#[must_use]
pub fn query_terms(q: &str) -> Vec<String> {
    let chs = normalize(q, MAX_QUERY_CHARS);
    let mut terms = Vec::new();
    for (kind, range) in runs(&chs) {
        let run = &chs[range];
        match kind {
            RunKind::Word => query_units(run, |unit| terms.push(unit)),
            RunKind::Cjk => cjk_terms(&collect(run), &mut terms),
        }
    }
    let mut seen = HashSet::new();
    terms.retain(|t| seen.insert(t.clone()));
    terms.truncate(MAX_QUERY_TERMS);
    terms
}

fn cjk_terms(run: &str, terms: &mut Vec<String>) {
    let mut loose = String::new();
    for word in segmenter().cut(run, false) {
        if is_stop_word(word) {
            flush(&mut loose, terms);
        } else if word.chars().count() == 1 {
            loose.push_str(word);
        } else {
            flush(&mut loose, terms);
            terms.push(word.to_owned());
        }
    }
    flush(&mut loose, terms);
}

fn flush(loose: &mut String, terms: &mut Vec<String>) {
    if !loose.is_empty() {
        terms.push(std::mem::take(loose));
    }
}

/// The index units that must all be present for a text to match the terms: each term, normalised, as
/// the units a query looks up (see the [module documentation](super)), deduplicated, at most
/// [`MAX_MATCH_UNITS`]. Units consist only of letters, digits and CJK characters.
pub fn match_units(terms: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut units = Vec::new();
    for term in terms {
        let chs: Vec<Ch> = normalize(term, MAX_QUERY_CHARS);
        query_units(&chs, |unit| {
            if seen.insert(unit.clone()) {
                units.push(unit);
            }
        });
    }
    units.truncate(MAX_MATCH_UNITS);
    units
}

/// The FTS5 `MATCH` expression for the terms: every unit of [`match_units`] as a double-quoted string
/// (a `"` would be doubled; units never contain one), joined by `AND`. Operators, column filters,
/// prefixes and `NEAR` typed by a user are thus searched as plain words. `None` when there is nothing to
/// search: the caller returns no results instead of querying.
#[must_use]
pub fn fts5_match_expr(terms: &[String]) -> Option<String> {
    let units = match_units(terms);
    (!units.is_empty()).then(|| units.iter().map(|u| fts5_quote(u)).collect::<Vec<_>>().join(" AND "))
}

/// The `to_tsquery('simple', $1)` text for the terms: every unit of [`match_units`] as a quoted lexeme
/// (`'` doubled and `\` escaped; units never contain either), joined by `&`. `None` when there is
/// nothing to search.
#[must_use]
pub fn tsquery_expr(terms: &[String]) -> Option<String> {
    let units = match_units(terms);
    (!units.is_empty()).then(|| units.iter().map(|u| tsquery_quote(u)).collect::<Vec<_>>().join(" & "))
}

pub(crate) fn fts5_quote(unit: &str) -> String {
    format!("\"{}\"", unit.replace('"', "\"\""))
}

pub(crate) fn tsquery_quote(unit: &str) -> String {
    format!("'{}'", unit.replace('\\', "\\\\").replace('\'', "''"))
}
