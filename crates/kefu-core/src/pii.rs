//! Personal information (SEC-4): masking for display and normalisation for exact lookup.
//!
//! Masking follows GB/T 35273-2020 §7.2 (de-identified display): screens show enough for an agent to
//! recognise a customer ("尾号5678") and no more. Every function works on `char`s, so Chinese text and
//! emoji are never split inside a UTF-8 sequence, and none of them panics on any input.
//!
//! | value | shown as |
//! | --- | --- |
//! | mobile `13812345678`, `+86 138 1234 5678` | `138****5678` |
//! | landline `010-12345678` | `010-****5678` |
//! | e-mail `zhang.san@example.com` | `z***@example.com` |
//! | name `张三`, `欧阳娜娜`, `Li Lei` | `张*`, `欧***`, `L*****` |
//! | address `广东省深圳市南山区科技园路1号3栋502` | `广东省深圳市南山区****` |
//! | ID number `11010519491231002X` | `1****************X` |
//!
//! Input that fits none of the recognised shapes is masked generically: at most 40% of its characters
//! stay visible (see [`mask_generic`]). Masked output is bounded in length ([`MAX_STARS`] stars at most), so
//! a pasted essay in a phone field cannot flood a screen.
//!
//! Normalisation ([`normalize_phone`], [`normalize_email`], [`PiiKind::normalize`]) produces the one
//! canonical text of a value, which the storage layer feeds to its keyed hash ("blind index") so that
//! `+86 138-1234-5678` and `13812345678` find the same customer.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};

/// The character that replaces hidden characters.
const MASK: char = '*';

/// The most stars a masked value contains, however long the input.
pub const MAX_STARS: usize = 16;

/// The largest share of an unrecognised value's characters that generic masking reveals, in percent.
const MAX_REVEAL_PERCENT: usize = 40;

/// The longest phone number text accepted, separators included.
const MAX_PHONE_CHARS: usize = 40;

/// The longest e-mail address accepted (RFC 5321 path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// The kinds of personal information kefu stores about customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Name,
    Phone,
    Email,
    Address,
}

impl PiiKind {
    pub const ALL: [PiiKind; 4] = [PiiKind::Name, PiiKind::Phone, PiiKind::Email, PiiKind::Address];

    /// The stable name, also used as the field name in validation errors.
    pub fn as_str(&self) -> &'static str {
        match self {
            PiiKind::Name => "name",
            PiiKind::Phone => "phone",
            PiiKind::Email => "email",
            PiiKind::Address => "address",
        }
    }

    /// The value as a screen may show it.
    pub fn mask(&self, value: &str) -> String {
        match self {
            PiiKind::Name => mask_name(value),
            PiiKind::Phone => mask_phone(value),
            PiiKind::Email => mask_email(value),
            PiiKind::Address => mask_address(value),
        }
    }

    /// The canonical text for exact lookup: [`normalize_phone`] and [`normalize_email`] for those kinds;
    /// names and addresses are trimmed with runs of white space folded to one space (names also lower
    /// case, so `Li Lei` and `li  lei` match). Empty values are a validation error naming the field.
    pub fn normalize(&self, value: &str) -> Result<String, DomainError> {
        match self {
            PiiKind::Phone => normalize_phone(value),
            PiiKind::Email => normalize_email(value),
            PiiKind::Name => collapse_whitespace(self.as_str(), value).map(|s| s.to_lowercase()),
            PiiKind::Address => collapse_whitespace(self.as_str(), value),
        }
    }
}

fn collapse_whitespace(field: &str, value: &str) -> Result<String, DomainError> {
    let s = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return Err(DomainError::validation(field, format!("{field} is empty")));
    }
    Ok(s)
}

// ---------------------------------------------------------------------------------------------------
// Generic masking
// ---------------------------------------------------------------------------------------------------

fn stars(n: usize) -> impl Iterator<Item = char> {
    std::iter::repeat_n(MASK, n.min(MAX_STARS))
}

