use super::normalize::{classify, Ch};
use super::query::{fts5_quote, tsquery_quote, LOADS};
use super::*;
use std::collections::HashSet;
use std::time::Instant;

fn terms(q: &str) -> Vec<String> {
    query_terms(q)
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The units of an FTS5 expression produced by `fts5_match_expr`, checking its exact shape.
fn parse_fts5(expr: &str) -> Vec<String> {
    expr.split(" AND ")
        .map(|part| {
            let inner = part.strip_prefix('"').and_then(|p| p.strip_suffix('"')).expect("quoted unit");
            assert!(!inner.is_empty(), "empty phrase in {expr}");
            assert!(!inner.contains('"'), "unescaped quote in {expr}");
            assert_safe_unit(inner);
            inner.to_string()
        })
        .collect()
}

/// The units of a tsquery produced by `tsquery_expr`, checking its exact shape.
fn parse_tsquery(expr: &str) -> Vec<String> {
    expr.split(" & ")
        .map(|part| {
            let inner = part.strip_prefix('\'').and_then(|p| p.strip_suffix('\'')).expect("quoted lexeme");
            assert!(!inner.is_empty(), "empty lexeme in {expr}");
            assert_safe_unit(inner);
            inner.to_string()
        })
        .collect()
}

/// A unit is made only of normalised letters, digits and CJK characters.
fn assert_safe_unit(unit: &str) {
    for c in unit.chars() {
        let ch = classify(c);
        assert!(ch != Ch::Sep && ch.char() == Some(c), "unsafe character {c:?} in unit {unit:?}");
    }
}

/// What both databases do: the text matches when every unit of the expression is a token of its
/// search column. Checks that the FTS5 and tsquery renderings agree.
fn db_match(text: &str, query: &str) -> bool {
    let t = terms(query);
    let (Some(fts), Some(tsq)) = (fts5_match_expr(&t), tsquery_expr(&t)) else {
        panic!("no expression for {query:?}");
    };
    let units = parse_fts5(&fts);
    assert_eq!(units, parse_tsquery(&tsq), "renderings differ for {query:?}");
    let index = index_text(text);
    let tokens: HashSet<&str> = index.split(' ').collect();
    units.iter().all(|u| tokens.contains(u.as_str()))
}

const CORPUS: &[&str] = &[
    "你好，我想申请退款，订单号20261122000123，衣服尺码太小了。",
    "我要退款！快递三天了还没到，到底什么时候发货？",
    "退款什么时候到账？我已经退货五天了。",
    "您好，退款申请已经提交，预计1-3个工作日原路退回。",
    "快递还没到，物流信息一直显示在转运中心。",
    "请问可以仅退款吗？商品有破损，外包装也压坏了。",
    "亲，这边帮您查询了一下，运单号是SF1234567890，今天下午会派送。",
    "已签收，但是里面少了一件T恤。",
    "以旧换新活动还有吗？我想把旧手机换成iPhone 15。",
    "买了iPhone15 Pro，屏幕有坏点，可以换货吗？",
    "联系人李娜，电话138-1234-5678，邮箱lina.zhang@example.com。",
    "包裹被别人签收了，我根本没收到。",
    "七天无理由退货需要保证商品不影响二次销售哦。",
    "麻烦开一下发票，抬头是杭州某某科技有限公司，税号91330100MA2XXXXX。",
    "会员等级怎么升级？我现在是黄金会员。",
    "ＳＫＵ：ＡＢ－１２３４，Café au lait 色，β-胡萝卜素。",
];

// ---------------------------------------------------------------- the scenarios of the brief

#[test]
fn refund_finds_every_phrasing() {
    for text in ["申请退款", "我要退款", "退款什么时候到账", "我想申请退款，谢谢", "退款申请已提交"]
    {
        assert!(db_match(text, "退款"), "退款 should find {text}");
    }
    assert!(!db_match("退货已签收", "退款"));
}

#[test]
fn express_finds_not_arrived() {
    assert!(db_match("快递还没到", "快递"));
    assert!(db_match("快递还没到", "没到"));
    assert!(db_match("我的快递到现在还没到！", "快递没到"));
}

#[test]
fn apply_refund_is_an_and_of_words() {
    assert_eq!(terms("申请退款"), s(&["申请", "退款"]));
    assert!(db_match("我想申请退款", "申请退款"));
    assert!(db_match("退款申请已提交", "申请退款"), "terms are ANDed, not a phrase");
    assert!(!db_match("我要退款", "申请退款"), "a text with only 退款 is not a match");
    let t = terms("申请退款");
    assert!(rank("我想申请退款", &t) > rank("我要退款", &t));
    assert!(rank("我要退款", &t) > 0.0 && rank("我要退款", &t) < 2.0);
}

#[test]
fn english_and_digits_are_searchable() {
    let order = "订单20261122000123已发货";
    assert!(db_match(order, "20261122000123"));
    assert!(db_match(order, "订单 20261122000123"));
    assert!(!db_match(order, "20261122000124"));
    assert!(!db_match(order, "000123"), "numbers match whole, not by infix");
    assert_eq!(terms("iPhone 15"), s(&["iphone", "15"]));
    assert!(db_match("以旧换新换成iPhone 15", "iPhone 15"));
    assert!(db_match("买了iPhone15 Pro", "iPhone 15"), "mixed words are indexed by their parts too");
    assert!(db_match("买了iPhone15 Pro", "IPHONE15"));
    assert!(!db_match("以旧换新换成iPhone 15", "iphone15"), "a mixed query word matches whole words");
    assert!(db_match("ｉＰｈｏｎｅ　１５", "iphone 15"), "full-width input");
    assert!(db_match("运单号是SF1234567890", "sf1234567890"));
    assert_eq!(terms("lina.zhang@example.com"), s(&["lina", "zhang", "example", "com"]));
    assert!(db_match("邮箱lina.zhang@example.com。", "lina.zhang@example.com"));
    assert!(db_match("邮箱lina.zhang@example.com。", "example.com"));
    assert!(db_match("ＳＫＵ：ＡＢ－１２３４", "ab-1234"));
    assert!(db_match("Café au lait", "CAFE"), "Latin diacritics are folded on both sides");
    assert!(db_match("β-胡萝卜素", "β 胡萝卜素"));
    assert_eq!(terms("T恤"), s(&["t", "恤"]), "scripts are split: terms are ANDed");
    assert!(db_match("少了一件T恤", "t恤"));
    assert_eq!(snippet("少了一件T恤", &terms("t恤"), 20), "少了一件【T恤】");
}

#[test]
fn punctuation_only_queries_give_nothing() {
    for q in ["", "   ", "，。！？", "!!!", "...", "【】", "——", "😀🎉", "\u{3000}\t\n", "的了吗", "我是你的"]
    {
        assert!(query_terms(q).is_empty(), "{q:?} gave {:?}", query_terms(q));
        assert_eq!(fts5_match_expr(&query_terms(q)), None);
        assert_eq!(tsquery_expr(&query_terms(q)), None);
    }
    assert_eq!(fts5_match_expr(&[]), None);
    assert_eq!(tsquery_expr(&s(&["。", " "])), None);
}

#[test]
fn stop_words_are_dropped() {
    assert_eq!(terms("我要退款"), s(&["退款"]));
    assert_eq!(terms("我的订单怎么还没到呢？"), s(&["订单", "没到"]));
    assert_eq!(terms("退款什么时候到账"), s(&["退款", "到账"]));
    assert_eq!(terms("快递坏了"), s(&["快递", "坏"]));
    assert_eq!(terms("退款 退款 退款"), s(&["退款"]));
}

#[test]
fn single_characters_and_unknown_names() {
    assert_eq!(terms("退"), s(&["退"]));
    assert!(db_match("退货退款", "退"));
    assert!(db_match("外包装也压坏了", "坏"));
    // unknown to the dictionary: single characters are glued into one term
    assert_eq!(terms("张伟"), s(&["张伟"]));
    assert!(db_match("客户张伟来电", "张伟"));
    assert!(!db_match("张先生和李伟", "张伟"));
}

#[test]
fn custom_words_stay_whole() {
    for word in CUSTOM_WORDS {
        assert_eq!(segmenter().cut(word, false), vec![*word], "{word}");
        assert_eq!(terms(word), s(&[word]), "{word}");
    }
    assert!(db_match("申请仅退款，不退货", "仅退款"));
    assert!(!db_match("仅限今天，退款请联系客服", "仅退款"), "a whole word is matched contiguously");
}

#[test]
fn injection_is_neutralised() {
    let attacks = [
        r#"退款" OR "快递"#,
        r#"" OR 1=1 --"#,
        "退款*",
        "subject:退款",
        "title : 退款 ^ 1",
        "a & b | !c",
        "(退款) & !(快递)",
        "退款 <-> 快递",
        "退款:* | 'x'",
        "NEAR(退款 快递, 2)",
        "退款 AND 快递 OR NOT 发票",
        "'; DROP TABLE tickets; --",
        r"\' \\ \x27",
        "{subject body}: 退款",
        "+退款 -快递",
    ];
    for q in attacks {
        let t = query_terms(q);
        let fts = fts5_match_expr(&t).expect("something to search");
        let tsq = tsquery_expr(&t).expect("something to search");
        assert_eq!(parse_fts5(&fts), parse_tsquery(&tsq), "{q}");
        // FTS5 keywords typed by the user are quoted, lower-case words
        for word in ["AND", "OR", "NOT", "NEAR"] {
            assert!(!fts.replace("\" AND \"", "").contains(word), "{q} -> {fts}");
        }
    }
    let t = query_terms(r#"退款" OR "快递"#);
    assert_eq!(t, s(&["退款", "or", "快递"]));
    assert_eq!(fts5_match_expr(&t).as_deref(), Some(r#""退款" AND "or" AND "快递""#));
    assert_eq!(tsquery_expr(&t).as_deref(), Some("'退款' & 'or' & '快递'"));
    // raw terms that bypass query_terms are reduced to safe units as well
    let raw = s(&["a\"b", "x' | 'y", "NEAR(a b)", "col:*", "\\", "退款'--"]);
    assert_eq!(
        fts5_match_expr(&raw).as_deref(),
        Some(r#""a" AND "b" AND "x" AND "y" AND "near" AND "col" AND "退款""#)
    );
    assert_eq!(tsquery_expr(&raw).as_deref(), Some("'a' & 'b' & 'x' & 'y' & 'near' & 'col' & '退款'"));
    // and the quoting itself escapes, should a unit ever contain a quote
    assert_eq!(fts5_quote("a\"b"), "\"a\"\"b\"");
    assert_eq!(tsquery_quote("a'b\\c"), "'a''b\\\\c'");
}

#[test]
fn snippet_highlights_and_keeps_chinese_intact() {
    let text = "您好，这边帮您查询了一下，您的退款申请已经提交，预计1-3个工作日原路退回，请注意查收。";
    let t = terms("退款");
    let snip = snippet(text, &t, 16);
    assert_eq!(snip, "…下，您的【退款】申请已经提交，预计1…");
    let body: String = snip.chars().filter(|c| !matches!(c, '【' | '】' | '…')).collect();
    assert_eq!(body.chars().count(), 16);
    assert!(text.contains(&body));
    // the whole text fits: no ellipsis; every match highlighted; adjacent matches merged
    assert_eq!(snippet("申请退款，退款到账", &terms("申请退款"), 50), "【申请退款】，【退款】到账");
    // no match: the beginning
    assert_eq!(snippet("快递还没到，物流信息一直显示在转运中心。", &terms("发票"), 8), "快递还没到，物流…");
    // case, width and word boundaries follow the index
    assert_eq!(snippet("买了ｉＰｈｏｎｅ15 Pro", &terms("iphone"), 40), "买了【ｉＰｈｏｎｅ】15 Pro");
    assert_eq!(snippet("订单20261122000123", &terms("0001"), 40), "订单20261122000123");
    // literal brackets are not mistaken for highlights; whitespace collapses
    assert_eq!(snippet("【官方旗舰店】\n\n  退款  说明", &terms("退款"), 40), "〖官方旗舰店〗 【退款】 说明");
    assert_eq!(snippet("退款", &terms("退款"), 0), "");
    // a match at the very end keeps max_chars of context before it
    let long = format!("{}退款", "很".repeat(30));
    assert_eq!(snippet(&long, &terms("退款"), 6), "…很很很很【退款】");
    // a match longer than the window is cut, still highlighted
    assert_eq!(snippet("一二三七天无理由退货", &terms("七天无理由"), 3), "…【七天无】…");
}

#[test]
fn rank_orders_by_terms_then_density() {
    let t = terms("快递 没到");
    let both = rank("快递还没到", &t);
    let one = rank("快递已签收", &t);
    let none = rank("发票已开", &t);
    assert!(both > 2.0 && both < 3.0, "{both}");
    assert!(one > 1.0 && one < 2.0, "{one}");
    assert_eq!(none, 0.0);
    // same terms: more occurrences rank higher, a longer text lower
    let t = terms("退款");
    assert!(rank("退款退款", &t) > rank("退款", &t));
    assert!(rank("退款", &t) > rank(&format!("退款{}", "的".repeat(500)), &t));
    assert_eq!(rank("退款", &[]), 0.0);
    // deterministic
    assert_eq!(rank(CORPUS[1], &terms("快递 退款")), rank(CORPUS[1], &terms("快递 退款")));
    // scattered pairs pass the database filter but do not count as the word
    let t = terms("七天无理由");
    let scattered = "七天内天无绝人之路无理取闹理由充分";
    assert!(db_match(scattered, "七天无理由"));
    assert_eq!(rank(scattered, &t), 0.0);
}

#[test]
fn verbatim_text_is_always_found() {
    // every CJK substring (1..=6 chars) and every word of every text finds that text
    for text in CORPUS {
        let chars: Vec<char> = text.chars().collect();
        for len in 1..=6 {
            for window in chars.windows(len) {
                if !window.iter().all(|c| matches!(classify(*c), Ch::Cjk(_))) {
                    continue;
                }
                let q: String = window.iter().collect();
                let t = query_terms(&q);
                if t.is_empty() {
                    continue; // stop words only
                }
                assert!(db_match(text, &q), "{q:?} ({t:?}) should find {text}");
                assert!(rank(text, &t) >= t.len() as f64, "{q:?} should rank all terms in {text}");
            }
        }
        for word in text.split(|c: char| classify(c) == Ch::Sep || matches!(classify(c), Ch::Cjk(_))) {
            if !word.is_empty() {
                assert!(db_match(text, word), "{word:?} should find {text}");
            }
        }
    }
}

#[test]
fn index_text_tokens() {
    assert_eq!(index_text("申请退款！"), "申 申请 请 请退 退 退款 款");
    assert_eq!(index_text("iPhone15 Pro"), "iphone15 iphone 15 pro");
    assert_eq!(index_text("ＳＫＵ：ＡＢ－１２３４"), "sku ab 1234");
    assert_eq!(index_text("退款退款"), "退 退款 款 款退");
    assert_eq!(index_text("，。！？ 😀"), "");
    assert_eq!(index_text("Ünïcödé ΣΟΦΊΑ Москва ß"), "unicode σοφία москва ß");
    assert_eq!(index_text("二〇二六年"), "二 二〇 〇 〇二 二六 六 六年 年");
    assert_eq!(index_text("Straſſe ẞ Ǖ"), "strasse ß u");
    // every token is made of the closed alphabet, none too long, none repeated
    for text in CORPUS {
        let index = index_text(text);
        let tokens: Vec<&str> = index.split(' ').collect();
        assert_eq!(tokens.len(), tokens.iter().collect::<HashSet<_>>().len());
        for token in tokens {
            assert_safe_unit(token);
            assert!(token.chars().count() <= MAX_TOKEN_CHARS);
        }
    }
    // a very long word is indexed by its parts only
    let long = format!("{}{}", "a".repeat(70), "1".repeat(3));
    assert_eq!(index_text(&long), "111");
    assert_eq!(query_terms(&long), s(&["111"]));
    assert_eq!(index_text(&"b".repeat(65)), "");
}

#[test]
fn long_texts_are_capped() {
    let text = format!("{}发票", "好".repeat(MAX_INDEX_CHARS));
    let index = index_text(&text);
    assert_eq!(index, "好 好好");
    assert!(!db_match(&text, "发票"));
    let text = format!("{}发票", "好".repeat(MAX_INDEX_CHARS - 2));
    assert!(db_match(&text, "发票"));
    let big: String = CORPUS.concat().repeat(200);
    assert!(big.chars().count() > MAX_INDEX_CHARS);
    assert!(index_text(&big).len() < 200_000);
}

#[test]
fn segmenter_loads_once() {
    let start = Instant::now();
    let first = query_terms("我想申请退款，快递还没到");
    let first_time = start.elapsed();
    let start = Instant::now();
    let second = query_terms("我想申请退款，快递还没到");
    let second_time = start.elapsed();
    eprintln!(
        "query_terms: first call {first_time:?} (includes loading the dictionary unless another test \
         loaded it first), second call {second_time:?}"
    );
    assert_eq!(first, second);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| query_terms("退款什么时候到账"));
        }
    });
    assert!(std::ptr::eq(segmenter(), segmenter()));
    assert_eq!(LOADS.load(std::sync::atomic::Ordering::SeqCst), 1);
}
