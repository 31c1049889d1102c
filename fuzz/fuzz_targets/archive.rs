//! Attachment typing and archive listing (ZIP central directory and local headers,
//! bounded inflation, nested archives, other archive formats), as the parser does it.
#![no_main]

use healthguard_mail::{classify_attachment, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_archive_entries: 200,
        max_decompressed_bytes: 256 * 1024,
        ..Limits::default()
    };
    let a = classify_attachment(Some("attachment.zip"), "application/zip", data, &limits);
    if let Some(info) = &a.archive {
        let _ = std::hint::black_box(info);
    }
    let _ = std::hint::black_box((a.label(), a.type_mismatch(), a.effective_class()));
});
