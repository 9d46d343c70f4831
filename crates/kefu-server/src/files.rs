//! Ticket and chat attachments: content-addressed files under the data directory, with type and size limits.
//!
//! An upload passes [`check_upload`] first: the size limit, a sanitised display name, and the real type
//! sniffed from the bytes. The client's declared type is never trusted, and the name's extension must agree
//! with the sniffed type (a name without a recognised extension gets the type's extension appended), so an
//! accepted display name always ends in an extension that matches the content. Executables, HTML, XML,
//! SVG and scripts are refused whatever the policy says.
//!
//! Accepted bytes are stored by [`AttachmentStore`] under `<data_dir>/attachments/ab/cd/<sha256>`: written
//! to a temporary file in the same directory, synced, made read-only and hard-linked into place. A reader
//! never sees a partial file, the same bytes are stored once, and an existing file is never overwritten.
//! The display name and type belong to the record that refers to the file (a ticket message), not to the
//! file on disk; downloads answer with [`content_disposition`].

use kefu_core::{DomainError, ErrorCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// The longest display name kept, in characters (longer names are cut, keeping the extension).
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// The default size limit: 20 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 20 * MIB;

const MIB: u64 = 1024 * 1024;

/// The error field named when the content of an upload is refused.
const FIELD: &str = "file";

/// The name given to a file whose name is empty once sanitised.
const FALLBACK_STEM: &str = "attachment";

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const PPTX: &str = "application/vnd.openxmlformats-officedocument.presentationml.presentation";

/// A type the server recognises by content: its MIME type, the extensions a name of that type may
/// carry (the first is the one appended to names without an extension), and a label for messages.
struct Kind {
    mime: &'static str,
    exts: &'static [&'static str],
    label: &'static str,
}

const KINDS: &[Kind] = &[
    Kind { mime: "image/jpeg", exts: &["jpg", "jpeg", "jfif"], label: "a JPEG image" },
    Kind { mime: "image/png", exts: &["png"], label: "a PNG image" },
    Kind { mime: "image/gif", exts: &["gif"], label: "a GIF image" },
    Kind { mime: "image/webp", exts: &["webp"], label: "a WebP image" },
    Kind { mime: "image/heic", exts: &["heic", "heif"], label: "a HEIC photo" },
    Kind { mime: "application/pdf", exts: &["pdf"], label: "a PDF document" },
    Kind { mime: "text/plain", exts: &["txt", "text", "log"], label: "plain text" },
    Kind { mime: "text/csv", exts: &["csv"], label: "a CSV table" },
    Kind { mime: DOCX, exts: &["docx"], label: "a Word document" },
    Kind { mime: XLSX, exts: &["xlsx"], label: "an Excel workbook" },
    Kind { mime: PPTX, exts: &["pptx"], label: "a PowerPoint presentation" },
    Kind { mime: "application/msword", exts: &["doc"], label: "a Word 97-2003 document" },
    Kind { mime: "application/vnd.ms-excel", exts: &["xls"], label: "an Excel 97-2003 workbook" },
    Kind {
        mime: "application/vnd.ms-powerpoint",
        exts: &["ppt"],
        label: "a PowerPoint 97-2003 presentation",
    },
    Kind { mime: "application/zip", exts: &["zip"], label: "a ZIP archive" },
    Kind { mime: "video/mp4", exts: &["mp4"], label: "an MP4 video" },
    Kind { mime: "video/quicktime", exts: &["mov"], label: "a QuickTime video" },
    Kind { mime: "audio/mpeg", exts: &["mp3"], label: "MP3 audio" },
    Kind { mime: "audio/mp4", exts: &["m4a"], label: "M4A audio" },
    Kind { mime: "audio/amr", exts: &["amr"], label: "an AMR voice message" },
];

/// The types accepted by default. ZIP is known but not accepted by default: an archive hides its
/// contents (an executable among them) from the type check; a deployment may add `application/zip`.
const DEFAULT_ALLOWED: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "application/pdf",
    "text/plain",
    "text/csv",
    DOCX,
    XLSX,
    PPTX,
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "video/mp4",
    "video/quicktime",
    "audio/mpeg",
    "audio/mp4",
    "audio/amr",
];

/// What an upload may be: its size limit and the MIME types (as sniffed, without parameters) accepted.
///
/// Executables, HTML, XML, SVG and scripts are refused even when listed here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttachmentPolicy {
    pub max_bytes: u64,
    pub allowed: Vec<String>,
}

impl Default for AttachmentPolicy {
    fn default() -> Self {
        AttachmentPolicy {
            max_bytes: DEFAULT_MAX_BYTES,
            allowed: DEFAULT_ALLOWED.iter().map(|m| m.to_string()).collect(),
        }
    }
}

impl AttachmentPolicy {
    fn allows(&self, mime: &str) -> bool {
        self.allowed.iter().any(|a| a.trim().eq_ignore_ascii_case(mime))
    }

    /// The extensions of the allowed types, for messages.
    fn accepted_extensions(&self) -> String {
        let mut exts: Vec<&str> = Vec::new();
        for mime in &self.allowed {
            for ext in extensions_of(mime.trim()) {
                if !exts.contains(&ext) {
                    exts.push(ext);
                }
            }
        }
        exts.join(", ")
    }
}

/// An upload that passed [`check_upload`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedFile {
    /// The sanitised display name; it ends in an extension of `mime`.
    pub file_name: String,
    /// The sniffed MIME type; text carries its charset (`text/plain; charset=utf-8`).
    pub mime: String,
    /// SHA-256 of the bytes, 64 lowercase hex digits.
    pub sha256: String,
    pub size: u64,
}

