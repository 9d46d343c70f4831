//! Ticket categories (工单分类, SVC-2): the default category tree and classification, automatic or manual.
//!
//! The default tree ships with stable codes; admins add more (a category code follows
//! [`validate_code`]). Automatic classification goes through the
//! [`Classifier`] trait; the built-in [`KeywordClassifier`] matches keywords in a deterministic order,
//! and a smarter classifier can be plugged in later behind the same trait.

use crate::error::DomainError;
use crate::org::validate_code;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A category of the default tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct DefaultCategory {
    /// Stable code, stored on tickets; never rename one.
    pub code: &'static str,
    /// The Chinese name shown in the UI.
    pub name_zh: &'static str,
    /// The parent's code, for the sub-categories of 售后.
    pub parent: Option<&'static str>,
}

const fn cat(code: &'static str, name_zh: &'static str) -> DefaultCategory {
    DefaultCategory { code, name_zh, parent: None }
}

const fn sub(code: &'static str, name_zh: &'static str, parent: &'static str) -> DefaultCategory {
    DefaultCategory { code, name_zh, parent: Some(parent) }
}

/// 售前咨询: questions before buying (stock, size, price, differences).
pub const PRESALES: &str = "presales";
/// 订单: changing, cancelling, invoicing an order.
pub const ORDER: &str = "order";
/// 物流: delivery, tracking, parcels not received.
pub const LOGISTICS: &str = "logistics";
/// 售后: after-sales in general, including refunds whose kind is not yet known.
pub const AFTER_SALES: &str = "after_sales";
/// 退货 (退货退款): return and refund.
pub const AFTER_SALES_RETURN: &str = "after_sales_return";
/// 换货: exchange.
pub const AFTER_SALES_EXCHANGE: &str = "after_sales_exchange";
/// 仅退款: refund only, nothing sent back.
pub const AFTER_SALES_REFUND_ONLY: &str = "after_sales_refund_only";
/// 维修: repair.
pub const AFTER_SALES_REPAIR: &str = "after_sales_repair";
/// 投诉: a formal complaint, with its own workflow (EC-6).
pub const COMPLAINT: &str = "complaint";
/// 账号: login, password, registration.
pub const ACCOUNT: &str = "account";
/// 支付: payment and charges.
pub const PAYMENT: &str = "payment";
/// 产品质量: defects, damage, counterfeits.
pub const PRODUCT_QUALITY: &str = "product_quality";
/// 技术支持: how to use a product, app faults (EC-4).
pub const TECHNICAL_SUPPORT: &str = "technical_support";
/// 会员权益: member tiers, points, coupons (EC-5).
pub const MEMBER_BENEFITS: &str = "member_benefits";
/// 建议与反馈: suggestions.
pub const SUGGESTION: &str = "suggestion";
/// 服务流程: about the service itself (nobody answers, passed around).
pub const SERVICE_PROCESS: &str = "service_process";

/// The default category tree (SVC-2), parents before their children.
pub const DEFAULT_CATEGORIES: [DefaultCategory; 16] = [
    cat(PRESALES, "售前咨询"),
    cat(ORDER, "订单"),
    cat(LOGISTICS, "物流"),
    cat(AFTER_SALES, "售后"),
    sub(AFTER_SALES_RETURN, "退货", AFTER_SALES),
    sub(AFTER_SALES_EXCHANGE, "换货", AFTER_SALES),
    sub(AFTER_SALES_REFUND_ONLY, "仅退款", AFTER_SALES),
    sub(AFTER_SALES_REPAIR, "维修", AFTER_SALES),
    cat(COMPLAINT, "投诉"),
    cat(ACCOUNT, "账号"),
    cat(PAYMENT, "支付"),
    cat(PRODUCT_QUALITY, "产品质量"),
    cat(TECHNICAL_SUPPORT, "技术支持"),
    cat(MEMBER_BENEFITS, "会员权益"),
    cat(SUGGESTION, "建议与反馈"),
    cat(SERVICE_PROCESS, "服务流程"),
];

