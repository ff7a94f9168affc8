//! Operator API authentication: `Authorization: Bearer <ADMIN_TOKEN>`, and who an
//! operator is.

use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Whether an `Authorization` header carries exactly the expected bearer token.
///
/// Both sides are hashed first so the comparison takes the same time whatever the
/// token's length or content. The scheme is case-insensitive (RFC 9110); the token is not.
pub fn bearer_matches(authorization: Option<&str>, expected_token: &str) -> bool {
    let Some(header) = authorization else {
        return false;
    };
    let Some((scheme, token)) = header.split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return false;
    }
    let given = Sha256::digest(token.as_bytes());
    let expected = Sha256::digest(expected_token.as_bytes());
    given.as_slice().ct_eq(expected.as_slice()).into()
}

/// Who sent an operator request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operator {
    /// The Access token's `email` or service token `common_name`, or `admin-token`.
    pub id: String,
    /// `access` or `admin-token`.
    pub via: &'static str,
}

impl Operator {
    pub fn admin_token() -> Self {
        Self {
            id: "admin-token".into(),
            via: "admin-token",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_passes() {
        assert!(bearer_matches(Some("Bearer s3cret"), "s3cret"));
        assert!(bearer_matches(Some("bearer s3cret"), "s3cret"));
        for bad in [
            None,
            Some(""),
            Some("s3cret"),
            Some("Bearer"),
            Some("Bearer "),
            Some("Bearer S3CRET"),
            Some("Bearer  s3cret"),
            Some("Bearer s3cret "),
            Some("Bearer s3cre"),
            Some("Bearer s3cret2"),
            Some("Basic s3cret"),
            Some("Bearer\ts3cret"),
        ] {
            assert!(!bearer_matches(bad, "s3cret"), "{bad:?}");
        }
    }
}