/// Shows at most `head` leading and `tail` trailing characters, never more than 40% of all characters
/// together (the head gives way first, since the tail is what agents quote), and replaces the rest with
/// one star each, at most [`MAX_STARS`].
fn mask_edges(chars: &[char], head: usize, tail: usize) -> String {
    let n = chars.len();
    let cap = n * MAX_REVEAL_PERCENT / 100;
    let (mut head, mut tail) = (head.min(n), tail.min(n));
    while head + tail > cap {
        if head >= tail {
            head -= 1;
        } else {
            tail -= 1;
        }
    }
    let mut out = String::new();
    out.extend(&chars[..head]);
    out.extend(stars(n - head - tail));
    out.extend(&chars[n - tail..]);
    out
}

/// Masks any text: keeps up to 3 leading and 4 trailing characters, at most 40% of the whole.
/// One or two characters are hidden completely.
pub fn mask_generic(value: &str) -> String {
    let chars: Vec<char> = value.trim().chars().collect();
    mask_edges(&chars, 3, 4)
}

// ---------------------------------------------------------------------------------------------------
// Phone numbers
// ---------------------------------------------------------------------------------------------------

/// A phone number in one of the shapes kefu recognises.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phone {
    /// A mainland mobile number: 11 digits, `1[3-9]…`.
    Mobile(String),
    /// A mainland landline: area code with its leading 0, a 7–8 digit local number, maybe an extension.
    Landline { area: String, local: String, ext: Option<String> },
    /// A nationwide 400/800 service number (10 digits).
    Service(String),
    /// A number outside the mainland in E.164 form: `+` and 8–15 digits.
    International(String),
}

impl Phone {
    fn normalized(&self) -> String {
        match self {
            Phone::Mobile(d) | Phone::Service(d) | Phone::International(d) => d.clone(),
            Phone::Landline { area, local, ext: None } => format!("{area}{local}"),
            Phone::Landline { area, local, ext: Some(ext) } => format!("{area}{local}-{ext}"),
        }
    }
}

/// Full-width digits and punctuation, as Chinese input methods type them, read as their ASCII forms.
fn fold_full_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Removes `k` leading digits from digit groups, dropping groups that become empty.
fn strip_leading_digits(groups: &mut Vec<String>, mut k: usize) {
    while k > 0 {
        let Some(first) = groups.first_mut() else { return };
        if first.len() <= k {
            k -= first.len();
            groups.remove(0);
        } else {
            first.replace_range(..k, "");
            k = 0;
        }
    }
}