/// The default category with this code, if any.
pub fn default_category(code: &str) -> Option<&'static DefaultCategory> {
    DEFAULT_CATEGORIES.iter().find(|c| c.code == code)
}

/// A keyword rule: if the text contains any of `keywords`, suggest `category`.
///
/// Rules are tried by ascending `priority`, ties in slice order; the first rule with a matching keyword
/// wins. Put specific rules before general ones (换货 before 退款 before 订单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KeywordRule {
    /// The category code to suggest.
    pub category: String,
    /// Matched as substrings; ASCII letters case-insensitively. Blank keywords never match.
    pub keywords: Vec<String>,
    /// Lower is tried first.
    pub priority: u32,
}

/// The longest keyword a rule may hold, in characters.
pub const MAX_KEYWORD_CHARS: usize = 50;

impl KeywordRule {
    /// Checks a rule entered by an admin: a valid category code and 1.. non-blank keywords of at most
    /// [`MAX_KEYWORD_CHARS`] characters.
    pub fn validate(&self) -> Result<(), DomainError> {
        validate_code("category", &self.category)?;
        if self.keywords.is_empty() {
            return Err(DomainError::validation("keywords", "a keyword rule needs at least one keyword"));
        }
        for k in &self.keywords {
            if k.trim().is_empty() {
                return Err(DomainError::validation("keywords", "keywords must not be blank"));
            }
            if k.chars().count() > MAX_KEYWORD_CHARS {
                return Err(DomainError::validation(
                    "keywords",
                    format!("keyword '{k}' is longer than {MAX_KEYWORD_CHARS} characters"),
                ));
            }
        }
        Ok(())
    }
}

/// The default keyword table: category, keywords, in priority order. Complaints come first (a complaint
/// about a refund is a complaint), then the specific after-sales kinds, then general topics, and the
/// catch-alls (订单, 售前) last.
const DEFAULT_KEYWORDS: [(&str, &[&str]); 16] = [
    (COMPLAINT, &["投诉", "举报", "12315", "消协", "曝光"]),
    (AFTER_SALES_EXCHANGE, &["换货", "换一个", "换个新的", "调换"]),
    (AFTER_SALES_REPAIR, &["维修", "返修", "保修", "修理"]),
    (AFTER_SALES_RETURN, &["退货", "退回", "寄回"]),
    (AFTER_SALES_REFUND_ONLY, &["仅退款", "只退款"]),
    (AFTER_SALES, &["退款", "售后", "退换", "三包"]),
    (
        LOGISTICS,
        &[
            "物流",
            "快递",
            "没收到货",
            "还没收到",
            "未收到",
            "没到货",
            "配送",
            "派送",
            "运单",
            "丢件",
            "签收",
            "发货",
        ],
    ),
    (PAYMENT, &["支付", "付款", "扣款", "扣了两次", "重复扣", "扣费", "花呗", "信用卡", "银行卡"]),
    (ACCOUNT, &["账号", "账户", "登录", "登陆", "密码", "注册", "验证码", "绑定手机", "注销"]),
    (MEMBER_BENEFITS, &["会员", "积分", "优惠券", "权益", "vip"]),
    (PRODUCT_QUALITY, &["质量", "破损", "瑕疵", "次品", "假货", "开裂", "裂缝", "变质", "过期", "掉色"]),
    (
        TECHNICAL_SUPPORT,
        &["闪退", "打不开", "安装", "怎么用", "使用方法", "说明书", "连不上", "无法连接", "报错", "死机"],
    ),
    (SERVICE_PROCESS, &["推诿", "没人接", "没人回复", "没人理", "态度", "转来转去", "等了很久"]),
    (ORDER, &["订单", "下单", "改地址", "修改地址", "拍错", "发票", "取消订单"]),
    (PRESALES, &["有货", "现货", "库存", "尺码", "尺寸", "区别", "推荐", "多少钱", "上架", "能便宜"]),
    (SUGGESTION, &["建议", "希望你们", "希望能", "意见"]),
];