/// Checks an upload: size, name and type. `declared_type` (the client's `Content-Type`) is accepted for
/// the callers' convenience and deliberately ignored: the type is sniffed from `bytes`.
///
/// Refusals: `payload_too_large` naming the limit; `validation` on field `file` for an empty file, a type
/// that is not accepted, content that does not match the name's extension, or an unrecognised type.
pub fn check_upload(
    policy: &AttachmentPolicy,
    file_name: &str,
    declared_type: Option<&str>,
    bytes: &[u8],
) -> Result<CheckedFile, DomainError> {
    // Never trusted: a client can declare anything.
    let _ = declared_type;

    let size = bytes.len() as u64;
    if size > policy.max_bytes {
        return Err(DomainError::new(
            ErrorCode::PayloadTooLarge,
            format!("the file is {}; the limit is {}", human_size(size), human_size(policy.max_bytes)),
        ));
    }
    if bytes.is_empty() {
        return Err(DomainError::validation(FIELD, "the file is empty"));
    }

    let mut name = sanitize_file_name(file_name);
    let ext =
        split_extension(&name).map(|(_, ext)| ext.to_ascii_lowercase()).filter(|e| is_known_extension(e));
    let shown = if name.is_empty() { FALLBACK_STEM.to_string() } else { name.clone() };

    let sniffed = sniff(bytes, ext.as_deref())
        .map_err(|refusal| DomainError::validation(FIELD, refusal.message(&shown, ext.as_deref(), policy)))?;

    if !policy.allows(sniffed.mime) {
        return Err(DomainError::validation(
            FIELD,
            format!(
                "\"{shown}\" is {} ({}), which is not accepted; accepted files: {}",
                sniffed.label,
                sniffed.mime,
                policy.accepted_extensions()
            ),
        ));
    }

    match ext {
        Some(ext) if sniffed.exts.contains(&ext.as_str()) => {}
        Some(ext) => {
            return Err(DomainError::validation(
                FIELD,
                format!(
                    "the content of \"{shown}\" is {}, which does not match its extension .{ext}",
                    sniffed.label
                ),
            ))
        }
        None => {
            // No extension the server knows: name the type, so the name a user downloads matches the content.
            let canonical = sniffed.exts.first().copied().unwrap_or("bin");
            if name.is_empty() {
                name = FALLBACK_STEM.to_string();
            }
            name = truncate_name(&format!("{name}.{canonical}"), MAX_FILE_NAME_CHARS);
        }
    }

    let mime = match sniffed.charset {
        Some(charset) => format!("{}; charset={charset}", sniffed.mime),
        None => sniffed.mime.to_string(),
    };
    Ok(CheckedFile { file_name: name, mime, sha256: sha256_hex(bytes), size })
}

/// The result of sniffing: a type the content is.
struct Sniffed {
    mime: &'static str,
    charset: Option<&'static str>,
    label: &'static str,
    exts: Vec<&'static str>,
}

/// Why sniffing refused the content outright (regardless of the policy).
enum Refusal {
    /// An executable program or binary code; the label says which.
    Executable(&'static str),
    /// HTML, XML, SVG or a script: content a browser or a shell would run.
    Active(&'static str),
    /// Neither a known binary type nor text.
    Unknown,
}

impl Refusal {
    fn message(&self, name: &str, ext: Option<&str>, policy: &AttachmentPolicy) -> String {
        let claimed =
            ext.and_then(kind_by_extension).map(|k| format!(", not {}", k.label)).unwrap_or_default();
        match self {
            Refusal::Executable(what) => {
                format!("\"{name}\" is {what}{claimed}; programs are not accepted")
            }
            Refusal::Active(what) => {
                format!("\"{name}\" is {what}{claimed}; files that can run code when opened are not accepted")
            }
            Refusal::Unknown => format!(
                "the type of \"{name}\" could not be recognised from its content; accepted files: {}",
                policy.accepted_extensions()
            ),
        }
    }
}

/// Sniffs the type from the bytes. `ext` (lowercase, known) only breaks ties between weak binary
/// signatures and text: a file named `.txt`/`.csv` whose bytes are clean text is text even if it happens
/// to start with, say, `GIF` or `MZ`, because clean text cannot be a working image or program.
fn sniff(bytes: &[u8], ext: Option<&str>) -> Result<Sniffed, Refusal> {
    let inferred = infer::get(bytes);
    let text = detect_text(bytes);
    let named_as_text = ext.is_some_and(|e| text_kind(e).is_some());

    if let Some(t) = inferred {
        match t.matcher_type() {
            infer::MatcherType::Text => return Err(Refusal::Active(active_label(t.extension()))),
            _ if named_as_text && text.is_some() => {}
            infer::MatcherType::App => return Err(Refusal::Executable(executable_label(t.extension()))),
            _ => return Ok(binary_kind(t, bytes, ext)),
        }
    }

    let Some(charset) = text else { return Err(Refusal::Unknown) };
    if looks_like_markup(bytes) {
        return Err(Refusal::Active("HTML, SVG or XML markup"));
    }
    let mime = ext.and_then(text_kind).unwrap_or("text/plain");
    Ok(Sniffed { charset: Some(charset), ..known(mime) })
}

/// The sniffed type of a binary file, with two corrections for office files that `infer` misses.
fn binary_kind(t: infer::Type, bytes: &[u8], ext: Option<&str>) -> Sniffed {
    let mime = match (t.mime_type(), ext) {
        // `infer` recognises OOXML by the order of the first zip entries, which some producers (WPS Office
        // among them) do not follow; the part names in the zip directory settle it.
        ("application/zip", Some(ext @ ("docx" | "xlsx" | "pptx"))) => ooxml_mime(bytes, ext),
        // `infer` recognises legacy Office files by the root CLSID and calls other OLE files MSI
        // installers; the stream names settle it.
        ("application/x-ole-storage", Some(ext @ ("doc" | "xls" | "ppt"))) => ole_mime(bytes, ext),
        _ => None,
    };
    let mime = mime.unwrap_or(match t.mime_type() {
        // The matcher only recognises the HEIC brand.
        "image/heif" => "image/heic",
        "audio/m4a" => "audio/mp4",
        other => other,
    });
    match KINDS.iter().find(|k| k.mime == mime) {
        Some(_) => known(mime),
        None => {
            let mut exts = extensions_of(mime);
            if !exts.contains(&t.extension()) {
                exts.push(t.extension());
            }
            Sniffed { mime, charset: None, label: mime, exts }
        }
    }
}

fn known(mime: &'static str) -> Sniffed {
    match KINDS.iter().find(|k| k.mime == mime) {
        Some(k) => Sniffed { mime: k.mime, charset: None, label: k.label, exts: k.exts.to_vec() },
        None => Sniffed { mime, charset: None, label: mime, exts: extensions_of(mime) },
    }
}

fn ooxml_mime(bytes: &[u8], ext: &str) -> Option<&'static str> {
    let (part, mime): (&[u8], _) = match ext {
        "docx" => (b"word/document.xml", DOCX),
        "xlsx" => (b"xl/workbook.xml", XLSX),
        "pptx" => (b"ppt/presentation.xml", PPTX),
        _ => return None,
    };
    (contains(bytes, b"[Content_Types].xml") && contains(bytes, part)).then_some(mime)
}

fn ole_mime(bytes: &[u8], ext: &str) -> Option<&'static str> {
    // Stream names are stored in UTF-16LE in the compound file's directory.
    let utf16 = |s: &str| s.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    let (streams, mime): (&[&str], _) = match ext {
        "doc" => (&["WordDocument"], "application/msword"),
        "xls" => (&["Workbook", "Book"], "application/vnd.ms-excel"),
        "ppt" => (&["PowerPoint Document"], "application/vnd.ms-powerpoint"),
        _ => return None,
    };
    streams.iter().any(|s| contains(bytes, &utf16(s))).then_some(mime)
}

