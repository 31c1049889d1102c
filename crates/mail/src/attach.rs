//! Attachments typed by content (magic bytes), not by name; names are checked for double
//! extensions and disguises; archives are listed (never extracted past the limits).

use crate::zipdir;
use serde::Serialize;

/// What a file is, as far as its risk to the reader goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Runs when opened: PE, ELF, Mach-O, MSI, Java archive, Android package.
    Executable,
    /// A script Windows runs on a double click: JS, VBS, WSF, PowerShell, batch, HTA.
    Script,
    /// A shortcut that runs or opens something else: LNK, URL, SCF.
    Shortcut,
    /// An office document with macros (OLE with a VBA project, OOXML with vbaProject.bin,
    /// ODF with Basic), or a macro-enabled format.
    MacroDocument,
    /// A document without active content (PDF, office, text formats).
    Document,
    /// HTML or SVG: opens in a browser, can hold a fake login page.
    Html,
    /// A disk image that mounts on a double click (ISO, UDF, VHD, VHDX, DMG, IMG).
    DiskImage,
    /// An archive (ZIP, RAR, 7z, gzip, tar, CAB …).
    Archive,
    /// A picture.
    Image,
    /// Sound or video.
    Media,
    /// Plain text.
    Text,
    /// Nothing recognised.
    Unknown,
}

impl Class {
    /// Whether opening it can run code or show a fake page.
    pub fn is_risky(self) -> bool {
        matches!(
            self,
            Class::Executable | Class::Script | Class::Shortcut | Class::MacroDocument | Class::Html | Class::DiskImage
        )
    }

    fn is_benign_looking(self) -> bool {
        matches!(self, Class::Document | Class::Image | Class::Media | Class::Text)
    }
}

/// The type found from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sniffed {
    /// The class.
    pub class: Class,
    /// The format, e.g. `pe`, `ooxml`, `zip`, `iso`, `png`.
    pub format: &'static str,
}

impl Sniffed {
    const fn new(class: Class, format: &'static str) -> Sniffed {
        Sniffed { class, format }
    }
}

/// What an archive holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ArchiveInfo {
    /// Entries listed.
    pub entries: usize,
    /// Whether the listing stopped at a limit (or the format hides its entries).
    pub truncated: bool,
    /// Whether entries (or the whole archive) are encrypted.
    pub encrypted: bool,
    /// Risky entries: path inside the archive (nested archives joined with `/`) and class.
    pub risky: Vec<(String, Class)>,
}

/// One attachment (or a non-body part with a file name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// File name as declared (RFC 2231 / 2047 decoded), if any.
    pub name: Option<String>,
    /// Declared MIME type, lower-case.
    pub declared_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// Type by content.
    pub content: Sniffed,
    /// The class the name's extension claims, if known.
    pub name_class: Option<Class>,
    /// Whether the name hides its real extension (`faktura.pdf.exe`, right-to-left marks,
    /// a run of spaces before the extension).
    pub double_extension: bool,
    /// Archive listing when the content is an archive.
    pub archive: Option<ArchiveInfo>,
    /// Whether it is shown inline (`Content-Disposition: inline` or referenced by id).
    pub inline: bool,
}

impl Attachment {
    /// The class that decides the risk: the content's, or the name's when that is riskier
    /// (Windows picks the program by extension: a text file named `.js` runs).
    pub fn effective_class(&self) -> Class {
        match self.name_class {
            Some(c @ (Class::Executable | Class::Script | Class::Shortcut | Class::DiskImage | Class::Html))
                if !self.content.class.is_risky() =>
            {
                c
            }
            Some(Class::MacroDocument) if matches!(self.content.class, Class::Document) => Class::MacroDocument,
            _ => self.content.class,
        }
    }

    /// The name for evidence: the file name, else `(unnamed <type>)`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("(unnamed {})", self.declared_type),
        }
    }

    /// Whether the name's extension says a harmless type but the content is a risky one or
    /// an archive.
    pub fn type_mismatch(&self) -> bool {
        let claimed = self.name_class.or_else(|| class_of_mime(&self.declared_type));
        let Some(claimed) = claimed else { return false };
        if !claimed.is_benign_looking() {
            return false;
        }
        let content = self.content.class;
        // Word and Excel open HTML and MHTML saved under their extensions: not a disguise.
        let office_html = content == Class::Html
            && self
                .name
                .as_deref()
                .map(ext)
                .is_some_and(|e| matches!(e.as_str(), "doc" | "xls" | "xlsx" | "docx"));
        (content.is_risky() || content == Class::Archive) && content != claimed && !office_html
    }
}