/// The default keyword rules, priorities 10, 20, 30, … so admins can slot their own rules in between.
pub fn default_keyword_rules() -> Vec<KeywordRule> {
    DEFAULT_KEYWORDS
        .iter()
        .zip(1u32..)
        .map(|((category, keywords), i)| KeywordRule {
            category: (*category).to_string(),
            keywords: keywords.iter().map(|k| (*k).to_string()).collect(),
            priority: i * 10,
        })
        .collect()
}

/// Suggests a category code for a ticket's subject and body: the first rule (by ascending priority, ties
/// in slice order) one of whose keywords occurs in the text. `None` when nothing matches.
pub fn classify<'r>(subject_and_body: &str, rules: &'r [KeywordRule]) -> Option<&'r str> {
    let text = subject_and_body.to_lowercase();
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.keywords.iter().any(|k| {
                let k = k.trim();
                !k.is_empty() && text.contains(&k.to_lowercase())
            })
        })
        .min_by_key(|(i, r)| (r.priority, *i))
        .map(|(_, r)| r.category.as_str())
}

/// The seam for automatic classification (自动分类): anything that suggests a category code for a text.
/// The suggestion is applied as an ordinary `SetCategory` command by the system actor, so it is recorded
/// and can be corrected by staff like any other change.
pub trait Classifier: Send + Sync {
    /// A category code for the ticket's subject and body, or `None` to leave it unclassified.
    fn classify(&self, subject_and_body: &str) -> Option<String>;
}

/// The built-in classifier: keyword rules, see [`classify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordClassifier {
    rules: Vec<KeywordRule>,
}

impl KeywordClassifier {
    /// A classifier over these rules.
    pub fn new(rules: Vec<KeywordRule>) -> KeywordClassifier {
        KeywordClassifier { rules }
    }

    /// The rules in use.
    pub fn rules(&self) -> &[KeywordRule] {
        &self.rules
    }
}

impl Default for KeywordClassifier {
    /// A classifier over [`default_keyword_rules`].
    fn default() -> Self {
        KeywordClassifier::new(default_keyword_rules())
    }
}