fn executable_label(infer_ext: &str) -> &'static str {
    match infer_ext {
        "elf" => "a Linux executable (ELF)",
        "exe" | "dll" => "a Windows executable (PE)",
        "mach" => "a macOS executable (Mach-O)",
        "obj" => "compiled object code (COFF)",
        "class" => "Java bytecode",
        "dex" | "dey" => "Android bytecode",
        "wasm" => "WebAssembly code",
        "bc" => "LLVM bitcode",
        "der" | "pem" => "a certificate",
        _ => "a program",
    }
}

fn active_label(infer_ext: &str) -> &'static str {
    match infer_ext {
        "html" => "an HTML page",
        "xml" => "an XML document (possibly SVG)",
        "sh" => "a script",
        _ => "active content",
    }
}

/// The text type a name's extension selects (`text/csv` for `.csv`, `text/plain` for `.txt`).
fn text_kind(ext: &str) -> Option<&'static str> {
    KINDS.iter().filter(|k| k.mime.starts_with("text/")).find(|k| k.exts.contains(&ext)).map(|k| k.mime)
}

fn kind_by_extension(ext: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.exts.contains(&ext))
}

/// The extensions a name of type `mime` may carry.
fn extensions_of(mime: &str) -> Vec<&'static str> {
    match KINDS.iter().find(|k| k.mime.eq_ignore_ascii_case(mime)) {
        Some(k) => k.exts.to_vec(),
        None => mime_guess::get_mime_extensions_str(mime).map(<[_]>::to_vec).unwrap_or_default(),
    }
}

/// Whether `ext` (lowercase) is a file extension anyone would recognise; otherwise the dot in the name is
/// just punctuation (`合同 v2.1`, `Mr.Wang`).
fn is_known_extension(ext: &str) -> bool {
    ext.bytes().any(|b| b.is_ascii_alphabetic())
        && (kind_by_extension(ext).is_some() || !mime_guess::from_ext(ext).is_empty())
}

/// Whether the bytes are clean text, and in which encoding: UTF-8 (with or without a byte-order mark),
/// else GB18030/GBK (what Excel and Notepad on Chinese Windows write). Clean means no NUL and no control
/// characters other than tab, line feed, carriage return and form feed. UTF-16 is not recognised.
fn detect_text(bytes: &[u8]) -> Option<&'static str> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(body) {
        let clean = text.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'));
        return clean.then_some("utf-8");
    }
    is_gb18030_text(bytes).then_some("gb18030")
}

