//! Ed25519 signatures over a registry's canonical form.
//!
//! Key and signature files are small text files: one line naming what they hold, then
//! the base64 bytes. The signature covers [`Registry::canonical_bytes`], so reformatting a
//! TOML file does not break it, while changing any value does.

use crate::model::Registry;
use base64::{engine::general_purpose::STANDARD, Engine};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// File name of a registry's detached signature, inside the registry directory.
pub const SIGNATURE_FILE: &str = "registry.sig";

const SECRET_TAG: &str = "healthguard-registry-secret-key-ed25519";
const PUBLIC_TAG: &str = "healthguard-registry-public-key-ed25519";
const SIG_TAG: &str = "healthguard-registry-signature-ed25519";

/// Why a key or signature was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The file is not a key or signature of the expected kind.
    #[error("not a {expected} file (expected a first line {tag:?} and a base64 line)")]
    Format {
        /// What was expected.
        expected: &'static str,
        /// The expected first line.
        tag: &'static str,
    },
    /// The signature does not match the registry and key.
    #[error("signature check failed: the registry was changed or signed with another key")]
    Mismatch,
    /// The operating system gave no randomness.
    #[error("no randomness available for key generation: {0}")]
    Random(String),
}

/// A new random key pair, as (secret key file text, public key file text).
pub fn generate_keypair() -> Result<(String, String), SignError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| SignError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    let secret = encode(SECRET_TAG, &seed);
    let public = encode(PUBLIC_TAG, key.verifying_key().as_bytes());
    Ok((secret, public))
}

/// Signs the registry with a secret key file's text; returns the signature file's text.
pub fn sign(registry: &Registry, secret_key_file: &str) -> Result<String, SignError> {
    let seed: [u8; 32] = decode(secret_key_file, SECRET_TAG, "secret key")?;
    let key = SigningKey::from_bytes(&seed);
    let sig = key.sign(&registry.canonical_bytes());
    Ok(encode(SIG_TAG, &sig.to_bytes()))
}

/// Checks a signature file's text against the registry and a public key file's text.
pub fn verify(registry: &Registry, signature_file: &str, public_key_file: &str) -> Result<(), SignError> {
    let public: [u8; 32] = decode(public_key_file, PUBLIC_TAG, "public key")?;
    let sig: [u8; 64] = decode(signature_file, SIG_TAG, "signature")?;
    let key = VerifyingKey::from_bytes(&public).map_err(|_| SignError::Format {
        expected: "public key",
        tag: PUBLIC_TAG,
    })?;
    key.verify(&registry.canonical_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| SignError::Mismatch)
}

fn encode(tag: &str, bytes: &[u8]) -> String {
    format!("{tag}\n{}\n", STANDARD.encode(bytes))
}

fn decode<const N: usize>(text: &str, tag: &'static str, expected: &'static str) -> Result<[u8; N], SignError> {
    let err = || SignError::Format { expected, tag };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some(tag) {
        return Err(err());
    }
    let bytes = STANDARD.decode(lines.next().ok_or_else(err)?).map_err(|_| err())?;
    bytes.try_into().map_err(|_| err())
}