fn is_mobile(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

const NOT_A_PHONE: &str = "not a phone number: expected a mainland mobile (11 digits starting with 1), \
                           a landline with its area code (010-12345678), a 400/800 number, \
                           or an international number starting with +";

fn parse_phone(input: &str) -> Result<Phone, &'static str> {
    let s: String = input.trim().chars().map(fold_full_width).collect();
    if s.is_empty() {
        return Err("phone number is empty");
    }
    if s.chars().count() > MAX_PHONE_CHARS {
        return Err("phone number is too long");
    }
    let mut plus = false;
    let mut groups: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in s.chars() {
        match c {
            '0'..='9' => current.push(c),
            '+' if !plus && groups.is_empty() && current.is_empty() => plus = true,
            ' ' | '-' | '(' | ')' | '.' | '/' => {
                if !current.is_empty() {
                    groups.push(std::mem::take(&mut current));
                }
            }
            _ => {
                return Err(
                    "phone number may contain only digits, spaces, dashes, parentheses and a leading +",
                )
            }
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    let digits: String = groups.concat();
    if digits.is_empty() {
        return Err("phone number has no digits");
    }

    // Country code: +86 or 0086 for any mainland number; a bare 86 only before a mobile number, where
    // it cannot be mistaken for the start of anything else.
    let international_prefix = if plus {
        if !digits.starts_with("86") {
            return if (8..=15).contains(&digits.len()) && !digits.starts_with('0') {
                Ok(Phone::International(format!("+{digits}")))
            } else {
                Err("an international number has 8 to 15 digits after the +")
            };
        }
        strip_leading_digits(&mut groups, 2);
        true
    } else if digits.starts_with("0086") {
        strip_leading_digits(&mut groups, 4);
        true
    } else {
        if digits.len() == 13 && is_mobile(&digits[2..]) && digits.starts_with("86") {
            strip_leading_digits(&mut groups, 2);
        }
        false
    };

    // After a country code, a landline's area code drops its trunk 0 (+86 10 1234 5678): restore it.
    let mut national: String = groups.concat();
    if international_prefix && !is_mobile(&national) && !national.starts_with('0') && !national.is_empty() {
        national.insert(0, '0');
        if let Some(first) = groups.first_mut() {
            first.insert(0, '0');
        }
    }

    if is_mobile(&national) {
        return Ok(Phone::Mobile(national));
    }
    if national.len() == 10 && (national.starts_with("400") || national.starts_with("800")) {
        return Ok(Phone::Service(national));
    }
    if national.starts_with('0') && !national.starts_with("00") {
        // Area codes: 010 and 02x have three digits, all others four.
        let area_len = if national.starts_with("010") || national.starts_with("02") { 3 } else { 4 };
        if national.len() <= area_len {
            return Err(NOT_A_PHONE);
        }
        let (area, rest) = national.split_at(area_len);
        // A separate last group after a complete local number is an extension (0755-86013388-8001).
        let (local, ext) = match groups.split_last() {
            Some((last, before)) if groups.len() >= 2 && last.len() <= 6 => {
                let before_len: usize = before.iter().map(String::len).sum();
                let local_len = before_len.saturating_sub(area_len);
                if before_len > area_len && (7..=8).contains(&local_len) {
                    (&rest[..local_len], Some(last.clone()))
                } else {
                    (rest, None)
                }
            }
            _ => (rest, None),
        };
        if !(7..=8).contains(&local.len()) {
            return Err("a landline number has 7 or 8 digits after the area code");
        }
        if local.starts_with('0') {
            return Err("a landline number does not start with 0 after the area code");
        }
        return Ok(Phone::Landline { area: area.to_string(), local: local.to_string(), ext });
    }
    Err(NOT_A_PHONE)
}

/// The canonical text of a phone number, for exact lookup.
///
/// Spaces, dashes, dots, slashes and parentheses go; full-width digits count as digits. Results:
/// a mainland mobile is its 11 digits (`+86`, `0086` and `86` prefixes removed); a landline is its area
/// code with the leading 0 and the local number (`01012345678`), then `-` and the extension if one was
/// written as a separate group; a 400/800 number is its 10 digits; any other country's number is `+`
/// and its digits. Anything else is a validation error on the field `phone`.
pub fn normalize_phone(input: &str) -> Result<String, DomainError> {
    parse_phone(input).map(|p| p.normalized()).map_err(|msg| DomainError::validation("phone", msg))
}

/// A phone number for display: `138****5678` for mobiles (country code dropped), `010-****5678` for
/// landlines (extension kept), `400***8820` for service numbers; anything else is masked generically.
pub fn mask_phone(input: &str) -> String {
    match parse_phone(input) {
        Ok(Phone::Mobile(d)) => format!("{}****{}", &d[..3], &d[7..]),
        Ok(Phone::Landline { area, local, ext }) => {
            let hidden = local.len() - 4;
            let mut out = format!("{area}-");
            out.extend(stars(hidden));
            out.push_str(&local[hidden..]);
            if let Some(ext) = ext {
                out.push('-');
                out.push_str(&ext);
            }
            out
        }
        Ok(Phone::Service(d)) => format!("{}***{}", &d[..3], &d[6..]),
        Ok(Phone::International(d)) => mask_edges(&d.chars().collect::<Vec<_>>(), 3, 4),
        Err(_) => mask_generic(input),
    }
}

// ---------------------------------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------------------------------

/// The canonical text of an e-mail address, for exact lookup: trimmed and lower case (full-width `＠`
/// and `．` read as `@` and `.`). It must have exactly one `@` with text on both sides, no white space,
/// and a domain with a dot and no empty labels; otherwise a validation error on the field `email`.
pub fn normalize_email(input: &str) -> Result<String, DomainError> {
    let invalid = |msg: &str| DomainError::validation("email", msg);
    let s: String = input.trim().chars().map(fold_email_char).collect::<String>().to_lowercase();
    if s.is_empty() {
        return Err(invalid("email is empty"));
    }
    if s.chars().count() > MAX_EMAIL_CHARS {
        return Err(invalid("email is too long (at most 254 characters)"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("email must not contain spaces"));
    }
    let mut parts = s.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("email must contain exactly one @"));
    };
    if local.is_empty() || domain.is_empty() {
        return Err(invalid("email needs a name before the @ and a domain after it"));
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Err(invalid("email domain must look like example.com"));
    }
    Ok(s)
}

fn fold_email_char(c: char) -> char {
    match c {
        '＠' => '@',
        '．' => '.',
        _ => c,
    }
}

/// An e-mail address for display: the first character of the name, three stars, and the domain
/// (`z***@example.com`); a one-character name is hidden completely (`***@qq.com`). Text without `@` is
/// masked generically.
pub fn mask_email(input: &str) -> String {
    let s: String = input.trim().chars().map(fold_email_char).collect();
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            let mut chars = local.chars();
            let first = match (chars.next(), chars.next()) {
                (Some(c), Some(_)) => Some(c),
                _ => None,
            };
            let mut out = String::new();
            out.extend(first);
            out.push_str("***@");
            out.push_str(domain);
            out
        }
        None => mask_generic(&s),
    }
}