fn is_allowed_ascii(b: u8) -> bool {
    !b.is_ascii_control() || matches!(b, b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Whether the bytes are well-formed GB18030 (one-, two- and four-byte sequences) without control bytes.
fn is_gb18030_text(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    loop {
        rest = match rest {
            [] => return true,
            [b, tail @ ..] if b.is_ascii() => {
                if !is_allowed_ascii(*b) {
                    return false;
                }
                tail
            }
            [0x81..=0xFE, 0x40..=0x7E | 0x80..=0xFE, tail @ ..] => tail,
            [0x81..=0xFE, 0x30..=0x39, 0x81..=0xFE, 0x30..=0x39, tail @ ..] => tail,
            _ => return false,
        };
    }
}

/// Whether text would be taken for markup by a browser: it starts with a tag, or its first kilobyte
/// holds one of the elements that carry script.
fn looks_like_markup(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.trim_ascii_start();
    if let [b'<', next, ..] = start {
        if next.is_ascii_alphabetic() || matches!(next, b'!' | b'?' | b'/') {
            return true;
        }
    }
    let lower = head.to_ascii_lowercase();
    const ELEMENTS: &[&[u8]] =
        &[b"<script", b"<svg", b"<html", b"<iframe", b"<body", b"<!doctype", b"<?xml", b"<object", b"<embed"];
    ELEMENTS.iter().any(|e| contains(&lower, e))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Windows device names: a file named `con.txt` cannot be saved on Windows and opens the console.
const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6",
    "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6",
    "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// Makes a client's file name safe to store, show and offer for download; it never fails, hostile parts
/// are neutralised:
///
/// - directories are dropped (both `/` and `\`), so `../../etc/passwd` becomes `passwd`;
/// - control characters (NUL, CR, LF, …) and the characters Windows forbids (`<>:"|?*`) become `_`;
/// - invisible formatting characters are removed (bidirectional overrides would let `gpj.exe` pass for
///   `exe.jpg`);
/// - leading and trailing dots and spaces are removed (no hidden `.htaccess`, no `..`);
/// - a Windows device name (`CON`, `NUL`, `COM1`, …) gets a `_` prefix;
/// - the name is cut to [`MAX_FILE_NAME_CHARS`] characters, keeping the extension.
///
/// Chinese and other non-ASCII names are kept as they are. The result may be empty.
pub fn sanitize_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let replaced: String = base
        .chars()
        .filter(|&c| !is_invisible_format(c))
        .map(|c| if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') { '_' } else { c })
        .collect();
    let trimmed = trim_dots_and_spaces(&replaced);
    let stem = trimmed.split('.').next().unwrap_or(trimmed).trim_end().to_uppercase();
    let name =
        if RESERVED_NAMES.contains(&stem.as_str()) { format!("_{trimmed}") } else { trimmed.to_string() };
    truncate_name(&name, MAX_FILE_NAME_CHARS)
}

fn trim_dots_and_spaces(s: &str) -> &str {
    s.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Zero-width and bidirectional formatting characters, and the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

/// Splits `stem.ext` where `ext` looks like an extension: 1 to 10 ASCII letters and digits.
fn split_extension(name: &str) -> Option<(&str, &str)> {
    let (stem, ext) = name.rsplit_once('.')?;
    let shaped = (1..=10).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphanumeric());
    (shaped && !stem.is_empty()).then_some((stem, ext))
}

fn truncate_name(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_string();
    }
    match split_extension(name) {
        Some((stem, ext)) => {
            let stem: String = stem.chars().take(max - ext.len() - 1).collect();
            format!("{}.{ext}", trim_dots_and_spaces(&stem))
        }
        None => trim_dots_and_spaces(&name.chars().take(max).collect::<String>()).to_string(),
    }
}

/// The `Content-Disposition` header value for downloading a file under `file_name` (RFC 6266, with the
/// RFC 5987 `filename*` parameter for the UTF-8 name and a plain ASCII `filename` for old clients).
///
/// The name is sanitised first ([`sanitize_file_name`]), so no CR, LF, quote or backslash reaches the
/// header; the result is always a valid header value.
pub fn content_disposition(file_name: &str) -> String {
    let name = sanitize_file_name(file_name);
    let name = if name.is_empty() { FALLBACK_STEM.to_string() } else { name };
    format!("attachment; filename=\"{}\"; filename*=UTF-8''{}", ascii_fallback(&name), percent_encode(&name))
}

/// An ASCII rendering of a name: each run of other characters becomes one `_`; `%` (which some clients
/// decode) and `\` become `_`. A name left without letters or digits becomes `attachment.<ext>`.
fn ascii_fallback(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if (c.is_ascii_graphic() || c == ' ') && !matches!(c, '"' | '\\' | '%') { c } else { '_' };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    let (stem, ext) = match split_extension(&out) {
        Some((stem, ext)) => (stem, Some(ext)),
        None => (out.as_str(), None),
    };
    if stem.bytes().any(|b| b.is_ascii_alphanumeric()) {
        return out;
    }
    match ext {
        Some(ext) => format!("{FALLBACK_STEM}.{ext}"),
        None => FALLBACK_STEM.to_string(),
    }
}

/// Percent-encodes UTF-8 for an RFC 5987 `ext-value`: everything but `attr-char` is encoded.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn human_size(bytes: u64) -> String {
    // (Not `is_multiple_of`: the workspace supports Rust 1.85.)
    let (mebibytes, rest) = (bytes / MIB, bytes % MIB);
    if mebibytes > 0 && rest == 0 {
        format!("{mebibytes} MiB")
    } else if mebibytes > 0 {
        format!("{:.1} MiB ({bytes} bytes)", bytes as f64 / MIB as f64)
    } else {
        format!("{bytes} bytes")
    }
}

/// SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `s` is a SHA-256 digest as the store names files: exactly 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A file in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size: u64,
    /// The sniffed MIME type from [`CheckedFile::mime`].
    pub mime: String,
    pub path: PathBuf,
}

/// Content-addressed attachment files under `<data_dir>/attachments`.
#[derive(Debug, Clone)]
pub struct AttachmentStore {
    root: PathBuf,
}

