//! Webhook signature verification with the semantics of the official Telnyx SDKs:
//! Ed25519 over `{telnyx-timestamp}|{raw body}`, a timestamp window in both
//! directions, and several accepted keys so a key can be rotated without downtime.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH};

pub const SIGNATURE_HEADER: &str = "telnyx-signature-ed25519";
pub const TIMESTAMP_HEADER: &str = "telnyx-timestamp";

/// Whole Unix seconds fit in 19 digits; anything longer is malformed, not a huge time.
const MAX_TIMESTAMP_DIGITS: usize = 19;

/// The public keys webhooks may be signed with (more than one during a rotation).
#[derive(Clone, Debug)]
pub struct PublicKeys(Vec<VerifyingKey>);

/// Why `TELNYX_PUBLIC_KEY` cannot be used. Positions are 1-based, as a person counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyConfigError {
    Empty,
    NotBase64 { position: usize },
    WrongLength { position: usize, bytes: usize },
    NotAPublicKey { position: usize },
}

impl std::fmt::Display for KeyConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => write!(f, "TELNYX_PUBLIC_KEY holds no key"),
            Self::NotBase64 { position } => {
                write!(f, "TELNYX_PUBLIC_KEY key #{position} is not standard base64")
            }
            Self::WrongLength { position, bytes } => write!(
                f,
                "TELNYX_PUBLIC_KEY key #{position} decodes to {bytes} bytes; an Ed25519 public key has {PUBLIC_KEY_LENGTH}"
            ),
            Self::NotAPublicKey { position } => {
                write!(f, "TELNYX_PUBLIC_KEY key #{position} is not a valid Ed25519 public key")
            }
        }
    }
}

impl PublicKeys {
    /// Parses one or more base64 keys separated by spaces or commas.
    pub fn parse(config: &str) -> Result<Self, KeyConfigError> {
        let keys = config
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .enumerate()
            .map(|(index, encoded)| parse_key(index + 1, encoded))
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(KeyConfigError::Empty);
        }
        Ok(Self(keys))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn parse_key(position: usize, encoded: &str) -> Result<VerifyingKey, KeyConfigError> {
    let bytes = STANDARD
        .decode(encoded)
        .map_err(|_| KeyConfigError::NotBase64 { position })?;
    let bytes: [u8; PUBLIC_KEY_LENGTH] =
        bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyConfigError::WrongLength {
                position,
                bytes: bytes.len(),
            })?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| KeyConfigError::NotAPublicKey { position })
}

/// Why a delivery was refused. Every variant is a `401`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    MissingSignature,
    MissingTimestamp,
    MalformedSignature,
    MalformedTimestamp,
    OutsideWindow,
    Mismatch,
}

impl Rejection {
    pub fn code(self) -> &'static str {
        match self {
            Self::MissingSignature => "missing_signature",
            Self::MissingTimestamp => "missing_timestamp",
            Self::MalformedSignature => "malformed_signature",
            Self::MalformedTimestamp => "malformed_timestamp",
            Self::OutsideWindow => "timestamp_outside_window",
            Self::Mismatch => "invalid_signature",
        }
    }

    pub fn detail(self) -> &'static str {
        match self {
            Self::MissingSignature => "the telnyx-signature-ed25519 header is missing",
            Self::MissingTimestamp => "the telnyx-timestamp header is missing",
            Self::MalformedSignature => {
                "telnyx-signature-ed25519 must be the standard base64 of a 64-byte Ed25519 signature"
            }
            Self::MalformedTimestamp => "telnyx-timestamp must be whole Unix seconds in ASCII digits",
            Self::OutsideWindow => "telnyx-timestamp is outside the allowed window",
            Self::Mismatch => "the signature does not match the body under any configured key",
        }
    }
}

/// The two signature headers of one delivery, as received (absent is `None`).
#[derive(Clone, Copy, Debug)]
pub struct SignatureHeaders<'a> {
    pub signature: Option<&'a str>,
    pub timestamp: Option<&'a str>,
}

/// Checks a delivery; returns the signed timestamp (Unix seconds) when it is genuine.
///
/// A difference of exactly `tolerance_secs` between `now` and the timestamp passes.
pub fn verify(
    keys: &PublicKeys,
    headers: SignatureHeaders<'_>,
    body: &[u8],
    now_unix_secs: i64,
    tolerance_secs: u64,
) -> Result<i64, Rejection> {
    let signature = headers.signature.ok_or(Rejection::MissingSignature)?;
    let timestamp_text = headers.timestamp.ok_or(Rejection::MissingTimestamp)?;
    let timestamp = parse_timestamp(timestamp_text)?;
    let signature = parse_signature(signature)?;
    if (i128::from(now_unix_secs) - i128::from(timestamp)).unsigned_abs()
        > u128::from(tolerance_secs)
    {
        return Err(Rejection::OutsideWindow);
    }
    let mut message = Vec::with_capacity(timestamp_text.len() + 1 + body.len());
    message.extend_from_slice(timestamp_text.as_bytes());
    message.push(b'|');
    message.extend_from_slice(body);
    if keys
        .0
        .iter()
        .any(|key| key.verify_strict(&message, &signature).is_ok())
    {
        Ok(timestamp)
    } else {
        Err(Rejection::Mismatch)
    }
}

fn parse_timestamp(text: &str) -> Result<i64, Rejection> {
    let plain_digits = !text.is_empty()
        && text.len() <= MAX_TIMESTAMP_DIGITS
        && text.bytes().all(|b| b.is_ascii_digit());
    if !plain_digits {
        return Err(Rejection::MalformedTimestamp);
    }
    text.parse::<i64>()
        .map_err(|_| Rejection::MalformedTimestamp)
}

