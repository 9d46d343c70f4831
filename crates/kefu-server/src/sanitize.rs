//! HTML from email and chat made safe to display.
//!
//! Message bodies are stored exactly as received and made safe when displayed: HTML through
//! [`sanitize_html`], plain text through [`plain_text_to_html`]. So a stricter sanitiser later protects old
//! messages too, and nothing a customer sent is lost.
//!
//! The policy is an allow-list (ammonia, an HTML5 parser, so malformed and obfuscated markup is read the
//! way a browser reads it):
//!
//! - **Tags:** text formatting (`p br b i strong em u s strike small sub sup span div hr h1`–`h6 abbr cite
//!   q code kbd pre blockquote del ins`), lists (`ul ol li dl dt dd`), tables (`table caption thead tbody
//!   tfoot tr th td col colgroup`), links (`a`) and images (`img`). Other tags are removed and their text
//!   kept; the contents of `script`, `style`, `iframe`, `object`, `embed`, `svg`, `math`, `template`,
//!   `noscript`, `textarea`, `select` and the like are removed with them.
//! - **Attributes:** `title` and `lang` anywhere, `href` on `a`, `src alt width height` on `img`,
//!   `colspan rowspan` on `td`/`th`, `start` on `ol`. No `style`, `class` or `id` (they would restyle or
//!   clobber the surrounding UI), no event handlers.
//! - **Links:** `href` only with `http:`, `https:` or `mailto:`; relative and protocol-relative links are
//!   dropped. Every link gets `rel="noopener noreferrer nofollow"` and `target="_blank"`.
//! - **Images:** `src` only with `cid:`, the inline parts of the same email; the web UI resolves them to
//!   the message's stored attachments. Remote `http(s)` images are dropped: they are tracking pixels that
//!   tell a sender when and from where an agent read a message, and they pull arbitrary content into the
//!   agent's session. `data:` images are dropped too (unbounded size, `data:image/svg+xml`). The `img`
//!   element stays, so its `alt` text still shows.
//! - Comments are removed.

use ammonia::{Builder, UrlRelative};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

/// Tags removed together with everything inside them.
const REMOVED_WITH_CONTENT: &[&str] = &[
    "applet", "embed", "frame", "frameset", "iframe", "math", "noembed", "noframes", "noscript", "object",
    "script", "select", "style", "svg", "template", "textarea", "title", "xmp",
];

/// The rel value every link carries.
pub const LINK_REL: &str = "noopener noreferrer nofollow";

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(REMOVED_WITH_CONTENT.iter().copied().collect())
        .generic_attributes(HashSet::from(["title", "lang"]))
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href"])),
            ("img", HashSet::from(["src", "alt", "width", "height"])),
            ("td", HashSet::from(["colspan", "rowspan"])),
            ("th", HashSet::from(["colspan", "rowspan"])),
            ("ol", HashSet::from(["start"])),
        ]))
        .url_schemes(HashSet::from(["http", "https", "mailto", "cid"]))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .set_tag_attribute_value("a", "target", "_blank")
        .strip_comments(true)
        .attribute_filter(filter_attribute);
    builder
});

/// Narrows the URL schemes per element (ammonia's scheme list applies to every URL attribute).
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    let allowed = match (element, attribute) {
        ("a", "href") => has_scheme(value, &["http:", "https:", "mailto:"]),
        ("img", "src") => has_scheme(value, &["cid:"]),
        _ => true,
    };
    allowed.then_some(Cow::Borrowed(value))
}

/// Whether a URL starts with one of `schemes` (lowercase, with the colon), ignoring case and the
/// whitespace and control characters a browser ignores in a scheme.
fn has_scheme(url: &str, schemes: &[&str]) -> bool {
    let start: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(10)
        .collect::<String>()
        .to_lowercase();
    schemes.iter().any(|s| start.starts_with(s))
}

/// Sanitises an HTML fragment (an email or chat body) for display; see the module documentation for
/// what is kept.
pub fn sanitize_html(input: &str) -> String {
    SANITIZER.clean(input).to_string()
}