// ---------------------------------------------------------------------------------------------------
// Names and identity numbers
// ---------------------------------------------------------------------------------------------------

/// A person's name for display: the first character and one star for each other character (`张三` →
/// `张*`, `欧阳娜娜` → `欧***`, `Li Lei` → `L*****`). Only the first character is kept even for
/// compound surnames, since a single-character surname followed by a given name looks the same. A
/// one-character name is hidden completely.
pub fn mask_name(input: &str) -> String {
    let chars: Vec<char> = input.trim().chars().collect();
    match chars.as_slice() {
        [] => String::new(),
        [_] => MASK.to_string(),
        [first, rest @ ..] => {
            let mut out = first.to_string();
            out.extend(stars(rest.len()));
            out
        }
    }
}

/// An identity document number (居民身份证, passport) for display: the first and the last character
/// (`1****************X`), white space removed. Short values reveal at most 40%.
pub fn mask_id_number(input: &str) -> String {
    let chars: Vec<char> = input.chars().filter(|c| !c.is_whitespace()).collect();
    mask_edges(&chars, 1, 1)
}

// ---------------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------------

/// Administrative levels of a Chinese address, outermost first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    None,
    Province,
    City,
    County,
}

/// What an administrative suffix makes of the unit it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SuffixLevel {
    Province,
    City,
    /// 市: a city (or a municipality such as 北京市) at first, a county-level city after a city.
    CityOrCounty,
    County,
}

/// Administrative suffixes, longer ones before the shorter ones they end with, and the longest unit
/// (name and suffix, in chars) each may end. The limits keep text such as 张三家住深圳市 from passing as
/// a city name.
const SUFFIXES: &[(&str, SuffixLevel, usize)] = &[
    ("特别行政区", SuffixLevel::Province, 7),
    ("自治区", SuffixLevel::Province, 8),
    ("省", SuffixLevel::Province, 4),
    ("自治州", SuffixLevel::City, 12),
    ("地区", SuffixLevel::City, 6),
    ("盟", SuffixLevel::City, 6),
    ("市", SuffixLevel::CityOrCounty, 6),
    ("自治县", SuffixLevel::County, 16),
    ("自治旗", SuffixLevel::County, 12),
    ("县", SuffixLevel::County, 6),
    ("旗", SuffixLevel::County, 8),
    ("区", SuffixLevel::County, 10),
];

/// Places that end in 区 but are no administrative district: neighbourhoods, estates, parks, campuses.
const NOT_DISTRICTS: &[&str] =
    &["社区", "小区", "园区", "景区", "校区", "街区", "片区", "业区", "厂区", "营区"];

/// The longest stretch scanned for one administrative unit.
const MAX_UNIT_CHARS: usize = 16;

fn is_ideograph(c: char) -> bool {
    matches!(
        c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}'
    )
}

/// Characters that end any administrative unit: everything but Chinese characters, and the words of
/// street addresses (路, 号, 村, …), which no province, city or county name contains.
fn is_hard_break(c: char) -> bool {
    !is_ideograph(c)
        || matches!(c, '路' | '街' | '巷' | '号' | '栋' | '幢' | '楼' | '室' | '弄' | '村' | '组')
}

/// Township words. They start some county and city names (镇江市, 乡城县, 道县) and sit inside others
/// right before the suffix (新乡市, 安乡县); anywhere else they end the administrative part (长安镇…).
fn is_soft_break(c: char) -> bool {
    matches!(c, '镇' | '乡' | '道')
}