fn parse_signature(text: &str) -> Result<Signature, Rejection> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| Rejection::MalformedSignature)?;
    let bytes: [u8; SIGNATURE_LENGTH] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| Rejection::MalformedSignature)?;
    Ok(Signature::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    const NOW: i64 = 1_760_000_000;
    const BODY: &[u8] = br#"{"data":{"id":"e1","event_type":"call.answered"}}"#;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn public(seed: u8) -> String {
        STANDARD.encode(key(seed).verifying_key().as_bytes())
    }

    fn sign(seed: u8, timestamp: &str, body: &[u8]) -> String {
        let mut message = format!("{timestamp}|").into_bytes();
        message.extend_from_slice(body);
        STANDARD.encode(key(seed).sign(&message).to_bytes())
    }

    fn check(keys: &str, signature: &str, timestamp: &str, body: &[u8]) -> Result<i64, Rejection> {
        let keys = PublicKeys::parse(keys).expect("test keys parse");
        let headers = SignatureHeaders {
            signature: Some(signature),
            timestamp: Some(timestamp),
        };
        verify(&keys, headers, body, NOW, 300)
    }

    #[test]
    fn accepts_a_genuine_delivery_and_returns_its_timestamp() {
        let ts = NOW.to_string();
        assert_eq!(check(&public(1), &sign(1, &ts, BODY), &ts, BODY), Ok(NOW));
    }

    #[test]
    fn window_edges_are_inclusive_in_both_directions() {
        for ts in [NOW - 300, NOW + 300] {
            let ts = ts.to_string();
            assert!(
                check(&public(1), &sign(1, &ts, BODY), &ts, BODY).is_ok(),
                "{ts}"
            );
        }
        for ts in [NOW - 301, NOW + 301, 0, i64::MAX] {
            let ts = ts.to_string();
            assert_eq!(
                check(&public(1), &sign(1, &ts, BODY), &ts, BODY),
                Err(Rejection::OutsideWindow),
                "{ts}"
            );
        }
    }

    #[test]
    fn any_rotated_key_is_accepted() {
        let ts = NOW.to_string();
        let keys = format!("{}, {}\n{}", public(1), public(2), public(3));
        for seed in [1, 2, 3] {
            assert!(check(&keys, &sign(seed, &ts, BODY), &ts, BODY).is_ok());
        }
        assert_eq!(
            check(&keys, &sign(4, &ts, BODY), &ts, BODY),
            Err(Rejection::Mismatch)
        );
    }

    #[test]
    fn the_signature_covers_timestamp_and_exact_body_bytes() {
        let ts = NOW.to_string();
        let signature = sign(1, &ts, BODY);
        let reserialised = br#"{"data": {"id": "e1", "event_type": "call.answered"}}"#;
        assert_eq!(
            check(&public(1), &signature, &ts, reserialised),
            Err(Rejection::Mismatch)
        );
        let other_ts = (NOW - 1).to_string();
        assert_eq!(
            check(&public(1), &signature, &other_ts, BODY),
            Err(Rejection::Mismatch)
        );
    }

    #[test]
    fn timestamps_must_be_plain_ascii_digits() {
        for ts in [
            "",
            "-1",
            "+1760000000",
            " 1760000000",
            "1760000000 ",
            "1760000000.0",
            "1.76e9",
            "0x68e3b0",
            "１７６",
            "99999999999999999999",
            "17600000000000000000",
        ] {
            assert_eq!(
                check(&public(1), &sign(1, ts, BODY), ts, BODY),
                Err(Rejection::MalformedTimestamp),
                "{ts:?}"
            );
        }
    }

    #[test]
    fn signatures_must_be_standard_base64_of_64_bytes() {
        let ts = NOW.to_string();
        let genuine = sign(1, &ts, BODY);
        let raw = STANDARD.decode(&genuine).unwrap();
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw);
        for bad in [
            "not base64!".to_string(),
            genuine.trim_end_matches('=').to_string(),
            STANDARD.encode(&raw[..63]),
            STANDARD.encode([raw.as_slice(), &[0]].concat()),
            url_safe,
        ] {
            assert_eq!(
                check(&public(1), &bad, &ts, BODY),
                Err(Rejection::MalformedSignature),
                "{bad}"
            );
        }
    }

    #[test]
    fn missing_headers_are_named() {
        let keys = PublicKeys::parse(&public(1)).unwrap();
        let none = SignatureHeaders {
            signature: None,
            timestamp: Some("1"),
        };
        assert_eq!(
            verify(&keys, none, BODY, NOW, 300),
            Err(Rejection::MissingSignature)
        );
        let none = SignatureHeaders {
            signature: Some("x"),
            timestamp: None,
        };
        assert_eq!(
            verify(&keys, none, BODY, NOW, 300),
            Err(Rejection::MissingTimestamp)
        );
    }

    #[test]
    fn key_configuration_errors_say_which_key() {
        assert_eq!(PublicKeys::parse(" , ").unwrap_err(), KeyConfigError::Empty);
        assert_eq!(
            PublicKeys::parse(&format!("{} %%%", public(1))).unwrap_err(),
            KeyConfigError::NotBase64 { position: 2 }
        );
        assert_eq!(
            PublicKeys::parse(&STANDARD.encode([7u8; 31])).unwrap_err(),
            KeyConfigError::WrongLength {
                position: 1,
                bytes: 31
            }
        );
        assert_eq!(PublicKeys::parse(&public(9)).unwrap().len(), 1);
    }
}
