//! The rules a context (and what a worker types) obeys, in one place for both sides: the widget applies them before it
//! asks (so it never sends what the service would refuse), the service checks them when it
//! answers. The OpenAPI patterns on [`crate::HelpQuery`] say the same in regular expressions.

/// Longest help key (`data-help-key`), in bytes.
pub const HELP_KEY_MAX_LEN: usize = 128;
/// Most keys in one query: a focus chain, or for `/v1/hotspots` the distinct keys on a page.
pub const KEYS_MAX: usize = 64;
/// Longest role, in bytes.
pub const ROLE_MAX_LEN: usize = 64;
/// Most roles in one query.
pub const ROLES_MAX: usize = 16;

/// Most characters of a search (`/v1/search`'s `q`, a `search` event's `query`).
pub const SEARCH_MAX_CHARS: usize = 200;
/// Most characters of a "not helpful" comment.
pub const COMMENT_MAX_CHARS: usize = 1000;

/// Letters, digits and `.` `_` `-` `:`: what help keys and roles are made of.
fn is_name(text: &str, max_len: usize) -> bool {
    !text.is_empty()
        && text.len() <= max_len
        && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-' | b':'))
}

/// A well-formed help key (`claim.vat-number`).
pub fn is_help_key(key: &str) -> bool {
    is_name(key, HELP_KEY_MAX_LEN)
}

/// A well-formed role (`approver`).
pub fn is_role(role: &str) -> bool {
    is_name(role, ROLE_MAX_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_roles_are_names_within_their_lengths() {
        assert!(is_help_key("claim.vat-number") && is_help_key("app:role_2") && is_help_key(&"k".repeat(128)));
        for bad in ["", "claim vat", "claim/vat", "clé", &"k".repeat(129)] {
            assert!(!is_help_key(bad), "{bad:?}");
        }
        assert!(is_role("approver") && !is_role("line manager") && !is_role(&"r".repeat(65)));
    }
}