fn is_suffix_char(c: char) -> bool {
    matches!(c, '省' | '市' | '州' | '盟' | '区' | '县' | '旗')
}

/// What a candidate administrative unit turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// It does not end in an administrative suffix (yet).
    Open,
    /// It ends in a suffix but cannot be a unit here (too long, out of order, 社区): the administrative
    /// part of the address ends before it.
    Rejected,
    /// A unit of this level.
    Accepted(Level),
}

/// Classifies `unit`, a candidate administrative unit after one of `level`.
fn classify_unit(unit: &[char], level: Level) -> Unit {
    let ends = |suffix: &str| {
        let n = suffix.chars().count();
        unit.len() > n && unit[unit.len() - n..].iter().copied().eq(suffix.chars())
    };
    let Some(&(_, kind, max)) = SUFFIXES.iter().find(|(suffix, _, _)| ends(suffix)) else {
        return Unit::Open;
    };
    let next = match kind {
        SuffixLevel::Province => Level::Province,
        SuffixLevel::City => Level::City,
        SuffixLevel::CityOrCounty if level < Level::City => Level::City,
        SuffixLevel::CityOrCounty | SuffixLevel::County => Level::County,
    };
    if unit.len() > max || next <= level || NOT_DISTRICTS.iter().any(|s| ends(s)) {
        return Unit::Rejected;
    }
    Unit::Accepted(next)
}

/// The length (in chars) of the leading province / city / county part of an address (after an optional
/// 中国), 0 if none.
fn administrative_prefix_len(chars: &[char]) -> usize {
    let mut level = Level::None;
    let mut pos = if chars.starts_with(&['中', '国']) { 2 } else { 0 };
    let mut kept = 0;
    'units: while level < Level::County {
        while chars.get(pos).is_some_and(|c| c.is_whitespace()) {
            pos += 1;
        }
        let limit = chars.len().min(pos + MAX_UNIT_CHARS);
        for end in pos + 1..=limit {
            let c = chars[end - 1];
            let next_is_suffix = chars.get(end).is_some_and(|n| is_suffix_char(*n));
            if is_hard_break(c) || (is_soft_break(c) && end - 1 > pos && !next_is_suffix) {
                break 'units;
            }
            match classify_unit(&chars[pos..end], level) {
                Unit::Open => {}
                Unit::Rejected => break 'units,
                Unit::Accepted(found) => {
                    // A district whose name ends in another suffix: 红旗区, not 红旗; 沙市区, not 沙市.
                    let (end, found) =
                        match (chars.get(end), classify_unit(&chars[pos..(end + 1).min(chars.len())], level))
                        {
                            (Some('区'), Unit::Accepted(longer)) => (end + 1, longer),
                            _ => (end, found),
                        };
                    level = found;
                    pos = end;
                    kept = end;
                    continue 'units;
                }
            }
        }
        break;
    }
    kept
}

