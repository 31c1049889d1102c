//! Analyst access: roles, triage statuses, password hashes and API tokens.
//!
//! Passwords are stored as Argon2id PHC strings (`argon2` crate, RustCrypto; the OWASP
//! recommendation for password storage, memory-hard so a stolen database is slow to crack).
//! API tokens are 256 random bits; only their SHA-256 is stored, like reporters' tokens.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};

/// What an analyst may do. Ordered: a higher role may do everything a lower one may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads reports and campaigns (redacted) and exports.
    Viewer,
    /// Also changes status, assignee and notes, merges and splits campaigns.
    Analyst,
    /// Also reveals personal data (audited).
    Admin,
}

impl Role {
    /// The name used in the database, the CLI and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// The role of a name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who is asking: a user (web session) or an API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User name, or `token:NAME` for an API token.
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// Where a report stands in triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not looked at yet (stored as `received`, what the reporter's page has always said).
    New,
    /// An analyst has looked at it.
    Triaged,
    /// Phishing, confirmed.
    ConfirmedPhishing,
    /// Not phishing.
    Benign,
    /// The same as another report.
    Duplicate,
    /// Done.
    Closed,
}

impl Status {
    /// Every status, in workflow order.
    pub const ALL: [Status; 6] = [
        Status::New,
        Status::Triaged,
        Status::ConfirmedPhishing,
        Status::Benign,
        Status::Duplicate,
        Status::Closed,
    ];

    /// The API's name.
    pub fn name(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Triaged => "triaged",
            Status::ConfirmedPhishing => "confirmed_phishing",
            Status::Benign => "benign",
            Status::Duplicate => "duplicate",
            Status::Closed => "closed",
        }
    }

    /// The value in the `reports.status` column.
    pub fn db(self) -> &'static str {
        match self {
            Status::New => "received",
            s => s.name(),
        }
    }

    /// From the API's name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.name() == s)
    }

    /// From the column (unknown values read as new).
    pub fn from_db(s: &str) -> Status {
        Status::ALL.into_iter().find(|x| x.db() == s).unwrap_or(Status::New)
    }

    fn stage(self) -> u8 {
        match self {
            Status::New => 0,
            Status::Triaged => 1,
            Status::ConfirmedPhishing | Status::Benign | Status::Duplicate => 2,
            Status::Closed => 3,
        }
    }

    /// Whether the workflow allows going from `self` to `to`: forward (new → triaged →
    /// an outcome → closed, steps may be skipped), or from one outcome to another (a
    /// correction). Nothing goes back to new, nothing leaves closed.
    pub fn may_become(self, to: Status) -> bool {
        to.stage() > self.stage() || (self.stage() == 2 && to.stage() == 2 && self != to)
    }
}

/// An Argon2id hash of `password` (PHC string with a random salt, default parameters:
/// 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the stored PHC string (false for a malformed one).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A new API token (`hgt_` and 256 random bits, base64url) and its SHA-256.
pub fn new_api_token() -> (String, [u8; 32]) {
    let (raw, _) = crate::ids::new_token();
    let token = format!("hgt_{raw}");
    let hash = crate::ids::hash_token(&token);
    (token, hash)
}

/// SHA-256 of a token.
pub fn hash_token(token: &str) -> [u8; 32] {
    crate::ids::hash_token(token)
}

/// Whether a user or token name is acceptable: 1–64 letters, digits, `.`, `_`, `-`, `@`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsf", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(h, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn workflow() {
        use Status::*;
        assert!(New.may_become(Triaged));
        assert!(Triaged.may_become(ConfirmedPhishing));
        assert!(ConfirmedPhishing.may_become(Benign));
        assert!(Duplicate.may_become(Closed));
        assert!(!Closed.may_become(Triaged));
        assert!(!Triaged.may_become(New));
        assert!(!Benign.may_become(Benign));
        for s in Status::ALL {
            assert_eq!(Status::parse(s.name()), Some(s));
            assert_eq!(Status::from_db(s.db()), s);
        }
        assert_eq!(New.db(), "received");
    }

    #[test]
    fn roles_and_names() {
        assert!(Role::Admin > Role::Analyst && Role::Analyst > Role::Viewer);
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
        assert!(valid_name("ana.k@csirt"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
        let (t, h) = new_api_token();
        assert!(t.starts_with("hgt_"));
        assert_eq!(hash_token(&t), h);
    }
}
