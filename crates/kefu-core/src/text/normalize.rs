//! Character normalisation, shared by indexing, queries, ranking and snippets.
//!
//! Every character maps to exactly one [`Ch`], so positions in the normalised sequence are positions in
//! the original text (snippets rely on it). The alphabet that can reach the database is closed:
//! ASCII `a-z0-9`, Latin letters without a diacritic-free ASCII base, lower-case Greek and Cyrillic,
//! Hangul syllables, and the CJK ranges of [`is_cjk`]. Each of these characters is a word character,
//! already in lower case and already free of the diacritics SQLite's `unicode61` would remove, for both
//! FTS5 `unicode61` (default `remove_diacritics 1`, and `2`) and PostgreSQL's default parser with the
//! `simple` configuration, so both databases see exactly the tokens written here.

/// One character as search sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Ch {
    /// A character of a script written without spaces (Han, kana): indexed as unigrams and bigrams.
    Cjk(char),
    /// A letter of a script written with spaces (Latin, Greek, Cyrillic, Hangul), lower case, folded.
    Letter(char),
    /// An ASCII digit (full-width digits are folded to ASCII).
    Digit(char),
    /// Anything else: whitespace, punctuation, symbols, emoji, other scripts.
    Sep,
}

impl Ch {
    /// The normalised character, `None` for a separator.
    pub(crate) fn char(self) -> Option<char> {
        match self {
            Ch::Cjk(c) | Ch::Letter(c) | Ch::Digit(c) => Some(c),
            Ch::Sep => None,
        }
    }

    /// A letter or digit: part of a space-delimited word.
    pub(crate) fn is_word(self) -> bool {
        matches!(self, Ch::Letter(_) | Ch::Digit(_))
    }
}

/// Classifies and normalises one character.
pub(crate) fn classify(c: char) -> Ch {
    let c = fold_full_width(c);
    match c {
        'a'..='z' => Ch::Letter(c),
        'A'..='Z' => Ch::Letter(c.to_ascii_lowercase()),
        '0'..='9' => Ch::Digit(c),
        _ if c.is_ascii() => Ch::Sep,
        '\u{C0}'..='\u{24F}' => latin(c, LATIN_C0_24F, 0xC0),
        '\u{1E00}'..='\u{1EFF}' => latin(c, LATIN_1E00_1EFF, 0x1E00),
        '\u{370}'..='\u{3FF}' => greek(c),
        '\u{400}'..='\u{481}' | '\u{48A}'..='\u{4FF}' => single_lower(c).map_or(Ch::Sep, Ch::Letter),
        '\u{AC00}'..='\u{D7A3}' => Ch::Letter(c),
        _ if is_cjk(c) => Ch::Cjk(c),
        _ => Ch::Sep,
    }
}

/// Normalises a text, one [`Ch`] per character, reading at most `limit` characters.
pub(crate) fn normalize(text: &str, limit: usize) -> Vec<Ch> {
    text.chars().take(limit).map(classify).collect()
}

/// The CJK characters indexed as n-grams: the Han ranges jieba segments, restricted to code points
/// assigned by Unicode 13 (a database server's locale may not know later ones), plus 々〆〇, hiragana
/// and katakana.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(
        c as u32,
        0x3005..=0x3007
            | 0x3041..=0x3096
            | 0x309D..=0x309F
            | 0x30A1..=0x30FA
            | 0x30FC..=0x30FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xF900..=0xFA6D
            | 0xFA70..=0xFAD9
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B738
            | 0x2B740..=0x2B81D
            | 0x2B820..=0x2CEA1
            | 0x2CEB0..=0x2EBE0
            | 0x2F800..=0x2FA1D
    )
}

/// Full-width ASCII variants (ＡＢＣ１２３, common in Chinese input) to ASCII.
fn fold_full_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// The lower case of `c` when it is a single character.
fn single_lower(c: char) -> Option<char> {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => Some(l),
        _ => None,
    }
}

/// Folding tables for Latin letters, one byte per code point from the table's base: an ASCII letter is
/// the letter's base without diacritics (its canonical decomposition), `*` keeps the letter (in lower
/// case; it has no ASCII base: ß, æ, ø, ł, ŋ …), a space is not a letter (×, ÷). Generated from
/// Python's `unicodedata` (lower case, NFD, first character), plus ſ and ẛ to s as SQLite's case
/// folding does. Folding is a superset of what SQLite's `unicode61` does (with `remove_diacritics` 0,
/// 1 or 2, checked against SQLite and PostgreSQL), so SQLite finds nothing left to fold and PostgreSQL
/// sees the same text.
const LATIN_C0_24F: &[u8; 400] = b"\
    aaaaaa*ceeeeiiii*nooooo *uuuuy**aaaaaa*ceeeeiiii*nooooo *uuuuy*y\
    aaaaaaccccccccdd**eeeeeeeeeegggggggghh**iiiiiiiii***jjkk*llllll*\
    ***nnnnnn***oooooo**rrrrrrsssssssstttt**uuuuuuuuuuuuwwyyyzzzzzzs\
    ********************************oo*************uu***************\
    *************aaiioouuuuuuuuuu*aaaa****ggkkoooo**j***gg**nnaa****\
    aaaaeeeeiiiioooorrrruuuusstt**hh******aaeeooooooooyy************\
    ****************";

const LATIN_1E00_1EFF: &[u8; 256] = b"\
    aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmm\
    mmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvv\
    wwwwwwwwwwxxxxyyzzzzzzhtwy*s****aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee\
    eeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy******";

fn latin(c: char, table: &[u8], base: u32) -> Ch {
    let entry = usize::try_from(c as u32 - base).ok().and_then(|i| table.get(i)).copied();
    match entry {
        Some(b' ') | None => Ch::Sep,
        Some(b'*') => single_lower(c).map_or(Ch::Sep, Ch::Letter),
        Some(ascii) => Ch::Letter(char::from(ascii)),
    }
}

/// Greek: modern lower-case letters with or without tonos; final sigma folds to σ as SQLite does.
fn greek(c: char) -> Ch {
    match single_lower(c) {
        Some('ς') => Ch::Letter('σ'),
        Some(l) if matches!(l as u32, 0x3AC..=0x3CE | 0x390) => Ch::Letter(l),
        _ => Ch::Sep,
    }
}