impl AttachmentStore {
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        AttachmentStore { root: data_dir.as_ref().join("attachments") }
    }

    /// The directory holding the files.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the file with this digest lives (`ab/cd/abcd…`), or `None` when `sha256` is not 64 lowercase
    /// hex digits, so no caller-supplied string can name a path outside the store.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        is_sha256_hex(sha256).then(|| self.root.join(&sha256[..2]).join(&sha256[2..4]).join(sha256))
    }

    /// Stores checked bytes. Storing bytes already present is a no-op; an existing file is never
    /// overwritten. Fails with `InvalidInput` when `bytes` are not the ones `checked` describes.
    pub async fn put(&self, checked: &CheckedFile, bytes: &[u8]) -> io::Result<StoredFile> {
        let sha256 = sha256_hex(bytes);
        let size = bytes.len() as u64;
        if sha256 != checked.sha256 || size != checked.size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the bytes to store are not the ones that were checked",
            ));
        }
        let path = self.path_of(&sha256).ok_or_else(|| invalid_digest(&sha256))?;
        let dir = path.parent().ok_or_else(|| invalid_digest(&sha256))?.to_path_buf();
        let stored = StoredFile { sha256, size, mime: checked.mime.clone(), path };

        if existing_size(&stored.path).await?.is_none() {
            tokio::fs::create_dir_all(&dir).await?;
            let tmp = dir.join(format!(".tmp-{}-{:016x}", &stored.sha256[..16], rand::random::<u64>()));
            let written = write_into_place(&tmp, &stored.path, &dir, bytes).await;
            // The temporary name is gone in every case: linked (a second name) or failed.
            let _ = tokio::fs::remove_file(&tmp).await;
            written?;
        }
        match existing_size(&stored.path).await? {
            Some(found) if found == size => Ok(stored),
            found => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "stored attachment {} has {} bytes, expected {size}; it is left as it is",
                    stored.sha256,
                    found.map_or_else(|| "no".to_string(), |n| n.to_string())
                ),
            )),
        }
    }

    /// Reads a whole file. `InvalidInput` when `sha256` is not 64 lowercase hex digits, `NotFound` when
    /// there is no such file.
    pub async fn read(&self, sha256: &str) -> io::Result<Vec<u8>> {
        let path = self.path_of(sha256).ok_or_else(|| invalid_digest(sha256))?;
        tokio::fs::read(path).await
    }

    /// Opens a file for streaming. Same refusals as [`AttachmentStore::read`].
    pub async fn open(&self, sha256: &str) -> io::Result<tokio::fs::File> {
        let path = self.path_of(sha256).ok_or_else(|| invalid_digest(sha256))?;
        tokio::fs::File::open(path).await
    }
}

fn invalid_digest(sha256: &str) -> io::Error {
    let shown: String = sha256.chars().take(80).collect();
    io::Error::new(io::ErrorKind::InvalidInput, format!("{shown:?} is not a SHA-256 hex digest"))
}