/// A postal address for display: the province, city and county (district) stay, the rest becomes
/// `****` (`广东省深圳市南山区科技园路1号3栋502` → `广东省深圳市南山区****`). Recognised units end in
/// 省 / 自治区 / 特别行政区, 市 / 自治州 / 地区 / 盟, and 区 / 县 / 旗 / a county-level 市, in that order, and
/// consist of Chinese characters without street words (路, 号, 村, …); keeping stops at the county
/// level; a leading 中国 is kept with them. An address without such a prefix keeps at most its first six characters and at most 40% of
/// it. White space between the units is kept as written.
pub fn mask_address(input: &str) -> String {
    let chars: Vec<char> = input.trim().chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let prefix = administrative_prefix_len(&chars);
    let keep = if prefix > 0 { prefix } else { (chars.len() * MAX_REVEAL_PERCENT / 100).min(6) };
    let mut out: String = chars[..keep].iter().collect();
    if keep < chars.len() {
        out.push_str("****");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share_revealed(masked: &str) -> usize {
        masked.chars().filter(|c| *c != MASK).count()
    }

    #[test]
    fn mobiles_show_the_first_three_and_last_four_digits() {
        for input in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "8613812345678",
            "0086 13812345678",
            "(+86) 138-1234-5678",
            "１３８１２３４５６７８",
            "  13812345678\t",
        ] {
            assert_eq!(mask_phone(input), "138****5678", "{input}");
            assert_eq!(normalize_phone(input).unwrap(), "13812345678", "{input}");
        }
        assert_eq!(mask_phone("19912345678"), "199****5678");
    }

    #[test]
    fn landlines_keep_the_area_code_and_the_last_four_digits() {
        assert_eq!(mask_phone("010-12345678"), "010-****5678");
        assert_eq!(mask_phone("(010) 1234 5678"), "010-****5678");
        assert_eq!(mask_phone("01012345678"), "010-****5678");
        assert_eq!(mask_phone("0755-86013388"), "0755-****3388");
        assert_eq!(mask_phone("0898-6123456"), "0898-***3456");
        assert_eq!(mask_phone("021 5555 1234"), "021-****1234");
        assert_eq!(mask_phone("+86 10 1234 5678"), "010-****5678");
        assert_eq!(mask_phone("0755-86013388-8001"), "0755-****3388-8001");

        assert_eq!(normalize_phone("010-12345678").unwrap(), "01012345678");
        assert_eq!(normalize_phone("+86 755 8601 3388").unwrap(), "075586013388");
        assert_eq!(normalize_phone("0086-21-5555-1234").unwrap(), "02155551234");
        assert_eq!(normalize_phone("0755-86013388-8001").unwrap(), "075586013388-8001");
    }

    #[test]
    fn service_and_foreign_numbers() {
        assert_eq!(normalize_phone("400-820-8820").unwrap(), "4008208820");
        assert_eq!(mask_phone("400-820-8820"), "400***8820");
        assert_eq!(normalize_phone("+852 9123 4567").unwrap(), "+85291234567");
        let masked = mask_phone("+852 9123 4567");
        assert!(masked.ends_with("67") && masked.starts_with('+'), "{masked}");
        assert!(share_revealed(&masked) * 100 <= 40 * 12, "{masked}");
    }

    #[test]
    fn text_that_is_not_a_phone_number_is_a_validation_error() {
        for input in [
            "",
            "   ",
            "abc",
            "138123",
            "1381234567",
            "138123456789",
            "12812345678",
            "010-1234",
            "010-0123456",
            "+1",
            "13812345678 ext",
            "☎13812345678",
        ] {
            let e = normalize_phone(input).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("phone"), "{input}");
            assert_eq!(e.code, crate::ErrorCode::Validation);
        }
        let too_long = format!("138{}", "０".repeat(40));
        assert!(normalize_phone(&too_long).unwrap_err().message.contains("too long"));
        assert!(normalize_phone("hello").unwrap_err().message.contains("digits"));
        assert!(normalize_phone("12345").unwrap_err().message.contains("mobile"));
    }

    #[test]
    fn odd_phone_input_is_masked_without_revealing_much() {
        assert_eq!(mask_phone(""), "");
        assert_eq!(mask_phone("1"), "*");
        assert_eq!(mask_phone("12"), "**");
        assert_eq!(mask_phone("123"), "**3");
        assert_eq!(mask_phone("12345"), "1***5");
        assert_eq!(mask_phone("1234567"), "1*****7");
        for input in ["138123", "1381234567", "电话一三八", "📱13812345678", "13812345678 转 8001"] {
            let masked = mask_phone(input);
            let n = input.trim().chars().count();
            assert!(share_revealed(&masked) * 100 <= 40 * n, "{input} -> {masked}");
            assert_eq!(masked.chars().count(), n, "{input} -> {masked}");
        }
        let long = "9".repeat(10_000);
        let masked = mask_phone(&long);
        assert_eq!(masked, format!("999{}9999", "*".repeat(MAX_STARS)));
    }

    #[test]
    fn emails_show_the_first_character_and_the_domain() {
        assert_eq!(mask_email("zhang.san@example.com"), "z***@example.com");
        assert_eq!(mask_email("  Wang.Wu@QQ.com "), "W***@QQ.com");
        assert_eq!(mask_email("a@163.com"), "***@163.com");
        assert_eq!(mask_email("@163.com"), "***@163.com");
        assert_eq!(mask_email("张三@例子.中国"), "张***@例子.中国");
        assert_eq!(mask_email("li＠sina．com"), "l***@sina.com");
        assert_eq!(mask_email("\"a@b\"@example.com"), "\"***@example.com");
        assert_eq!(mask_email(""), "");
        assert_eq!(mask_email("not-an-email"), "no********il");
        assert_eq!(mask_email("😀😀😀@example.com"), "😀***@example.com");
        assert_eq!(mask_email(&format!("{}@x.cn", "a".repeat(5000))), "a***@x.cn");
    }

    #[test]
    fn emails_normalise_to_lower_case() {
        assert_eq!(normalize_email("  Zhang.San@Example.COM ").unwrap(), "zhang.san@example.com");
        assert_eq!(normalize_email("li＠SINA．com").unwrap(), "li@sina.com");
        assert_eq!(normalize_email("王五@例子.中国").unwrap(), "王五@例子.中国");
        for input in [
            "",
            "zhangsan",
            "zhang@san@example.com",
            "@example.com",
            "zhangsan@",
            "zhangsan@localhost",
            "zhangsan@example..com",
            "zhangsan@.example.com",
            "zhangsan@example.com.",
            "zhang san@example.com",
        ] {
            let e = normalize_email(input).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("email"), "{input}");
        }
        let long = format!("{}@example.com", "a".repeat(300));
        assert!(normalize_email(&long).unwrap_err().message.contains("too long"));
    }

    #[test]
    fn names_keep_only_the_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("李小龙"), "李**");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("买买提·艾力"), "买*****");
        assert_eq!(mask_name("Li Lei"), "L*****");
        assert_eq!(mask_name("  王五  "), "王*");
        assert_eq!(mask_name("张"), "*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name("   "), "");
        assert_eq!(mask_name("🐼🐼"), "🐼*");
        assert_eq!(mask_name(&"张".repeat(1000)), format!("张{}", "*".repeat(MAX_STARS)));
    }

    #[test]
    fn identity_numbers_show_the_first_and_last_character() {
        assert_eq!(mask_id_number("11010519491231002X"), "1****************X");
        assert_eq!(mask_id_number("110105 19491231 002X"), "1****************X");
        assert_eq!(mask_id_number("110105491231002"), "1*************2");
        assert_eq!(mask_id_number("E12345678"), "E*******8");
        assert_eq!(mask_id_number("123"), "**3");
        assert_eq!(mask_id_number("12"), "**");
        assert_eq!(mask_id_number("X"), "*");
        assert_eq!(mask_id_number(""), "");
        assert_eq!(mask_id_number(&"1".repeat(500)).chars().count(), MAX_STARS + 2);
    }

    #[test]
    fn addresses_keep_province_city_and_district() {
        let cases = [
            ("广东省深圳市南山区科技园路1号3栋502", "广东省深圳市南山区****"),
            ("北京市朝阳区建国路88号SOHO现代城", "北京市朝阳区****"),
            ("上海市浦东新区张江高科技园区碧波路690号", "上海市浦东新区****"),
            ("江苏省苏州市昆山市玉山镇人民路1号", "江苏省苏州市昆山市****"),
            ("浙江省杭州市余杭区文一西路969号", "浙江省杭州市余杭区****"),
            ("新疆维吾尔自治区乌鲁木齐市天山区解放南路", "新疆维吾尔自治区乌鲁木齐市天山区****"),
            ("四川省阿坝藏族羌族自治州汶川县映秀镇", "四川省阿坝藏族羌族自治州汶川县****"),
            ("内蒙古自治区锡林郭勒盟正蓝旗上都镇", "内蒙古自治区锡林郭勒盟正蓝旗****"),
            ("山东省济南市市中区经十路", "山东省济南市市中区****"),
            ("广东省 深圳市 福田区 福华路 8 号", "广东省 深圳市 福田区****"),
            ("广东省东莞市长安镇乌沙社区", "广东省东莞市****"),
            ("深圳市南山区粤海街道", "深圳市南山区****"),
            ("香港特别行政区九龙旺角弥敦道", "香港特别行政区****"),
            ("广东省深圳市南山区", "广东省深圳市南山区"),
            ("江苏省镇江市京口区学府路", "江苏省镇江市京口区****"),
            ("河南省新乡市红旗区平原路", "河南省新乡市红旗区****"),
            ("湖北省荆州市沙市区北京路", "湖北省荆州市沙市区****"),
            ("湖南省常德市安乡县深柳镇", "湖南省常德市安乡县****"),
            ("广东省中山市小榄镇工业区3号", "广东省中山市****"),
            ("张三家住深圳市南山区", "张三家住****"),
            ("中国 广东省深圳市南山区科技园", "中国 广东省深圳市南山区****"),
            ("中国人民解放军某部", "中国人****"),
            ("福建省厦门市思明区鼓浪屿𠮷祥路", "福建省厦门市思明区****"),
            ("广东省深圳市南山区　科技园", "广东省深圳市南山区****"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_address(input), expected, "{input}");
        }
    }

    #[test]
    fn addresses_without_divisions_reveal_little() {
        assert_eq!(mask_address(""), "");
        assert_eq!(mask_address("   "), "");
        assert_eq!(mask_address("科技园路1号3栋502"), "科技园路****");
        assert_eq!(mask_address("1号"), "****");
        assert_eq!(mask_address("🏠"), "****");
        assert_eq!(mask_address("123 Main Street, Springfield"), "123 Ma****");
        let long = "路".repeat(100_000);
        assert_eq!(mask_address(&long), "路路路路路路****");
    }

    #[test]
    fn generic_masking_never_reveals_more_than_forty_percent() {
        for n in 0..60 {
            let s: String = "号码🙂".chars().cycle().take(n).collect();
            let masked = mask_generic(&s);
            assert!(share_revealed(&masked) * 100 <= 40 * n, "{s} -> {masked}");
        }
    }

    #[test]
    fn no_function_panics_or_grows_on_odd_input() {
        let alphabet: Vec<char> =
            "0123456789+-() .@＠．１３８省市区县旗自治州路号镇乡张三欧阳Li 🐼👨‍👩‍👧\u{0}\u{200B}\u{301}é١٢𠮷\t\n"
                .chars()
                .collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        for _ in 0..5_000 {
            let len = next() % 40;
            let input: String = (0..len).map(|_| alphabet[next() % alphabet.len()]).collect();
            let n = input.chars().count();
            let outputs = [
                mask_phone(&input),
                mask_email(&input),
                mask_name(&input),
                mask_address(&input),
                mask_id_number(&input),
                mask_generic(&input),
            ];
            for out in outputs {
                assert!(out.chars().count() <= n + 4, "{input:?} -> {out:?}");
            }
            let _ = normalize_phone(&input);
            let _ = normalize_email(&input);
            for kind in PiiKind::ALL {
                let _ = kind.normalize(&input);
            }
        }
    }

    #[test]
    fn kinds_dispatch_and_name_themselves() {
        let names: Vec<&str> = PiiKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["name", "phone", "email", "address"]);
        assert_eq!(serde_json::to_string(&PiiKind::Phone).unwrap(), "\"phone\"");
        assert_eq!(serde_json::from_str::<PiiKind>("\"address\"").unwrap(), PiiKind::Address);
        assert_eq!(PiiKind::Name.mask("张三"), "张*");
        assert_eq!(PiiKind::Phone.mask("13812345678"), "138****5678");
        assert_eq!(PiiKind::Email.mask("zhang.san@example.com"), "z***@example.com");
        assert_eq!(PiiKind::Address.mask("北京市海淀区中关村大街1号"), "北京市海淀区****");
    }

    #[test]
    fn kinds_normalise_for_lookup() {
        assert_eq!(PiiKind::Phone.normalize("+86 138-1234-5678").unwrap(), "13812345678");
        assert_eq!(PiiKind::Email.normalize(" A@B.cn ").unwrap(), "a@b.cn");
        assert_eq!(PiiKind::Name.normalize("  Li   Lei ").unwrap(), "li lei");
        assert_eq!(PiiKind::Name.normalize("张三　").unwrap(), "张三");
        assert_eq!(PiiKind::Address.normalize(" 北京市  海淀区 ").unwrap(), "北京市 海淀区");
        for kind in PiiKind::ALL {
            let e = kind.normalize("  ").unwrap_err();
            assert_eq!(e.field.as_deref(), Some(kind.as_str()));
        }
    }
}