impl Classifier for KeywordClassifier {
    fn classify(&self, subject_and_body: &str) -> Option<String> {
        classify(subject_and_body, &self.rules).map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_tree_has_the_seed_categories_with_valid_unique_codes() {
        let names: Vec<&str> = DEFAULT_CATEGORIES.iter().map(|c| c.name_zh).collect();
        for n in [
            "售前咨询",
            "订单",
            "物流",
            "售后",
            "退货",
            "换货",
            "仅退款",
            "维修",
            "投诉",
            "账号",
            "支付",
            "产品质量",
            "技术支持",
            "会员权益",
            "建议与反馈",
            "服务流程",
        ] {
            assert!(names.contains(&n), "missing {n}");
        }
        let mut codes = std::collections::HashSet::new();
        for (i, c) in DEFAULT_CATEGORIES.iter().enumerate() {
            assert!(validate_code("category", c.code).is_ok(), "{}", c.code);
            assert!(codes.insert(c.code), "duplicate {}", c.code);
            if let Some(p) = c.parent {
                let pi = DEFAULT_CATEGORIES.iter().position(|x| x.code == p).expect("parent exists");
                assert!(pi < i, "{} comes before its parent", c.code);
                assert_eq!(default_category(p).expect("parent").parent, None, "only one level");
            }
        }
        let children: Vec<&str> =
            DEFAULT_CATEGORIES.iter().filter(|c| c.parent == Some(AFTER_SALES)).map(|c| c.name_zh).collect();
        assert_eq!(children, ["退货", "换货", "仅退款", "维修"]);
        assert_eq!(default_category("logistics").expect("exists").name_zh, "物流");
        assert!(default_category("nope").is_none());
    }

    #[test]
    fn every_default_rule_is_valid_and_points_at_a_default_category() {
        let rules = default_keyword_rules();
        assert_eq!(rules.len(), DEFAULT_KEYWORDS.len());
        for r in &rules {
            r.validate().expect("valid rule");
            assert!(default_category(&r.category).is_some(), "{}", r.category);
        }
        assert!(rules.windows(2).all(|w| w[0].priority < w[1].priority));
    }

    #[test]
    fn realistic_texts_get_the_right_default_category() {
        let rules = default_keyword_rules();
        let cases = [
            ("我申请退款三天了还没到账", AFTER_SALES),
            ("快递三天了还没到，物流信息一直没更新", LOGISTICS),
            ("下单一周了还没收到，怎么回事", LOGISTICS),
            ("我要投诉你们的客服，退款拖了一个星期", COMPLAINT),
            ("收到的衣服尺码不对，想换货", AFTER_SALES_EXCHANGE),
            ("耳机左边没声音了，还在保修期能维修吗", AFTER_SALES_REPAIR),
            ("鞋子不合适，申请退货退款，运费谁出", AFTER_SALES_RETURN),
            ("商品还没发出，申请仅退款", AFTER_SALES_REFUND_ONLY),
            ("收到的杯子有裂缝，质量太差了", PRODUCT_QUALITY),
            ("我在你们这买到了假货", PRODUCT_QUALITY),
            ("付款的时候扣了两次钱", PAYMENT),
            ("登录时一直提示密码错误，验证码也收不到", ACCOUNT),
            ("这款手机有没有现货？128G和256G有什么区别", PRESALES),
            ("积分怎么突然清零了，会员等级也降了", MEMBER_BENEFITS),
            ("我是VIP会员，生日礼包在哪里领", MEMBER_BENEFITS),
            ("APP一直闪退，打不开", TECHNICAL_SUPPORT),
            ("我想修改订单的收货地址", ORDER),
            ("建议你们增加夜间客服", SUGGESTION),
            ("打了三次电话都没人接，客服互相推诿", SERVICE_PROCESS),
        ];
        for (text, expected) in cases {
            assert_eq!(classify(text, &rules), Some(expected), "{text}");
        }
        assert_eq!(classify("您好，在吗", &rules), None);
        assert_eq!(classify("", &rules), None);
    }

    #[test]
    fn priority_decides_between_matching_rules_and_ties_keep_slice_order() {
        let rule = |category: &str, kw: &str, priority| KeywordRule {
            category: category.to_string(),
            keywords: vec![kw.to_string()],
            priority,
        };
        let rules = vec![rule("later", "退款", 20), rule("first", "到账", 10), rule("tie", "到账", 10)];
        assert_eq!(classify("退款没到账", &rules), Some("first"));
        assert_eq!(classify("退款", &rules), Some("later"));
        // A blank keyword must not match everything.
        assert_eq!(classify("anything", &[rule("blank", "  ", 0)]), None);
    }

    #[test]
    fn admin_rules_are_validated() {
        let mut r =
            KeywordRule { category: "logistics".into(), keywords: vec!["顺丰".into()], priority: 5 };
        assert!(r.validate().is_ok());
        r.keywords.push(" ".into());
        assert_eq!(r.validate().expect_err("blank").field.as_deref(), Some("keywords"));
        r.keywords = vec![];
        assert_eq!(r.validate().expect_err("none").field.as_deref(), Some("keywords"));
        r.keywords = vec!["快".repeat(MAX_KEYWORD_CHARS + 1)];
        assert_eq!(r.validate().expect_err("long").field.as_deref(), Some("keywords"));
        r.keywords = vec!["顺丰".into()];
        r.category = "物流".into();
        assert_eq!(r.validate().expect_err("code").field.as_deref(), Some("category"));
    }

    #[test]
    fn the_classifier_trait_is_a_seam_for_other_classifiers() {
        struct Always(&'static str);
        impl Classifier for Always {
            fn classify(&self, _: &str) -> Option<String> {
                Some(self.0.to_string())
            }
        }
        let classifiers: Vec<Box<dyn Classifier>> =
            vec![Box::new(KeywordClassifier::default()), Box::new(Always(SUGGESTION))];
        let text = "物流太慢了";
        let got: Vec<Option<String>> = classifiers.iter().map(|c| c.classify(text)).collect();
        assert_eq!(got, [Some(LOGISTICS.to_string()), Some(SUGGESTION.to_string())]);
        assert_eq!(KeywordClassifier::default().rules().len(), DEFAULT_KEYWORDS.len());
    }
}
