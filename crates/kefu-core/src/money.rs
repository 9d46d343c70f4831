//! Money as kefu shows and reads it: amounts are integer fen (分) everywhere; people see and type 元.

/// Fen as 元, exactly: 5900 → `¥59.00`, -250 → `-¥2.50`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", a / 100, a % 100)
}

/// 元 as a person types it (`59.9`, `¥1,299.00`, `12`; at most two decimals, not negative) → fen,
/// exactly; `None` when it is not such an amount.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let s = s.trim().trim_start_matches(['¥', '￥']).replace(',', "");
    let (int, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() || !digits(int) || frac.len() > 2 || !digits(frac) {
        return None;
    }
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    int.parse::<i64>().ok()?.checked_mul(100)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_and_read_exactly() {
        assert_eq!(yuan(5900), "¥59.00");
        assert_eq!(yuan(1), "¥0.01");
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(-250), "-¥2.50");
        assert_eq!(parse_yuan("59.9"), Some(5990));
        assert_eq!(parse_yuan("0.07"), Some(7));
        assert_eq!(parse_yuan("¥1,299.00"), Some(129_900));
        assert_eq!(parse_yuan("12"), Some(1200));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("-1"), None);
        assert_eq!(parse_yuan("abc"), None);
        assert_eq!(parse_yuan(""), None);
    }
}
