//! The heaviest valid hosts for the look-alike index, shared by the bound test
//! (`tests/props.rs`) and the `check/worst_case` bench.

/// 125 one-letter labels; 63-byte labels full of protected names; many tokens.
#[allow(dead_code)]
pub fn worst_case_hosts() -> Vec<String> {
    let many_labels = vec!["a"; 125].join(".") + ".pl";
    let tokens = vec!["nfz"; 15].join("-");
    let heavy = format!("{tokens}.{tokens}.{tokens}.nfz-gov-pl.com");
    let subs = vec!["nfz.gov"; 30].join(".") + ".example.com";
    vec![many_labels, heavy, subs]
}
