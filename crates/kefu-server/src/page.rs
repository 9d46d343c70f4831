//! What the server-rendered customer pages share (the status page, the after-sales page, the survey, the
//! published commitments, the complaint documents): the page language and HTML escaping.

/// The language of a customer page: Chinese unless `lang=en`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Lang {
    Zh,
    En,
}

impl Lang {
    pub(crate) fn of(q: Option<&str>) -> Lang {
        if q == Some("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    pub(crate) fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// `zh` or `en`, for `<html lang>` and links.
    pub(crate) fn code(self) -> &'static str {
        self.pick("zh", "en")
    }
}

/// Text made safe for HTML content and quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(Lang::of(Some("en")).pick("中", "en"), "en");
        assert_eq!(Lang::of(None).code(), "zh");
        assert_eq!(Lang::of(Some("fr")), Lang::Zh);
    }
}