/// Renders plain text as HTML: special characters escaped, line breaks (`\n`, `\r\n`, `\r`) as `<br>`,
/// other control characters except tab dropped.
pub fn plain_text_to_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Markup that can run script must not survive in any form.
    fn assert_inert(input: &str) -> String {
        let out = sanitize_html(input);
        let lower = out.to_lowercase();
        for bad in [
            "<script",
            "<iframe",
            "<svg",
            "<math",
            "<style",
            "<object",
            "<embed",
            "<form",
            "<input",
            "<meta",
            "<base",
            "<link",
            "<body",
            "<template",
            "javascript:",
            "vbscript:",
            "data:",
            "style=",
            "srcdoc",
            "expression(",
            "onerror=",
            "onload=",
            "onclick=",
            "ontoggle=",
            "onmouseover=",
            "onfocus=",
        ] {
            assert!(!lower.contains(bad), "{bad:?} survived in {out:?} (from {input:?})");
        }
        out
    }

    #[test]
    fn script_tags_are_removed_with_their_content() {
        assert_eq!(assert_inert("<p>您好</p><script>alert(1)</script>"), "<p>您好</p>");
        assert_eq!(assert_inert("<SCRIPT SRC=https://evil.example/x.js></SCRIPT>订单"), "订单");
        assert_eq!(assert_inert("<script>alert(1)//"), "");
        assert_inert("<scr<script>ipt>alert(1)</scr</script>ipt>");
        assert_inert("<<script>script>alert(1)<</script>/script>");
        assert_inert("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>");
    }

    #[test]
    fn event_handlers_are_removed() {
        assert_eq!(assert_inert("<img src=x onerror=alert(1)>"), "<img>");
        assert_eq!(assert_inert("<IMG SRC=\"cid:a\" ONERROR=\"alert(1)\">"), "<img src=\"cid:a\">");
        assert_eq!(assert_inert("<p onclick=\"alert(1)\" onmouseover=alert(2)>点击</p>"), "<p>点击</p>");
        assert_eq!(assert_inert("<details open ontoggle=alert(1)>x</details>"), "x");
        assert_eq!(assert_inert("<body onload=alert(1)>hi</body>"), "hi");
        assert_inert("<img src=`x`onerror=alert(1)>");
        assert_inert("<img/src=x/onerror=alert(1)>");
        assert_inert("<img \"\"\"><script>alert(1)</script>\">");
    }

    #[test]
    fn svg_math_and_frames_are_removed() {
        assert_eq!(assert_inert("<svg onload=alert(1)>"), "");
        assert_eq!(assert_inert("<svg><script>alert(1)</script></svg>ok"), "ok");
        assert_eq!(assert_inert("<svg><animate onbegin=alert(1) attributeName=x dur=1s>"), "");
        assert_eq!(assert_inert("<iframe src=\"javascript:alert(1)\"></iframe>"), "");
        assert_eq!(assert_inert("<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>a"), "a");
        assert_eq!(assert_inert("<object data=\"javascript:alert(1)\"></object>"), "");
        assert_eq!(assert_inert("<embed src=\"https://evil.example/x.swf\">"), "");
        // Mutation XSS through namespace confusion.
        assert_inert("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>");
        assert_inert("<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">");
        assert_inert("<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>");
    }

    #[test]
    fn styles_forms_and_document_tags_are_removed() {
        assert_eq!(assert_inert("<div style=\"width: expression(alert(1))\">x</div>"), "<div>x</div>");
        assert_eq!(
            assert_inert("<style>body{background:url(\"javascript:alert(1)\")}</style><p>正文</p>"),
            "<p>正文</p>"
        );
        assert_eq!(
            assert_inert(
                "<p style=\"background-image:url(javascript:alert(1))\" class=\"el-dialog\" id=app>x</p>"
            ),
            "<p>x</p>"
        );
        assert_eq!(
            assert_inert("<form action=\"javascript:alert(1)\"><input type=submit value=提交></form>"),
            ""
        );
        assert_eq!(assert_inert("<button formaction=javascript:alert(1)>x</button>"), "x");
        assert_eq!(assert_inert("<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">"), "");
        assert_eq!(
            assert_inert("<base href=\"javascript:alert(1)//\"><a href=\"/x\">x</a>"),
            format!("<a target=\"_blank\" rel=\"{LINK_REL}\">x</a>")
        );
        assert_eq!(assert_inert("<link rel=stylesheet href=https://evil.example/x.css>"), "");
        assert_eq!(assert_inert("<!--<img src=x onerror=alert(1)>-->注释"), "注释");
        let email = "<html><head><title>Re: 退货</title><style>p{color:red}</style></head>\
                     <body><p>退货地址已发送。</p></body></html>";
        assert_eq!(assert_inert(email), "<p>退货地址已发送。</p>");
    }

    #[test]
    fn links_keep_only_safe_schemes_and_get_rel() {
        let link = sanitize_html("<a href=\"https://shop.example.com/order/1\">订单详情</a>");
        assert_eq!(
            link,
            format!("<a href=\"https://shop.example.com/order/1\" target=\"_blank\" rel=\"{LINK_REL}\">订单详情</a>")
        );
        assert!(sanitize_html("<a href=\"http://a.example/\">a</a>").contains("href=\"http://a.example/\""));
        assert!(sanitize_html("<a href=\"mailto:kefu@example.com\">mail</a>")
            .contains("href=\"mailto:kefu@example.com\""));
        // A rel or target sent along is replaced.
        let forced = sanitize_html("<a href=\"https://a.example/\" rel=\"opener\" target=\"_self\">a</a>");
        assert_eq!(
            forced,
            format!("<a href=\"https://a.example/\" target=\"_blank\" rel=\"{LINK_REL}\">a</a>")
        );

        for href in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java&#x09;script:alert(1)",
            "&#106;avascript:alert(1)",
            "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
            "javascript&colon;alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "cid:part1",
            "tel:10086",
            "/api/v1/users",
            "//evil.example/",
            "ftp://files.example/",
        ] {
            let out = assert_inert(&format!("<a href=\"{href}\">x</a>"));
            assert!(!out.contains("href"), "{href}: {out}");
            assert!(out.starts_with("<a ") && out.ends_with(">x</a>"), "{href}: {out}");
            assert!(
                out.contains(&format!("rel=\"{LINK_REL}\"")) && out.contains("target=\"_blank\""),
                "{out}"
            );
        }
    }

    #[test]
    fn images_keep_only_cid_sources() {
        assert_eq!(
            sanitize_html("<img src=\"cid:image001.png@01DA\" alt=\"发票\" width=\"100\" height=\"50\">"),
            "<img src=\"cid:image001.png@01DA\" alt=\"发票\" width=\"100\" height=\"50\">"
        );
        for src in [
            "https://tracker.example/open.gif?u=42",
            "http://tracker.example/p.gif",
            "//tracker.example/p.gif",
            "/api/v1/attachments/x",
            "data:image/png;base64,iVBORw0KGgo=",
            "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
            "javascript:alert(1)",
        ] {
            assert_eq!(assert_inert(&format!("<img src=\"{src}\" alt=\"图\">")), "<img alt=\"图\">", "{src}");
        }
    }

    #[test]
    fn formatting_and_chinese_text_are_preserved() {
        let html = "<p>您好，<b>亲</b>！您的订单 <strong>#20261111</strong> 已发货，<em>顺丰</em>单号：\
                    <code>SF1234567890</code>。</p><ul><li>第一件</li><li>第二件</li></ul>\
                    <blockquote>原邮件</blockquote><pre>  对齐  </pre><br>\
                    <table><thead><tr><th>商品</th><th colspan=\"2\">数量</th></tr></thead>\
                    <tbody><tr><td>T恤</td><td rowspan=\"1\">2</td></tr></tbody></table>\
                    <ol start=\"3\"><li>三</li></ol><p><i>斜</i><u>下划线</u></p>";
        assert_eq!(sanitize_html(html), html);
        assert_eq!(sanitize_html("纯文本，没有标签 😀 &amp; 5 &lt; 6"), "纯文本，没有标签 😀 &amp; 5 &lt; 6");
        // Unknown tags go, their text stays.
        assert_eq!(sanitize_html("<font color=red>红字</font><center>居中</center>"), "红字居中");
    }

    #[test]
    fn plain_text_is_escaped_with_line_breaks() {
        assert_eq!(
            plain_text_to_html("您好\n请问\r\n什么时候发货？\r完"),
            "您好<br>请问<br>什么时候发货？<br>完"
        );
        assert_eq!(plain_text_to_html("\n\n"), "<br><br>");
        assert_eq!(
            plain_text_to_html("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(plain_text_to_html("a\u{0}b\u{7}c\td"), "abc\td");
        assert_eq!(plain_text_to_html("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
        // The output is already safe: sanitising it keeps the text and the line breaks.
        let text = "订单 <123> & <b>引号</b>\n第二行";
        assert_eq!(
            sanitize_html(&plain_text_to_html(text)),
            "订单 &lt;123&gt; &amp; &lt;b&gt;引号&lt;/b&gt;<br>第二行"
        );
    }
}
