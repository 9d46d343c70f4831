//! A merchant's return rules (退换货规则): the windows of the eligibility engine, for all goods and per
//! product category, each never below the legal minimum ([`ReturnPolicy::validate`]). A merchant without
//! its own rules uses the platform's ([`ReturnPolicy::default`]).

use super::eligibility::ReturnPolicy;
use crate::error::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Windows for the goods of one product category (the order item's `category` code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPolicy {
    pub category: String,
    pub policy: ReturnPolicy,
}

/// A merchant's return rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRules {
    /// For every item without a category rule of its own.
    pub default: ReturnPolicy,
    #[serde(default)]
    pub categories: Vec<CategoryPolicy>,
}

/// The most category rules a merchant keeps.
pub const MAX_CATEGORY_RULES: usize = 200;

fn prefixed(at: &str, e: DomainError) -> DomainError {
    let field = format!("{at}.{}", e.field.as_deref().unwrap_or(""));
    DomainError::validation(&field, e.message)
}

impl ReturnRules {
    /// Every window at or above the legal minimum, category codes valid and not repeated; the error
    /// names the field (`categories[2].policy.no_reason_days`).
    pub fn validate(&self) -> Result<(), DomainError> {
        self.default.validate().map_err(|e| prefixed("default", e))?;
        if self.categories.len() > MAX_CATEGORY_RULES {
            return Err(DomainError::validation(
                "categories",
                format!("at most {MAX_CATEGORY_RULES} category rules"),
            ));
        }
        for (i, c) in self.categories.iter().enumerate() {
            crate::org::validate_code(&format!("categories[{i}].category"), &c.category)?;
            if self.categories[..i].iter().any(|o| o.category == c.category) {
                return Err(DomainError::validation(
                    &format!("categories[{i}].category"),
                    format!("category {} has a rule already", c.category),
                ));
            }
            c.policy.validate().map_err(|e| prefixed(&format!("categories[{i}].policy"), e))?;
        }
        Ok(())
    }

    /// The windows for an item of `category`.
    pub fn for_category(&self, category: Option<&str>) -> ReturnPolicy {
        category
            .and_then(|cat| self.categories.iter().find(|c| c.category == cat))
            .map(|c| c.policy.clone())
            .unwrap_or_else(|| self.default.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(no_reason: u32) -> ReturnPolicy {
        ReturnPolicy { no_reason_days: no_reason, ..ReturnPolicy::default() }
    }

    #[test]
    fn a_category_rule_applies_to_its_items_only() {
        let r = ReturnRules {
            default: policy(7),
            categories: vec![CategoryPolicy { category: "digital".into(), policy: policy(15) }],
        };
        assert!(r.validate().is_ok());
        assert_eq!(r.for_category(Some("digital")).no_reason_days, 15);
        assert_eq!(r.for_category(Some("fresh")).no_reason_days, 7);
        assert_eq!(r.for_category(None).no_reason_days, 7);
    }

    #[test]
    fn nothing_below_the_legal_minimum_and_the_field_is_named() {
        let e = ReturnRules { default: policy(6), categories: vec![] }.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("default.no_reason_days"));
        assert!(e.message.contains("minimum is 7"), "{}", e.message);
        let r = ReturnRules {
            default: policy(7),
            categories: vec![
                CategoryPolicy { category: "digital".into(), policy: policy(10) },
                CategoryPolicy { category: "fresh".into(), policy: policy(3) },
            ],
        };
        assert_eq!(r.validate().unwrap_err().field.as_deref(), Some("categories[1].policy.no_reason_days"));
        let r = ReturnRules {
            default: policy(7),
            categories: vec![
                CategoryPolicy { category: "digital".into(), policy: policy(10) },
                CategoryPolicy { category: "digital".into(), policy: policy(12) },
            ],
        };
        assert_eq!(r.validate().unwrap_err().field.as_deref(), Some("categories[1].category"));
        let r = ReturnRules {
            default: policy(7),
            categories: vec![CategoryPolicy { category: "数码".into(), policy: policy(10) }],
        };
        assert_eq!(r.validate().unwrap_err().field.as_deref(), Some("categories[0].category"));
    }
}
