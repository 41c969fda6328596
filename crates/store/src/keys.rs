//! Secret admin keys: how they look, how they are checked before any lookup, and how they are
//! stored (only as a hash).
//!
//! A key reads `sk_`, then 12 hex digits of lookup id, 64 hex digits of secret (32 random bytes)
//! and 8 hex digits of CRC-32 over everything before them. The checksum lets a mistyped or
//! truncated key be refused without touching the database; the lookup id finds the row; the
//! SHA-256 of the whole key is compared with the stored hash in constant time.

use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

pub const PREFIX: &str = "sk_";
const LOOKUP_BYTES: usize = 6;
const SECRET_BYTES: usize = 32;
const KEY_LEN: usize = PREFIX.len() + 2 * LOOKUP_BYTES + 2 * SECRET_BYTES + 8;

/// What an admin key may do on its site; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Read snippets, revisions, previews and exports.
    Viewer,
    /// Also create and edit drafts.
    Author,
    /// Also publish, unpublish and edit published snippets.
    Publisher,
    /// Also change the site's settings and manage its keys.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Author, Role::Publisher, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Author => "author",
            Role::Publisher => "publisher",
            Role::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A freshly made key. Its plaintext exists only here and in the one answer that shows it.
pub struct NewSecret {
    pub plaintext: String,
    pub lookup: String,
    pub hash: [u8; 32],
}

impl fmt::Debug for NewSecret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("NewSecret").field("lookup", &self.lookup).finish_non_exhaustive()
    }
}

/// Why a presented key was refused before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MalformedKey {
    #[error("a public site key (`pk_…`) cannot be used here; use a secret key (`sk_…`)")]
    PublicKey,
    #[error("not a Cuecard secret key (`sk_` and 84 hex digits)")]
    Shape,
    #[error("the key's checksum does not match; it was mistyped or cut short")]
    Checksum,
}

/// A presented key that passed the shape and checksum checks.
#[derive(Debug)]
pub struct PresentedKey {
    pub lookup: String,
    pub hash: [u8; 32],
}

impl NewSecret {
    /// Makes a key from the operating system's random source.
    pub fn generate() -> Result<NewSecret, getrandom::Error> {
        let mut random = [0u8; LOOKUP_BYTES + SECRET_BYTES];
        getrandom::fill(&mut random)?;
        let mut plaintext = String::with_capacity(KEY_LEN);
        plaintext.push_str(PREFIX);
        push_hex(&mut plaintext, &random);
        let checksum = crc32fast::hash(plaintext.as_bytes());
        push_hex(&mut plaintext, &checksum.to_be_bytes());
        let lookup = plaintext[PREFIX.len()..PREFIX.len() + 2 * LOOKUP_BYTES].to_owned();
        let hash = hash(&plaintext);
        Ok(NewSecret { plaintext, lookup, hash })
    }
}

/// A console session's token: 32 random bytes in hex, which only the browser's cookie holds;
/// the store keeps its hash.
pub struct SessionToken {
    pub plaintext: String,
    pub hash: [u8; 32],
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("SessionToken")
    }
}

impl SessionToken {
    pub fn generate() -> Result<SessionToken, getrandom::Error> {
        let mut random = [0u8; SECRET_BYTES];
        getrandom::fill(&mut random)?;
        let mut plaintext = String::with_capacity(2 * SECRET_BYTES);
        push_hex(&mut plaintext, &random);
        let hash = hash(&plaintext);
        Ok(SessionToken { plaintext, hash })
    }

    /// The hash to look a presented token up by, if it has a token's shape.
    pub fn presented(token: &str) -> Option<[u8; 32]> {
        let well_formed =
            token.len() == 2 * SECRET_BYTES && token.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
        well_formed.then(|| hash(token))
    }
}

/// Checks a presented key's shape and checksum; no database needed.
pub fn check(presented: &str) -> Result<PresentedKey, MalformedKey> {
    if presented.starts_with("pk_") {
        return Err(MalformedKey::PublicKey);
    }
    let well_formed = presented.len() == KEY_LEN
        && presented.starts_with(PREFIX)
        && presented[PREFIX.len()..].bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
    if !well_formed {
        return Err(MalformedKey::Shape);
    }
    let (body, checksum) = presented.split_at(KEY_LEN - 8);
    let mut expected = String::with_capacity(8);
    push_hex(&mut expected, &crc32fast::hash(body.as_bytes()).to_be_bytes());
    if expected != checksum {
        return Err(MalformedKey::Checksum);
    }
    Ok(PresentedKey {
        lookup: presented[PREFIX.len()..PREFIX.len() + 2 * LOOKUP_BYTES].to_owned(),
        hash: hash(presented),
    })
}

/// Whether a presented key's hash equals the stored one, in time independent of where they differ.
pub fn hashes_match(presented: &[u8; 32], stored: &[u8]) -> bool {
    stored.len() == presented.len() && bool::from(presented.as_slice().ct_eq(stored))
}

fn hash(plaintext: &str) -> [u8; 32] {
    Sha256::digest(plaintext.as_bytes()).into()
}

fn push_hex(text: &mut String, bytes: &[u8]) {
    use std::fmt::Write as _;
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_pass_their_own_check() {
        let secret = NewSecret::generate().unwrap();
        assert_eq!(secret.plaintext.len(), KEY_LEN);
        let presented = check(&secret.plaintext).unwrap();
        assert_eq!(presented.lookup, secret.lookup);
        assert!(hashes_match(&presented.hash, &secret.hash));
        assert_ne!(NewSecret::generate().unwrap().plaintext, secret.plaintext);
    }

    #[test]
    fn any_one_character_typo_is_caught_by_the_checksum() {
        let secret = NewSecret::generate().unwrap();
        for position in PREFIX.len()..KEY_LEN {
            let mut typo = secret.plaintext.clone().into_bytes();
            typo[position] = if typo[position] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(typo).unwrap();
            assert_eq!(check(&typo).unwrap_err(), MalformedKey::Checksum, "position {position}");
        }
    }

    #[test]
    fn session_tokens_are_found_by_their_hash_only_in_their_shape() {
        let token = SessionToken::generate().unwrap();
        assert_eq!(SessionToken::presented(&token.plaintext), Some(token.hash));
        assert_ne!(SessionToken::generate().unwrap().plaintext, token.plaintext);
        assert_eq!(SessionToken::presented(&token.plaintext[1..]), None);
        assert_eq!(SessionToken::presented(&token.plaintext.to_uppercase()), None);
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let secret = NewSecret::generate().unwrap();
        assert_eq!(check("pk_demo_acme").unwrap_err(), MalformedKey::PublicKey);
        assert_eq!(check(&secret.plaintext[..KEY_LEN - 1]).unwrap_err(), MalformedKey::Shape);
        assert_eq!(check(&secret.plaintext.to_uppercase()).unwrap_err(), MalformedKey::Shape);
        assert_eq!(check("").unwrap_err(), MalformedKey::Shape);
        assert!(!hashes_match(&secret.hash, &secret.hash[..31]));
    }
}