/// Types one attachment; `budget` is the decompression allowance left for the message.
pub(crate) fn classify(
    name: Option<&str>,
    declared_type: &str,
    data: &[u8],
    inline: bool,
    limits: &crate::Limits,
    budget: &mut usize,
) -> Attachment {
    let mut content = sniff(data);
    let mut archive = None;
    if content.format == "zip" {
        let (refined, info) = zip_kind(data, limits, budget, 0);
        content = refined;
        archive = info;
    } else if content.class == Class::Archive {
        archive = Some(other_archive(content.format, data, limits));
    }
    let name_class = name.and_then(|n| ext_class(&ext(n)));
    Attachment {
        name: name.map(str::to_string),
        declared_type: declared_type.to_ascii_lowercase(),
        size: data.len(),
        content,
        name_class,
        double_extension: name.is_some_and(double_extension),
        archive,
        inline,
    }
}

/// The lower-case last extension of a file name (after trimming dots and spaces).
pub(crate) fn ext(name: &str) -> String {
    let name = name.trim_end_matches(['.', ' ', '\t']);
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((stem, e)) if !stem.is_empty() && e.len() <= 20 => e.trim().to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// The class an extension claims.
pub(crate) fn ext_class(e: &str) -> Option<Class> {
    Some(match e {
        "exe" | "scr" | "com" | "pif" | "cpl" | "dll" | "msi" | "msp" | "mst" | "msix" | "msixbundle" | "appx"
        | "appxbundle" | "jar" | "apk" | "xapk" | "app" | "gadget" | "application" | "xbap" | "ocx" | "sys" | "drv"
        | "xll" | "wll" | "mobileconfig" | "mobileprovision" => Class::Executable,
        "js" | "jse" | "vbs" | "vbe" | "vb" | "wsf" | "wsh" | "wsc" | "ws" | "ps1" | "psm1" | "psd1" | "ps1xml"
        | "bat" | "cmd" | "hta" | "reg" | "msc" | "jnlp" | "iqy" | "slk" | "sct" | "chm" => Class::Script,
        "lnk" | "url" | "scf" | "website" | "library-ms" | "search-ms" | "searchconnector-ms" | "desktop"
        | "webloc" => Class::Shortcut,
        "iso" | "img" | "vhd" | "vhdx" | "dmg" | "udf" => Class::DiskImage,
        "zip" | "rar" | "7z" | "gz" | "tgz" | "bz2" | "tbz" | "xz" | "txz" | "tar" | "cab" | "ace" | "arj" | "lzh"
        | "lha" | "z" | "zst" | "r00" | "uue" => Class::Archive,
        "html" | "htm" | "xhtml" | "xht" | "shtml" | "mht" | "mhtml" | "svg" | "svgz" => Class::Html,
        "docm" | "dotm" | "xlsm" | "xltm" | "xlam" | "pptm" | "potm" | "ppam" | "ppsm" | "sldm" => Class::MacroDocument,
        "pdf" | "doc" | "docx" | "dot" | "dotx" | "xls" | "xlsx" | "xlt" | "xltx" | "xlsb" | "ppt" | "pptx" | "pps"
        | "ppsx" | "odt" | "ods" | "odp" | "rtf" | "csv" | "xml" | "eml" | "msg" | "ics" | "vcf" | "p7s" | "xps"
        | "epub" => Class::Document,
        "txt" | "log" | "md" => Class::Text,
        "jpg" | "jpeg" | "png" | "gif" | "bmp" | "tif" | "tiff" | "webp" | "heic" | "ico" => Class::Image,
        "mp3" | "mp4" | "wav" | "m4a" | "avi" | "mov" | "ogg" | "wma" | "wmv" => Class::Media,
        _ => return None,
    })
}

fn class_of_mime(mime: &str) -> Option<Class> {
    let mime = mime.to_ascii_lowercase();
    Some(match mime.as_str() {
        "application/pdf" | "application/msword" | "application/rtf" | "text/csv" => Class::Document,
        "text/plain" => Class::Text,
        m if m.starts_with("image/") && m != "image/svg+xml" => Class::Image,
        m if m.starts_with("audio/") || m.starts_with("video/") => Class::Media,
        m if m.starts_with("application/vnd.openxmlformats")
            || m.starts_with("application/vnd.oasis")
            || m.starts_with("application/vnd.ms-") =>
        {
            Class::Document
        }
        _ => return None,
    })
}

/// Whether a name hides its real extension.
pub(crate) fn double_extension(name: &str) -> bool {
    // Bidirectional overrides and isolates reverse what the reader sees ("fdp.exe" → "exe.pdf").
    if name
        .chars()
        .any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'))
    {
        return true;
    }
    let trimmed = name.trim_end_matches(['.', ' ']);
    let last = ext(trimmed);
    let Some(last_class) = ext_class(&last) else {
        return false;
    };
    if !matches!(
        last_class,
        Class::Executable | Class::Script | Class::Shortcut | Class::DiskImage | Class::Html
    ) {
        return false;
    }
    let stem = &trimmed[..trimmed.len() - last.len() - 1];
    // A long run of white space or underscores pushes the real extension out of sight.
    if stem.ends_with("     ") || stem.ends_with("_____") {
        return true;
    }
    ext_class(&ext(stem.trim_end()))
        .is_some_and(|c| c.is_benign_looking() || c == Class::Archive || c == Class::MacroDocument)
}

fn starts(d: &[u8], at: usize, magic: &[u8]) -> bool {
    d.get(at..at + magic.len()) == Some(magic)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The type of `d` from its bytes.
pub fn sniff(d: &[u8]) -> Sniffed {
    use Class::*;
    if starts(d, 0, b"MZ") {
        let pe = u32::from_le_bytes(d.get(0x3C..0x40).and_then(|b| b.try_into().ok()).unwrap_or([0; 4])) as usize;
        return Sniffed::new(
            Executable,
            if pe < d.len() && starts(d, pe, b"PE\0\0") {
                "pe"
            } else {
                "mz"
            },
        );
    }
    if starts(d, 0, b"\x7fELF") {
        return Sniffed::new(Executable, "elf");
    }
    for m in [
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
    ] {
        if starts(d, 0, m) {
            return Sniffed::new(Executable, "mach-o");
        }
    }
    if starts(d, 0, b"\xca\xfe\xba\xbe") {
        return Sniffed::new(Executable, "java-class-or-mach-o");
    }
    if starts(d, 0, b"dex\n") {
        return Sniffed::new(Executable, "dex");
    }
    if starts(d, 0, b"L\0\0\0\x01\x14\x02\0") {
        return Sniffed::new(Shortcut, "lnk");
    }
    if starts(d, 0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return ole(d);
    }
    if starts(d, 0, b"PK\x03\x04") || starts(d, 0, b"PK\x05\x06") || starts(d, 0, b"PK\x07\x08") {
        return Sniffed::new(Archive, "zip");
    }
    if starts(d, 0, b"Rar!\x1a\x07") {
        return Sniffed::new(Archive, "rar");
    }
    if starts(d, 0, b"7z\xbc\xaf\x27\x1c") {
        return Sniffed::new(Archive, "7z");
    }
    if starts(d, 0, b"\x1f\x8b") {
        return Sniffed::new(Archive, "gzip");
    }
    if starts(d, 0, b"BZh") && d.get(3).is_some_and(|c| (b'1'..=b'9').contains(c)) {
        return Sniffed::new(Archive, "bzip2");
    }
    if starts(d, 0, b"\xfd7zXZ\0") {
        return Sniffed::new(Archive, "xz");
    }
    if starts(d, 0, b"\x28\xb5\x2f\xfd") {
        return Sniffed::new(Archive, "zstd");
    }
    if starts(d, 0, b"MSCF\0\0\0\0") {
        return Sniffed::new(Archive, "cab");
    }
    if starts(d, 7, b"**ACE**") {
        return Sniffed::new(Archive, "ace");
    }
    if starts(d, 0, b"\x60\xea") {
        return Sniffed::new(Archive, "arj");
    }
    if starts(d, 2, b"-lh") || starts(d, 2, b"-lz") {
        return Sniffed::new(Archive, "lzh");
    }
    if starts(d, 257, b"ustar") {
        return Sniffed::new(Archive, "tar");
    }
    if d.get(..1024).unwrap_or(d).windows(5).any(|w| w == b"%PDF-") {
        return Sniffed::new(Document, "pdf");
    }
    if starts(d, 0, b"{\\rtf") {
        return Sniffed::new(Document, "rtf");
    }
    for at in [0x8001, 0x8801, 0x9001] {
        if starts(d, at, b"CD001") {
            return Sniffed::new(DiskImage, "iso");
        }
        if starts(d, at, b"BEA01") || starts(d, at, b"NSR02") || starts(d, at, b"NSR03") {
            return Sniffed::new(DiskImage, "udf");
        }
    }
    if starts(d, 0, b"vhdxfile") {
        return Sniffed::new(DiskImage, "vhdx");
    }
    if starts(d, 0, b"conectix") || (d.len() >= 512 && starts(d, d.len() - 512, b"conectix")) {
        return Sniffed::new(DiskImage, "vhd");
    }
    if d.len() >= 512 && starts(d, d.len() - 512, b"koly") {
        return Sniffed::new(DiskImage, "dmg");
    }
    if starts(d, 0, b"\x89PNG") {
        return Sniffed::new(Image, "png");
    }
    if starts(d, 0, b"\xff\xd8\xff") {
        return Sniffed::new(Image, "jpeg");
    }
    if starts(d, 0, b"GIF8") {
        return Sniffed::new(Image, "gif");
    }
    if starts(d, 0, b"RIFF") && starts(d, 8, b"WEBP") {
        return Sniffed::new(Image, "webp");
    }
    if starts(d, 0, b"II*\0") || starts(d, 0, b"MM\0*") {
        return Sniffed::new(Image, "tiff");
    }
    if starts(d, 0, b"BM") && d.len() > 26 && starts(d, 6, b"\0\0\0\0") {
        return Sniffed::new(Image, "bmp");
    }
    if starts(d, 0, b"ID3")
        || starts(d, 4, b"ftyp")
        || (starts(d, 0, b"RIFF") && (starts(d, 8, b"WAVE") || starts(d, 8, b"AVI ")))
        || starts(d, 0, b"OggS")
    {
        return Sniffed::new(Media, "media");
    }
    text_kind(d)
}

/// Text formats: shortcuts, scripts, HTML and SVG, or plain text.
fn text_kind(d: &[u8]) -> Sniffed {
    use Class::*;
    let mut head = d.get(..4096).unwrap_or(d);
    for bom in [&b"\xef\xbb\xbf"[..], b"\xff\xfe", b"\xfe\xff"] {
        if let Some(rest) = head.strip_prefix(bom) {
            head = rest;
        }
    }
    let utf16 = head.len() > 8 && head.iter().skip(1).step_by(2).take(64).filter(|&&c| c == 0).count() > 24;
    let lower: Vec<u8> = if utf16 {
        head.iter().step_by(2).map(u8::to_ascii_lowercase).collect()
    } else {
        head.iter().map(u8::to_ascii_lowercase).collect()
    };
    let start = lower
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(lower.len());
    let t = &lower[start..];
    if t.starts_with(b"[internetshortcut]") {
        return Sniffed::new(Shortcut, "url");
    }
    if t.starts_with(b"[shell]") {
        return Sniffed::new(Shortcut, "scf");
    }
    if t.starts_with(b"[desktop entry]") {
        return Sniffed::new(Shortcut, "desktop");
    }
    if contains(t, b"<hta:application") {
        return Sniffed::new(Script, "hta");
    }
    if t.starts_with(b"<job") || t.starts_with(b"<package") || (t.starts_with(b"<?xml") && contains(t, b"<job")) {
        return Sniffed::new(Script, "wsf");
    }
    if t.starts_with(b"@echo off") {
        return Sniffed::new(Script, "batch");
    }
    if t.starts_with(b"<svg")
        || ((t.starts_with(b"<?xml") || t.starts_with(b"<!doctype svg")) && contains(&t[..t.len().min(1024)], b"<svg"))
    {
        return Sniffed::new(Html, "svg");
    }
    for m in [
        &b"<!doctype html"[..],
        b"<html",
        b"<head",
        b"<body",
        b"<script",
        b"<iframe",
        b"<meta ",
        b"<form",
        b"<title",
        b"<div",
        b"<table",
        b"<a href",
        b"<!--",
    ] {
        if t.starts_with(m) {
            // An HTML comment alone is not enough: something HTML must follow.
            if m == b"<!--"
                && !contains(&t[..t.len().min(1024)], b"<html")
                && !contains(&t[..t.len().min(1024)], b"<script")
            {
                break;
            }
            return Sniffed::new(Html, "html");
        }
    }
    if t.starts_with(b"mime-version:") && contains(t, b"text/html") {
        return Sniffed::new(Html, "mhtml");
    }
    let sample = &d[..d.len().min(1024)];
    let printable = sample
        .iter()
        .filter(|&&c| c >= 0x20 || matches!(c, b'\n' | b'\r' | b'\t') || c >= 0x80)
        .count();
    if !sample.is_empty() && (printable * 100 / sample.len() > 95 || utf16) {
        return Sniffed::new(Text, "text");
    }
    Sniffed::new(Unknown, "unknown")
}

/// OLE compound files: MSI installers, documents with VBA projects, other documents.
fn ole(d: &[u8]) -> Sniffed {
    // Root entry CLSID: the first directory entry, at (first directory sector + 1) << shift.
    let shift = d
        .get(0x1E..0x20)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .unwrap_or(9)
        .min(16);
    let dir = d
        .get(0x30..0x34)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(u32::MAX);
    if let Some(off) = (dir as usize).checked_add(1).and_then(|s| s.checked_shl(shift as u32)) {
        const MSI: [u8; 16] = [
            0x84, 0x10, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
        ];
        const MSP: [u8; 16] = [
            0x86, 0x10, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
        ];
        if let Some(clsid) = off.checked_add(0x50).and_then(|a| d.get(a..a + 16)) {
            if clsid == MSI || clsid == MSP {
                return Sniffed::new(Class::Executable, "msi");
            }
        }
    }
    // A VBA project's stream name, in UTF-16LE, anywhere in the directory.
    const VBA: &[u8] = b"_\0V\0B\0A\0_\0P\0R\0O\0J\0E\0C\0T\0";
    const MACROS: &[u8] = b"M\0a\0c\0r\0o\0s\0\0\0";
    if contains(d, VBA) || contains(d, MACROS) {
        return Sniffed::new(Class::MacroDocument, "ole-vba");
    }
    Sniffed::new(Class::Document, "ole")
}

/// Refines a ZIP: OOXML (with or without macros), ODF, Java and Android packages, or a
/// plain archive with its listing.
fn zip_kind(d: &[u8], limits: &crate::Limits, budget: &mut usize, depth: usize) -> (Sniffed, Option<ArchiveInfo>) {
    let listing = zipdir::list(d, limits.max_archive_entries);
    let has = |pred: &dyn Fn(&str) -> bool| listing.entries.iter().any(|e| pred(&e.name));
    if has(&|n| n == "[Content_Types].xml") {
        if has(&|n| n.to_ascii_lowercase().ends_with("vbaproject.bin")) {
            return (Sniffed::new(Class::MacroDocument, "ooxml-vba"), None);
        }
        return (Sniffed::new(Class::Document, "ooxml"), None);
    }
    if has(&|n| n == "AndroidManifest.xml") && has(&|n| n.ends_with(".dex")) {
        return (Sniffed::new(Class::Executable, "apk"), None);
    }
    if has(&|n| n.eq_ignore_ascii_case("META-INF/MANIFEST.MF")) && has(&|n| n.ends_with(".class")) {
        return (Sniffed::new(Class::Executable, "jar"), None);
    }
    if listing.entries.first().is_some_and(|e| e.name == "mimetype") && has(&|n| n == "content.xml") {
        if has(&|n| {
            n.starts_with("Basic/")
                && n.ends_with(".xml")
                && !n.ends_with("script-lc.xml")
                && !n.ends_with("script-lb.xml")
        }) {
            return (Sniffed::new(Class::MacroDocument, "odf-basic"), None);
        }
        return (Sniffed::new(Class::Document, "odf"), None);
    }
    let mut info = ArchiveInfo {
        entries: listing.entries.len(),
        truncated: listing.truncated || listing.declared > listing.entries.len(),
        encrypted: listing.entries.iter().any(|e| e.encrypted),
        risky: Vec::new(),
    };
    for (ix, e) in listing.entries.iter().enumerate() {
        if e.name.ends_with('/') {
            continue;
        }
        let by_name = ext_class(&ext(&e.name));
        // Type the first entries by content too (a few hundred bytes each, within budget).
        let by_content = if ix < 100 && !e.encrypted && *budget >= 512 {
            zipdir::read_entry(d, e, 512).map(|head| {
                *budget -= head.len();
                sniff(&head)
            })
        } else {
            None
        };
        let mut class = by_name;
        if let Some(s) = by_content {
            if s.class.is_risky() {
                class = Some(s.class);
            }
        }
        if double_extension(&e.name) && class.is_none_or(|c| !c.is_risky()) {
            class = ext_class(&ext(&e.name));
        }
        // Nested ZIP archives: listed once more, within the decompression budget.
        let nested_zip =
            by_content.is_some_and(|s| s.format == "zip") || by_name == Some(Class::Archive) && ext(&e.name) == "zip";
        if nested_zip && depth < 2 && (e.size as usize) <= *budget && !e.encrypted {
            if let Some(inner) = zipdir::read_entry(d, e, e.size as usize) {
                *budget = budget.saturating_sub(inner.len());
                let (kind, nested) = zip_kind(&inner, limits, budget, depth + 1);
                if kind.class.is_risky() {
                    info.risky.push((e.name.clone(), kind.class));
                }
                if let Some(n) = nested {
                    info.encrypted |= n.encrypted;
                    info.truncated |= n.truncated;
                    info.risky
                        .extend(n.risky.into_iter().map(|(p, c)| (format!("{}/{}", e.name, p), c)));
                }
                continue;
            }
        }
        if let Some(c) = class.filter(|c| c.is_risky()) {
            if info.risky.len() < 50 {
                info.risky.push((e.name.clone(), c));
            }
        }
    }
    (Sniffed::new(Class::Archive, "zip"), Some(info))
}

/// Listing of archives other than ZIP: RAR (4 and 5) headers, gzip's stored name, tar
/// headers; 7z and the rest are recognised but not listed.
fn other_archive(format: &str, d: &[u8], limits: &crate::Limits) -> ArchiveInfo {
    let mut names = Vec::new();
    let mut info = ArchiveInfo::default();
    match format {
        "rar" => rar(d, limits.max_archive_entries, &mut names, &mut info),
        "gzip" => {
            // FNAME: the original file name, zero-terminated, after the fixed header and FEXTRA.
            let flags = d.get(3).copied().unwrap_or(0);
            let mut at = 10;
            if flags & 4 != 0 {
                at += 2 + d
                    .get(10..12)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
                    .unwrap_or(0);
            }
            if flags & 8 != 0 {
                if let Some(rest) = d.get(at..) {
                    let end = rest.iter().take(1024).position(|&c| c == 0).unwrap_or(0);
                    if end > 0 {
                        names.push(String::from_utf8_lossy(&rest[..end]).into_owned());
                    }
                }
            }
        }
        "tar" => {
            let mut at = 0usize;
            while names.len() < limits.max_archive_entries {
                let Some(h) = d.get(at..at + 512) else { break };
                if h.iter().all(|&c| c == 0) || &h[257..262] != b"ustar" {
                    break;
                }
                let name_end = h[..100].iter().position(|&c| c == 0).unwrap_or(100);
                names.push(String::from_utf8_lossy(&h[..name_end]).into_owned());
                let size_text = String::from_utf8_lossy(&h[124..136]);
                let size = u64::from_str_radix(size_text.trim_matches(|c: char| c == '\0' || c.is_whitespace()), 8)
                    .unwrap_or(0);
                let blocks = size.div_ceil(512) as usize;
                at = match at
                    .checked_add(512)
                    .and_then(|a| a.checked_add(blocks.saturating_mul(512)))
                {
                    Some(a) => a,
                    None => break,
                };
            }
            info.truncated = names.len() >= limits.max_archive_entries;
        }
        "7z" => {
            // Encrypted headers: the end header is an encoded header using the AES coder.
            let next = d
                .get(12..20)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
                .unwrap_or(u64::MAX);
            if let Some(start) = usize::try_from(next).ok().and_then(|n| n.checked_add(32)) {
                if let Some(h) = d.get(start..d.len().min(start.saturating_add(4096))) {
                    info.encrypted = h.first() == Some(&0x17) && contains(h, b"\x06\xf1\x07\x01");
                }
            }
            info.truncated = true;
        }
        _ => info.truncated = true,
    }
    info.entries = names.len();
    for n in names {
        if let Some(c) = ext_class(&ext(&n)).filter(|c| c.is_risky()) {
            if info.risky.len() < 50 {
                info.risky.push((n, c));
            }
        }
    }
    info
}

fn vint(d: &[u8], at: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..70).step_by(7) {
        let b = *d.get(*at)?;
        *at += 1;
        if shift < 64 {
            v |= ((b & 0x7f) as u64) << shift;
        }
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn rar(d: &[u8], max: usize, names: &mut Vec<String>, info: &mut ArchiveInfo) {
    if starts(d, 0, b"Rar!\x1a\x07\x01\x00") {
        // RAR 5: CRC32, header size (vint), type (vint), flags (vint), [extra size], [data size].
        let mut at = 8usize;
        for _ in 0..max.saturating_mul(2).max(16) {
            let head = at;
            let mut p = at + 4;
            let Some(size) = vint(d, &mut p) else { return };
            let body = p;
            let Some(kind) = vint(d, &mut p) else { return };
            let Some(flags) = vint(d, &mut p) else { return };
            let extra = if flags & 1 != 0 { vint(d, &mut p) } else { Some(0) };
            let data = if flags & 2 != 0 { vint(d, &mut p) } else { Some(0) };
            let (Some(extra), Some(data)) = (extra, data) else {
                return;
            };
            let Some(end) = body.checked_add(size as usize) else {
                return;
            };
            match kind {
                4 => {
                    info.encrypted = true;
                    info.truncated = true;
                    return;
                }
                2 => {
                    // File header: file flags, unpacked size, attributes, [mtime], [crc],
                    // compression, host OS, name length, name.
                    let parse = || -> Option<(String, bool)> {
                        let mut q = p;
                        let fflags = vint(d, &mut q)?;
                        vint(d, &mut q)?;
                        vint(d, &mut q)?;
                        if fflags & 2 != 0 {
                            q += 4;
                        }
                        if fflags & 4 != 0 {
                            q += 4;
                        }
                        vint(d, &mut q)?;
                        vint(d, &mut q)?;
                        let nlen = vint(d, &mut q)? as usize;
                        let name = String::from_utf8_lossy(d.get(q..q.checked_add(nlen)?)?).into_owned();
                        // Extra area at the end of the header: records (size, type); type 1 is
                        // file encryption.
                        let mut x = end.checked_sub(extra as usize)?;
                        let mut encrypted = false;
                        while x < end {
                            let rsize = vint(d, &mut x)? as usize;
                            let r0 = x;
                            let rtype = vint(d, &mut x)?;
                            encrypted |= rtype == 1;
                            x = r0.checked_add(rsize)?;
                        }
                        Some((name, encrypted))
                    };
                    if let Some((name, encrypted)) = parse() {
                        info.encrypted |= encrypted;
                        if names.len() >= max {
                            info.truncated = true;
                            return;
                        }
                        names.push(name);
                    }
                }
                5 => return,
                _ => {}
            }
            let Some(next) = end.checked_add(data as usize) else {
                return;
            };
            if next <= head || next >= d.len() {
                return;
            }
            at = next;
        }
    } else {
        // RAR 4: blocks of CRC (2), type (1), flags (2), size (2), [add size (4)].
        let mut at = 7usize;
        for _ in 0..max.saturating_mul(2).max(16) {
            let Some(h) = d.get(at..at + 7) else { return };
            let kind = h[2];
            let flags = u16::from_le_bytes([h[3], h[4]]);
            let size = u16::from_le_bytes([h[5], h[6]]) as usize;
            if size < 7 {
                return;
            }
            let add = if flags & 0x8000 != 0 || kind == 0x74 {
                d.get(at + 7..at + 11)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                    .unwrap_or(0)
            } else {
                0
            };
            match kind {
                0x73 if flags & 0x0080 != 0 => {
                    info.encrypted = true;
                    info.truncated = true;
                    return;
                }
                0x74 => {
                    info.encrypted |= flags & 0x04 != 0;
                    let nlen = d
                        .get(at + 26..at + 28)
                        .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
                        .unwrap_or(0);
                    let name_at = at + 32 + if flags & 0x100 != 0 { 8 } else { 0 };
                    if let Some(n) = d.get(name_at..name_at + nlen) {
                        let n = n.split(|&c| c == 0).next().unwrap_or(n);
                        if names.len() >= max {
                            info.truncated = true;
                            return;
                        }
                        names.push(String::from_utf8_lossy(n).into_owned());
                    }
                }
                0x7b => return,
                _ => {}
            }
            let Some(next) = at.checked_add(size).and_then(|n| n.checked_add(add)) else {
                return;
            };
            if next <= at {
                return;
            }
            at = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zipdir::tests::build;

    fn pe() -> Vec<u8> {
        let mut v = vec![0u8; 256];
        v[0] = b'M';
        v[1] = b'Z';
        v[0x3C] = 0x80;
        v[0x80..0x84].copy_from_slice(b"PE\0\0");
        v
    }

    fn classify_named(name: &str, data: &[u8]) -> Attachment {
        classify(
            Some(name),
            "application/octet-stream",
            data,
            false,
            &crate::Limits::default(),
            &mut 4_000_000,
        )
    }

    #[test]
    fn content_beats_name() {
        let a = classify_named("faktura.pdf", &pe());
        assert_eq!(a.content, Sniffed::new(Class::Executable, "pe"));
        assert!(a.type_mismatch() && !a.double_extension);
        assert_eq!(a.effective_class(), Class::Executable);
        let a = classify_named("run.js", b"var s = new ActiveXObject('WScript.Shell');");
        assert_eq!(a.effective_class(), Class::Script);
        let a = classify_named("scan.pdf", b"%PDF-1.7\n...");
        assert_eq!(a.effective_class(), Class::Document);
        assert!(!a.type_mismatch());
    }

    #[test]
    fn double_extensions() {
        for n in [
            "faktura.pdf.exe",
            "skan.jpg.js",
            "zwrot.pdf                .scr",
            "invoice\u{202E}fdp.exe",
            "recepta.docx.html",
        ] {
            assert!(double_extension(n), "{n}");
        }
        for n in [
            "raport.2024.pdf",
            "setup.exe",
            "archive.tar.gz",
            "a.b.c",
            "x.pdf.",
            ".exe",
        ] {
            assert!(!double_extension(n), "{n}");
        }
    }

    #[test]
    fn office_macros_and_packages() {
        let docm = build(&[
            ("[Content_Types].xml", b"<Types/>", true, false),
            ("word/vbaProject.bin", b"\xd0\xcf", true, false),
        ]);
        assert_eq!(classify_named("a.docx", &docm).content.class, Class::MacroDocument);
        let docx = build(&[
            ("[Content_Types].xml", b"<Types/>", true, false),
            ("word/document.xml", b"<w/>", true, false),
        ]);
        assert_eq!(
            classify_named("a.docx", &docx).content,
            Sniffed::new(Class::Document, "ooxml")
        );
        let apk = build(&[
            ("AndroidManifest.xml", b"x", false, false),
            ("classes.dex", b"dex\n035", false, false),
        ]);
        assert_eq!(classify_named("mojeIKP.apk", &apk).content.class, Class::Executable);
        let mut ole_vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
        ole_vba.resize(2048, 0);
        ole_vba.extend_from_slice(b"_\0V\0B\0A\0_\0P\0R\0O\0J\0E\0C\0T\0");
        assert_eq!(classify_named("a.doc", &ole_vba).content.class, Class::MacroDocument);
    }

    #[test]
    fn archives_are_listed() {
        let inner = build(&[("payload.exe", &pe(), true, false)]);
        let outer = build(&[
            ("readme.txt", b"hi", false, false),
            ("faktura.pdf.exe", b"MZ", false, false),
            ("inner.zip", &inner, true, false),
            ("secret.doc", b"x", false, true),
        ]);
        let a = classify_named("dokumenty.zip", &outer);
        let info = a.archive.clone().unwrap();
        assert_eq!(a.content, Sniffed::new(Class::Archive, "zip"));
        assert!(info.encrypted);
        let paths: Vec<&str> = info.risky.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["faktura.pdf.exe", "inner.zip/payload.exe"]);
        // Budget exhausted: nested archives are not opened.
        let a = classify(Some("d.zip"), "", &outer, false, &crate::Limits::default(), &mut 0);
        assert_eq!(a.archive.unwrap().risky.len(), 1);
    }

    #[test]
    fn other_formats() {
        let mut gz = b"\x1f\x8b\x08\x08\0\0\0\0\0\x03".to_vec();
        gz.extend_from_slice(b"recepta.pdf.exe\0rest");
        let a = classify_named("recepta.gz", &gz);
        assert_eq!(
            a.archive.unwrap().risky,
            vec![("recepta.pdf.exe".to_string(), Class::Executable)]
        );
        let mut iso = vec![0u8; 0x8010];
        iso[0x8001..0x8006].copy_from_slice(b"CD001");
        assert_eq!(classify_named("x.pdf", &iso).content.class, Class::DiskImage);
        assert_eq!(
            sniff(b"L\0\0\0\x01\x14\x02\0\0\0\0\0\xc0\0\0\0\0\0\0F").class,
            Class::Shortcut
        );
        assert_eq!(sniff(b"[InternetShortcut]\r\nURL=http://evil").class, Class::Shortcut);
        assert_eq!(sniff(b"\n <!DOCTYPE html><html>").class, Class::Html);
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\">").format,
            "svg"
        );
        assert_eq!(sniff(b"Hello, this is text.").class, Class::Text);
        // RAR 4 with encrypted headers.
        let rar4 = b"Rar!\x1a\x07\x00\xcf\x90\x73\x80\x00\x0d\x00\0\0\0\0\0\0";
        let a = classify_named("x.rar", rar4);
        assert!(a.archive.unwrap().encrypted);
    }

    #[test]
    fn never_panics_on_prefixes() {
        let inner = build(&[("payload.exe", &pe(), true, false)]);
        let samples: Vec<Vec<u8>> = vec![
            inner,
            b"Rar!\x1a\x07\x01\x00\x01\x02\x03\x04\x05\x02\x01".to_vec(),
            b"7z\xbc\xaf\x27\x1c\0\x04\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        ];
        for s in samples {
            for n in 0..s.len() {
                let _ = classify_named("x", &s[..n]);
            }
        }
    }
}