/// The size of the file at `path`, `None` when there is none.
async fn existing_size(path: &Path) -> io::Result<Option<u64>> {
    match tokio::fs::metadata(path).await {
        Ok(meta) if meta.is_file() => Ok(Some(meta.len())),
        Ok(_) => Err(io::Error::new(io::ErrorKind::InvalidData, format!("{} is not a file", path.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to the new file `tmp`, syncs it, makes it read-only and links it to `path`.
async fn write_into_place(tmp: &Path, path: &Path, dir: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(tmp).await?;
    file.write_all(bytes).await?;
    file.sync_all().await?;
    drop(file);
    let mut permissions = tokio::fs::metadata(tmp).await?.permissions();
    permissions.set_readonly(true);
    tokio::fs::set_permissions(tmp, permissions).await?;

    match tokio::fs::hard_link(tmp, path).await {
        Ok(()) => {}
        // A concurrent upload of the same bytes got there first.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        // Some filesystems refuse hard links. Rename is atomic too; it could only replace a file a
        // concurrent upload has just written, and that holds the same bytes.
        Err(_) => tokio::fs::rename(tmp, path).await?,
    }
    sync_dir(dir).await
}

/// Makes the new directory entry durable.
#[cfg(unix)]
async fn sync_dir(dir: &Path) -> io::Result<()> {
    tokio::fs::File::open(dir).await?.sync_all().await
}

#[cfg(not(unix))]
async fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9";
    const PDF: &[u8] =
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

    fn elf() -> Vec<u8> {
        let mut bytes = b"\x7fELF\x02\x01\x01\0".to_vec();
        bytes.resize(128, 0);
        bytes
    }

    fn pe() -> Vec<u8> {
        let mut bytes = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
        bytes.resize(256, 0);
        bytes[0x80..0x84].copy_from_slice(b"PE\0\0");
        bytes
    }

    fn check(name: &str, bytes: &[u8]) -> Result<CheckedFile, DomainError> {
        check_upload(&AttachmentPolicy::default(), name, None, bytes)
    }

    fn refused(name: &str, bytes: &[u8]) -> DomainError {
        match check(name, bytes) {
            Ok(ok) => panic!("{name} was accepted as {ok:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn accepts_images_and_reports_the_sniffed_type() {
        let png = check("截图.png", PNG).unwrap();
        assert_eq!(png.mime, "image/png");
        assert_eq!(png.file_name, "截图.png");
        assert_eq!(png.size, PNG.len() as u64);
        assert_eq!(png.sha256, sha256_hex(PNG));
        assert!(is_sha256_hex(&png.sha256));
        assert_eq!(check("IMG_0001.JPG", JPEG).unwrap().mime, "image/jpeg");
    }

    #[test]
    fn declared_type_is_never_trusted() {
        let checked =
            check_upload(&AttachmentPolicy::default(), "a.png", Some("application/pdf"), PNG).unwrap();
        assert_eq!(checked.mime, "image/png");
        let err =
            check_upload(&AttachmentPolicy::default(), "x.jpg", Some("image/jpeg"), &elf()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("file"));
    }

    #[test]
    fn accepts_a_chinese_named_pdf_unchanged() {
        let checked = check("发票 2026年11月.pdf", PDF).unwrap();
        assert_eq!(checked.file_name, "发票 2026年11月.pdf");
        assert_eq!(checked.mime, "application/pdf");
    }

    #[test]
    fn refuses_a_png_renamed_exe() {
        let err = refused("photo.exe", PNG);
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.field.as_deref(), Some("file"));
        assert!(err.message.contains("PNG image") && err.message.contains(".exe"), "{}", err.message);
    }

    #[test]
    fn refuses_executables_whatever_their_name() {
        let err = refused("photo.jpg", &elf());
        assert_eq!(err.field.as_deref(), Some("file"));
        assert!(err.message.contains("ELF") && err.message.contains("not a JPEG image"), "{}", err.message);
        let err = refused("invoice.pdf", &pe());
        assert!(err.message.contains("Windows executable"), "{}", err.message);
        refused("setup.exe", &pe());
        refused("readme", &elf());
        // Even a policy that lists executables does not let them through.
        let lax = AttachmentPolicy {
            allowed: vec!["application/x-executable".into(), "text/html".into()],
            ..AttachmentPolicy::default()
        };
        assert!(check_upload(&lax, "a.elf", None, &elf()).is_err());
        assert!(check_upload(&lax, "a.html", None, b"<html><body>hi</body></html>").is_err());
    }

    #[test]
    fn refuses_html_svg_and_scripts_under_any_name() {
        let html = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>";
        for name in ["page.html", "page.htm", "page.txt", "page", "page.png"] {
            let err = refused(name, html);
            assert_eq!(err.field.as_deref(), Some("file"), "{name}");
        }
        let svg =
            br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>"#;
        for name in ["logo.svg", "logo.txt", "logo.png", "logo"] {
            let err = refused(name, svg);
            assert!(err.message.contains("run code"), "{name}: {}", err.message);
        }
        let xml_svg = [b"<?xml version=\"1.0\"?>\n".as_slice(), svg].concat();
        refused("logo.svg", &xml_svg);
        refused("notes.txt", b"Hello,\n<script>alert(1)</script>\n");
        refused("run.txt", b"#!/bin/sh\nrm -rf /\n");
    }

    #[test]
    fn accepts_text_and_csv_in_utf8_and_gbk() {
        let txt = check("说明.txt", "订单号：123456\n请尽快发货。\n".as_bytes()).unwrap();
        assert_eq!(txt.mime, "text/plain; charset=utf-8");
        let csv = check("orders.csv", "\u{FEFF}订单号,金额\n1001,99.00\n".as_bytes()).unwrap();
        assert_eq!(csv.mime, "text/csv; charset=utf-8");
        // GBK-encoded Chinese, as Excel on Chinese Windows saves CSV: not UTF-8, still text.
        let gbk = b"\xb6\xa9\xb5\xa5\xba\xc5,\xbd\xf0\xb6\xee\r\n1001,99.00\r\n";
        assert_eq!(check("订单.csv", gbk).unwrap().mime, "text/csv; charset=gb18030");
        // Clean text that happens to start with a weak binary signature ("GIF", "MZ") is text.
        assert_eq!(
            check("GIFT card.txt", b"GIFT card balance: 100").unwrap().mime,
            "text/plain; charset=utf-8"
        );
        assert_eq!(check("MZ order.txt", b"MZ order 42 shipped").unwrap().file_name, "MZ order.txt");
        // Binary junk is not text.
        refused("data.txt", b"\x00\x01\x02\x03binary");
        refused("data.csv", b"a,b\n\x01\x02\n");
        // Text is not an image.
        let err = refused("photo.jpg", b"just some text");
        assert!(err.message.contains("plain text") && err.message.contains(".jpg"), "{}", err.message);
    }

    #[test]
    fn office_media_and_voice_files() {
        // infer recognises this DOCX from its first entry.
        let mut docx = b"PK\x03\x04".to_vec();
        docx.resize(30, 0);
        docx.extend_from_slice(b"word/document.xml");
        docx.resize(200, 0);
        assert_eq!(check("合同.docx", &docx).unwrap().mime, DOCX);
        // Entries in another order (as WPS writes them): the zip directory names settle it.
        let mut wps = b"PK\x03\x04".to_vec();
        wps.resize(30, 0);
        wps.extend_from_slice(b"[Content_Types].xml");
        wps.resize(300, 0);
        wps.extend_from_slice(b"PK\x01\x02xl/workbook.xml");
        wps.resize(400, 0);
        assert_eq!(check("报表.xlsx", &wps).unwrap().mime, XLSX);
        // A plain zip is known but not accepted by default, and is not a docx.
        let mut zip = b"PK\x03\x04".to_vec();
        zip.resize(30, 0);
        zip.extend_from_slice(b"evil.exe");
        zip.resize(200, 0);
        assert!(refused("files.zip", &zip).message.contains("ZIP archive"));
        assert!(refused("fake.docx", &zip).message.contains("ZIP archive"));
        let zip_ok =
            AttachmentPolicy { allowed: vec!["application/zip".into()], ..AttachmentPolicy::default() };
        assert_eq!(check_upload(&zip_ok, "files.zip", None, &zip).unwrap().mime, "application/zip");

        let mut mp4 = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
        mp4.resize(64, 0);
        assert_eq!(check("开箱视频.mp4", &mp4).unwrap().mime, "video/mp4");
        let mut m4a = b"\0\0\0\x1cftypM4A \0\0\0\0M4A mp42isom".to_vec();
        m4a.resize(64, 0);
        assert_eq!(check("语音.m4a", &m4a).unwrap().mime, "audio/mp4");
        let amr = b"#!AMR\n\x3c\x48\xf5\x1f\x96\x66\x79\xe1";
        assert_eq!(check("voice.amr", amr).unwrap().mime, "audio/amr");
        let mp3 = b"ID3\x04\0\0\0\0\0\x0fTIT2\0\0\0\x05\0\0\0abcd";
        assert_eq!(check("留言.mp3", mp3).unwrap().mime, "audio/mpeg");
    }

    #[test]
    fn hostile_names_are_neutralised() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("..\\..\\win.ini"), "win.ini");
        assert_eq!(sanitize_file_name("C:\\Users\\张三\\Desktop\\退货.jpg"), "退货.jpg");
        assert_eq!(sanitize_file_name("con.txt"), "_con.txt");
        assert_eq!(sanitize_file_name("NUL"), "_NUL");
        assert_eq!(sanitize_file_name("com1 .tar.gz"), "_com1 .tar.gz");
        assert_eq!(sanitize_file_name("console.txt"), "console.txt");
        assert_eq!(sanitize_file_name("a\u{0}b.png"), "a_b.png");
        assert_eq!(sanitize_file_name("a\r\nb\".png"), "a__b_.png");
        assert_eq!(sanitize_file_name(".htaccess"), "htaccess");
        assert_eq!(sanitize_file_name(".."), "");
        assert_eq!(sanitize_file_name("../"), "");
        assert_eq!(sanitize_file_name("report.pdf. . "), "report.pdf");
        assert_eq!(sanitize_file_name("a.txt:evil.exe"), "a.txt_evil.exe");
        // Right-to-left override: "photo\u{202E}gpj.exe" displays as "photoexe.jpg".
        assert_eq!(sanitize_file_name("photo\u{202E}gpj.exe"), "photogpj.exe");
        assert_eq!(sanitize_file_name("发票 2026年11月.pdf"), "发票 2026年11月.pdf");

        let long = format!("{}.pdf", "长".repeat(300));
        let cut = sanitize_file_name(&long);
        assert_eq!(cut.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(cut.ends_with("长.pdf"));
        let long_ascii = "a".repeat(300);
        assert_eq!(sanitize_file_name(&long_ascii).len(), MAX_FILE_NAME_CHARS);
    }

    #[test]
    fn hostile_names_in_uploads() {
        let text = b"hello";
        assert_eq!(check("../../etc/passwd", text).unwrap().file_name, "passwd.txt");
        assert_eq!(check(".htaccess", text).unwrap().file_name, "htaccess.txt");
        assert_eq!(check("con.txt", text).unwrap().file_name, "_con.txt");
        assert_eq!(check("..", text).unwrap().file_name, "attachment.txt");
        assert_eq!(check("a\u{0}b.png", PNG).unwrap().file_name, "a_b.png");
        // "ini" is a known extension but not of an accepted text type.
        refused("..\\..\\win.ini", text);
        // The NUL-truncation trick: the part after NUL is not the extension that counts.
        refused("shell.php\u{0}.png", b"<?php system($_GET['c']); ?>");
        // A dot that is not an extension is kept, and the real one appended.
        assert_eq!(check("合同 v2.1", PDF).unwrap().file_name, "合同 v2.1.pdf");
        assert_eq!(check("Mr.Wang", PNG).unwrap().file_name, "Mr.Wang.png");

        let long = format!("{}.pdf", "x".repeat(300));
        let checked = check(&long, PDF).unwrap();
        assert_eq!(checked.file_name.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(checked.file_name.ends_with("x.pdf"));
        let long_no_ext = "票".repeat(300);
        let checked = check(&long_no_ext, PDF).unwrap();
        assert_eq!(checked.file_name.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(checked.file_name.ends_with("票.pdf"));
    }

    #[test]
    fn size_limit_and_empty_files() {
        let policy = AttachmentPolicy { max_bytes: 1024, ..AttachmentPolicy::default() };
        let mut big = PDF.to_vec();
        big.resize(1025, b' ');
        let err = check_upload(&policy, "big.pdf", None, &big).unwrap_err();
        assert_eq!(err.code, ErrorCode::PayloadTooLarge);
        assert!(err.message.contains("1024 bytes"), "{}", err.message);
        big.truncate(1024);
        assert!(check_upload(&policy, "big.pdf", None, &big).is_ok());

        let err = check_upload(&AttachmentPolicy::default(), "x.pdf", None, &vec![0u8; 20 * 1024 * 1024 + 1])
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::PayloadTooLarge);
        assert!(err.message.contains("the limit is 20 MiB"), "{}", err.message);

        let err = refused("empty.txt", b"");
        assert_eq!(err.field.as_deref(), Some("file"));
        assert!(err.message.contains("empty"));
    }

    #[test]
    fn unknown_content_is_refused() {
        let err = refused("data.bin", &[0x00, 0x9f, 0x12, 0x00, 0x55, 0xaa, 0x00]);
        assert!(err.message.contains("could not be recognised"), "{}", err.message);
        assert!(err.message.contains("jpg"), "lists the accepted files: {}", err.message);
    }

    #[test]
    fn the_default_policy_lists_only_known_types() {
        let policy = AttachmentPolicy::default();
        assert_eq!(policy.max_bytes, 20 * 1024 * 1024);
        for mime in &policy.allowed {
            assert!(KINDS.iter().any(|k| k.mime == mime.as_str()), "{mime}");
        }
        for mime in ["application/zip", "text/html", "image/svg+xml", "application/x-executable"] {
            assert!(!policy.allows(mime), "{mime}");
        }
    }

    #[test]
    fn content_disposition_encodes_and_cannot_inject() {
        let cd = content_disposition("发票 2026年11月.pdf");
        assert_eq!(
            cd,
            "attachment; filename=\"_ 2026_11_.pdf\"; \
             filename*=UTF-8''%E5%8F%91%E7%A5%A8%202026%E5%B9%B411%E6%9C%88.pdf"
        );
        assert_eq!(
            content_disposition("发票.pdf"),
            "attachment; filename=\"attachment.pdf\"; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf"
        );
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );

        for hostile in [
            "a\"; filename=evil.exe\".pdf",
            "a.pdf\r\nSet-Cookie: session=stolen",
            "a\\\".pdf",
            "x\nContent-Type: text/html\n\n<script>alert(1)</script>",
            "100%.pdf",
            "",
        ] {
            let cd = content_disposition(hostile);
            assert!(!cd.contains('\r') && !cd.contains('\n'), "{cd:?}");
            assert!(!cd.contains('\\'), "{cd:?}");
            assert_eq!(cd.matches('"').count(), 2, "only the delimiting quotes: {cd:?}");
            assert!(axum::http::HeaderValue::from_str(&cd).is_ok(), "{cd:?}");
            let ext_value = cd.split("filename*=UTF-8''").nth(1).unwrap();
            assert!(ext_value.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~%".contains(&b)));
        }
        assert!(content_disposition("100%.pdf").contains("filename=\"100_.pdf\""));
        assert!(content_disposition("100%.pdf").contains("filename*=UTF-8''100%25.pdf"));
        assert!(content_disposition("").contains("filename=\"attachment\""));
    }

    #[tokio::test]
    async fn store_round_trip_and_dedup() {
        let dir = tempfile::tempdir().unwrap();
        let store = AttachmentStore::new(dir.path());
        let checked = check("发票.pdf", PDF).unwrap();
        let stored = store.put(&checked, PDF).await.unwrap();
        assert_eq!(stored.sha256, checked.sha256);
        assert_eq!(stored.size, PDF.len() as u64);
        assert_eq!(stored.mime, "application/pdf");
        let h = &checked.sha256;
        assert_eq!(stored.path, dir.path().join("attachments").join(&h[..2]).join(&h[2..4]).join(h));
        assert_eq!(store.path_of(h), Some(stored.path.clone()));
        assert_eq!(store.read(h).await.unwrap(), PDF);
        let mut opened = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut store.open(h).await.unwrap(), &mut opened).await.unwrap();
        assert_eq!(opened, PDF);
        assert!(std::fs::metadata(&stored.path).unwrap().permissions().readonly());

        // Same bytes under another name: same file, written once, no temporary files left behind.
        let modified = std::fs::metadata(&stored.path).unwrap().modified().unwrap();
        let again = store.put(&check("copy.pdf", PDF).unwrap(), PDF).await.unwrap();
        assert_eq!(again.path, stored.path);
        assert_eq!(std::fs::metadata(&stored.path).unwrap().modified().unwrap(), modified);
        let entries: Vec<_> = std::fs::read_dir(stored.path.parent().unwrap()).unwrap().collect();
        assert_eq!(entries.len(), 1);

        // Other bytes, other file.
        let png = store.put(&check("a.png", PNG).unwrap(), PNG).await.unwrap();
        assert_ne!(png.path, stored.path);
        assert_eq!(store.read(&png.sha256).await.unwrap(), PNG);

        // Concurrent puts of the same new bytes all succeed with one file.
        let jpeg = check("a.jpg", JPEG).unwrap();
        let puts = (0..8).map(|_| {
            let (store, jpeg) = (store.clone(), jpeg.clone());
            tokio::spawn(async move { store.put(&jpeg, JPEG).await })
        });
        for put in puts {
            put.await.unwrap().unwrap();
        }
        assert_eq!(store.read(&jpeg.sha256).await.unwrap(), JPEG);
        let dir_of_jpeg = store.path_of(&jpeg.sha256).unwrap();
        assert_eq!(std::fs::read_dir(dir_of_jpeg.parent().unwrap()).unwrap().count(), 1);
    }

    #[tokio::test]
    async fn store_refuses_bytes_that_were_not_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = AttachmentStore::new(dir.path());
        let checked = check("a.png", PNG).unwrap();
        let err = store.put(&checked, PDF).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(!dir.path().join("attachments").exists());
    }

    #[tokio::test]
    async fn store_refuses_invalid_digests() {
        let dir = tempfile::tempdir().unwrap();
        let store = AttachmentStore::new(dir.path());
        let upper = "A".repeat(64);
        let traversal = format!("../../{}", "a".repeat(58));
        let short = "a".repeat(63);
        let long = "a".repeat(65);
        let non_hex = format!("{}g", "a".repeat(63));
        for bad in [
            "",
            "../../etc/passwd",
            upper.as_str(),
            traversal.as_str(),
            short.as_str(),
            long.as_str(),
            non_hex.as_str(),
        ] {
            assert_eq!(store.path_of(bad), None, "{bad}");
            assert_eq!(store.read(bad).await.unwrap_err().kind(), io::ErrorKind::InvalidInput, "{bad}");
            assert_eq!(store.open(bad).await.unwrap_err().kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
        let missing = "0".repeat(64);
        assert_eq!(store.read(&missing).await.unwrap_err().kind(), io::ErrorKind::NotFound);
    }
}
