//! Cloudflare Access: its settings, and the checks on the JWT it puts in
//! `Cf-Access-Jwt-Assertion` (RS256 only, the key its `kid` names, `iss`, `aud`, `exp`,
//! `nbf`, `iat`), all but the signature itself, which the runtime's WebCrypto checks
//! (`crate::ports::Rs256`). Nothing here ever puts the token into an error.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::lenient::{detail, Field};

/// Clock skew allowed on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: i64 = 60;
/// A token longer than this is refused before any work: Access's are about 1 KiB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Where Access publishes its signing keys, under the team domain.
pub const CERTS_PATH: &str = "/cdn-cgi/access/certs";

/// `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD`, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessConfig {
    /// `https://<team>.cloudflareaccess.com`, no trailing slash: the tokens' `iss`.
    pub team_domain: String,
    pub audiences: Vec<String>,
}

impl AccessConfig {
    /// `None` when neither is set; an error naming the setting when one is unusable.
    pub fn parse(
        team_domain: Option<&str>,
        audiences: Option<&str>,
    ) -> Result<Option<Self>, String> {
        let audiences: Vec<String> = audiences
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let Some(domain) = team_domain.map(str::trim).filter(|d| !d.is_empty()) else {
            return match audiences.is_empty() {
                true => Ok(None),
                false => Err("ACCESS_AUD is set but ACCESS_TEAM_DOMAIN is not".into()),
            };
        };
        // A host is case-insensitive; Access's `iss` spells it in lower case.
        let domain = domain.trim_end_matches('/').to_ascii_lowercase();
        let host = match (
            domain.strip_prefix("https://"),
            domain.strip_prefix("http://"),
        ) {
            (Some(host), _) => host,
            (None, Some(host)) if is_loopback(host) => host,
            (None, Some(_)) => {
                return Err(
                    "ACCESS_TEAM_DOMAIN must be https:// (plain http only for a loopback host)"
                        .into(),
                )
            }
            _ => {
                return Err("ACCESS_TEAM_DOMAIN must be https://<team>.cloudflareaccess.com".into())
            }
        };
        let valid_host = !host.is_empty()
            && host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        if !valid_host {
            return Err("ACCESS_TEAM_DOMAIN must be a bare origin such as https://<team>.cloudflareaccess.com".into());
        }
        if audiences.is_empty() {
            return Err("ACCESS_AUD is required with ACCESS_TEAM_DOMAIN".into());
        }
        Ok(Some(Self {
            team_domain: domain,
            audiences,
        }))
    }

    /// `{team domain}/cdn-cgi/access/certs`.
    pub fn certs_url(&self) -> String {
        format!("{}{CERTS_PATH}", self.team_domain)
    }
}

/// `127.0.0.1`, `localhost` or `[::1]`, with or without a port.
fn is_loopback(host: &str) -> bool {
    let (name, port) = match host.strip_prefix("[::1]") {
        Some(port) => ("::1", port),
        None => host.split_at(host.find(':').unwrap_or(host.len())),
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    port_ok && matches!(name, "127.0.0.1" | "localhost" | "::1")
}

/// Which check a token failed: the error code and what it says (never the token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    TooLarge,
    Algorithm,
    UnknownKey,
    Signature,
    Issuer,
    Audience,
    /// `exp` missing, or `exp`, `nbf` or `iat` not a number.
    Times,
    Expired,
    NotYetValid,
    IssuedInFuture,
    NoIdentity,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Malformed => "access_token_malformed",
            Refusal::TooLarge => "access_token_too_large",
            Refusal::Algorithm => "access_token_algorithm",
            Refusal::UnknownKey => "access_token_unknown_key",
            Refusal::Signature => "access_token_signature",
            Refusal::Issuer => "access_token_issuer",
            Refusal::Audience => "access_token_audience",
            Refusal::Times => "access_token_times",
            Refusal::Expired => "access_token_expired",
            Refusal::NotYetValid => "access_token_not_yet_valid",
            Refusal::IssuedInFuture => "access_token_issued_in_future",
            Refusal::NoIdentity => "access_token_no_identity",
        }
    }

    pub fn detail(self) -> &'static str {
        match self {
            Refusal::Malformed => "the Cf-Access-Jwt-Assertion header is not a JWT",
            Refusal::TooLarge => "the Cf-Access-Jwt-Assertion header is too large for a JWT",
            Refusal::Algorithm => "the Access token is not signed with RS256",
            Refusal::UnknownKey => "the Access token names a key the team does not publish",
            Refusal::Signature => "the Access token's signature does not verify",
            Refusal::Issuer => "the Access token was issued by another team domain",
            Refusal::Audience => "the Access token is for another application (aud)",
            Refusal::Times => {
                "the Access token's exp is missing, or its exp, nbf or iat is not a number"
            }
            Refusal::Expired => "the Access token has expired",
            Refusal::NotYetValid => "the Access token is not valid yet (nbf)",
            Refusal::IssuedInFuture => "the Access token is issued in the future (iat)",
            Refusal::NoIdentity => "the Access token names no email or service token",
        }
    }
}

/// A JWT split and decoded, its signature not checked yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kid: String,
    pub claims: Claims,
    /// `{header}.{payload}` as sent: the bytes the signature covers.
    pub signed: Vec<u8>,
    pub signature: Vec<u8>,
}

/// The JWT header's fields that are checked.
#[derive(Deserialize)]
struct Header {
    #[serde(default, deserialize_with = "detail")]
    alg: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    kid: Option<String>,
}

/// The claims that are checked, each read on its own: one of the wrong type fails its
/// own check, in the checks' order.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Claims {
    #[serde(default, deserialize_with = "detail")]
    iss: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    aud: Option<Audience>,
    /// NumericDates, which may have fractions.
    exp: Option<Field<f64>>,
    nbf: Option<Field<f64>>,
    iat: Option<Field<f64>>,
    #[serde(default, deserialize_with = "detail")]
    email: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    common_name: Option<String>,
}

/// `aud`: one audience, or a list of them (entries other than text name none).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<Value>),
}

/// A part of the token: base64url of a JSON object.
fn decoded<T: DeserializeOwned>(part: &str) -> Result<T, Refusal> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Refusal::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(object @ Value::Object(_)) => T::deserialize(object).map_err(|_| Refusal::Malformed),
        _ => Err(Refusal::Malformed),
    }
}

impl Token {
    /// Splits and decodes; RS256 with a `kid` only.
    pub fn parse(token: &str) -> Result<Self, Refusal> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Refusal::TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refusal::Malformed);
        };
        let header: Header = decoded(header)?;
        if header.alg.as_deref() != Some("RS256") {
            return Err(Refusal::Algorithm);
        }
        let kid = header.kid.ok_or(Refusal::UnknownKey)?;
        let claims = decoded(payload)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Refusal::Malformed)?;
        let signed_len = token.len() - signature_len(token);
        Ok(Self {
            kid,
            claims,
            signed: token.as_bytes()[..signed_len].to_vec(),
            signature,
        })
    }

    /// `iss`, `aud`, `exp`, `nbf` and `iat` at `now` (Unix seconds), then the operator
    /// it names: its `email`, or the `common_name` of a service token.
    pub fn check_claims(&self, config: &AccessConfig, now: i64) -> Result<String, Refusal> {
        let claims = &self.claims;
        if claims.iss.as_deref() != Some(config.team_domain.as_str()) {
            return Err(Refusal::Issuer);
        }
        let audience_ok = match &claims.aud {
            Some(Audience::One(aud)) => config.audiences.contains(aud),
            Some(Audience::Many(auds)) => auds
                .iter()
                .filter_map(Value::as_str)
                .any(|aud| config.audiences.iter().any(|ours| ours == aud)),
            None => false,
        };
        if !audience_ok {
            return Err(Refusal::Audience);
        }
        // As floats no sum can overflow.
        let time = |claim: &Option<Field<f64>>| match claim {
            None => Ok(None),
            Some(Field::Value(time)) => Ok(Some(*time)),
            Some(Field::WrongType) => Err(Refusal::Times),
        };
        let (now, leeway) = (now as f64, LEEWAY_SECS as f64);
        if time(&claims.exp)?.ok_or(Refusal::Times)? + leeway <= now {
            return Err(Refusal::Expired);
        }
        if time(&claims.nbf)?.is_some_and(|nbf| nbf - leeway > now) {
            return Err(Refusal::NotYetValid);
        }
        if time(&claims.iat)?.is_some_and(|iat| iat - leeway > now) {
            return Err(Refusal::IssuedInFuture);
        }
        let named = |name: &Option<String>| {
            name.as_deref()
                .filter(|name| !name.trim().is_empty())
                .map(str::to_owned)
        };
        named(&claims.email)
            .or_else(|| named(&claims.common_name))
            .ok_or(Refusal::NoIdentity)
    }
}

/// The length of the `.signature` part at the end.
fn signature_len(token: &str) -> usize {
    let bytes = token.as_bytes();
    bytes
        .iter()
        .rposition(|byte| *byte == b'.')
        .map_or(0, |dot| bytes.len() - dot)
}

/// One RSA public key of the team's JWKS: its `kid`, and its modulus and exponent as
/// base64url (the JWK members WebCrypto imports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    pub kid: String,
    pub n: String,
    pub e: String,
}

/// A JWKS document: `{"keys":[…]}`.
#[derive(Deserialize)]
struct KeySet {
    keys: Vec<Value>,
}

/// One key of a set, as far as it is read: its members that are text.
#[derive(Deserialize)]
struct SetKey {
    #[serde(default, deserialize_with = "detail")]
    kty: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    alg: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    kid: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    n: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    e: Option<String>,
}

impl Jwk {
    /// The RSA keys of a JWKS document (`{"keys":[…]}`); others are skipped. `None`
    /// when it holds none: a set that would refuse every token is no set to keep.
    pub fn parse_set(body: &[u8]) -> Option<Vec<Jwk>> {
        let set: KeySet = serde_json::from_slice(body).ok()?;
        let keys: Vec<Jwk> = set
            .keys
            .into_iter()
            .filter_map(|key| SetKey::deserialize(key).ok())
            .filter(|key| key.kty.as_deref() == Some("RSA"))
            .filter(|key| key.alg.as_deref().is_none_or(|alg| alg == "RS256"))
            .filter_map(|key| {
                Some(Jwk {
                    kid: key.kid?,
                    n: key.n?,
                    e: key.e?,
                })
            })
            .collect();
        (!keys.is_empty()).then_some(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> AccessConfig {
        AccessConfig::parse(
            Some("https://team.cloudflareaccess.com/"),
            Some("aud-1 aud-2"),
        )
        .unwrap()
        .unwrap()
    }

    fn encode(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn token(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.{}",
            encode(&header),
            encode(&claims),
            URL_SAFE_NO_PAD.encode([1u8; 4])
        )
    }

    #[test]
    fn settings_are_checked_and_named_in_errors() {
        assert_eq!(AccessConfig::parse(None, None), Ok(None));
        assert_eq!(config().team_domain, "https://team.cloudflareaccess.com");
        assert_eq!(
            config().certs_url(),
            "https://team.cloudflareaccess.com/cdn-cgi/access/certs"
        );
        assert_eq!(config().audiences, ["aud-1", "aud-2"]);
        assert_eq!(
            AccessConfig::parse(Some("https://Team.CloudflareAccess.com"), Some("a"))
                .unwrap()
                .unwrap()
                .team_domain,
            "https://team.cloudflareaccess.com",
            "the tokens' iss is in lower case"
        );
        for (domain, aud, words) in [
            (
                Some("https://t.cloudflareaccess.com"),
                None,
                "ACCESS_AUD is required",
            ),
            (None, Some("aud"), "ACCESS_TEAM_DOMAIN is not"),
            (
                Some("http://team.example.com"),
                Some("a"),
                "only for a loopback",
            ),
            (
                Some("team.cloudflareaccess.com"),
                Some("a"),
                "must be https://",
            ),
            (Some("https://evil.example/path"), Some("a"), "bare origin"),
            (Some("http://[::1"), Some("a"), "only for a loopback"),
            (Some("http://[::1]evil"), Some("a"), "only for a loopback"),
            (Some("http://localhost:"), Some("a"), "only for a loopback"),
            (
                Some("http://localhost.evil.example"),
                Some("a"),
                "only for a loopback",
            ),
        ] {
            let error = AccessConfig::parse(domain, aud).unwrap_err();
            assert!(error.contains(words), "{domain:?}: {error}");
        }
        for loopback in [
            "http://127.0.0.1:8799",
            "http://localhost:1",
            "http://[::1]:80",
            "http://[::1]",
            "http://127.0.0.1",
        ] {
            assert!(AccessConfig::parse(Some(loopback), Some("a"))
                .unwrap()
                .is_some());
        }
    }

    #[test]
    fn tokens_are_split_and_their_claims_checked() {
        let now = 1_800_000_000;
        let claims = json!({"iss": "https://team.cloudflareaccess.com", "aud": ["aud-2"],
            "exp": now + 300, "nbf": now - 10, "iat": now - 10, "email": "ana@example.com"});
        let header = json!({"alg": "RS256", "kid": "k1", "typ": "JWT"});
        let raw = token(header.clone(), claims.clone());
        let parsed = Token::parse(&raw).unwrap();
        assert_eq!(parsed.kid, "k1");
        assert_eq!(parsed.signature, [1u8; 4]);
        assert_eq!(parsed.signed, raw.rsplit_once('.').unwrap().0.as_bytes());
        assert_eq!(
            parsed.check_claims(&config(), now).unwrap(),
            "ana@example.com"
        );
        let with = |change: Value| {
            let mut claims = claims.clone();
            for (key, value) in change.as_object().unwrap() {
                claims[key] = value.clone();
            }
            Token::parse(&token(header.clone(), claims))
                .unwrap()
                .check_claims(&config(), now)
        };
        assert_eq!(
            with(json!({"iss": "https://other.cloudflareaccess.com"})),
            Err(Refusal::Issuer)
        );
        assert_eq!(with(json!({"aud": "aud-3"})), Err(Refusal::Audience));
        assert_eq!(with(json!({"aud": "aud-1"})), Ok("ana@example.com".into()));
        assert_eq!(with(json!({"exp": now - 61})), Err(Refusal::Expired));
        assert_eq!(with(json!({"exp": now - 59})).map(drop), Ok(()), "leeway");
        assert_eq!(with(json!({"exp": null})), Err(Refusal::Times));
        assert_eq!(
            with(json!({"exp": (now + 300) as f64 + 0.5})).map(drop),
            Ok(()),
            "a NumericDate may have a fraction"
        );
        assert_eq!(with(json!({"exp": i64::MAX})).map(drop), Ok(()));
        assert_eq!(with(json!({"exp": i64::MIN})), Err(Refusal::Expired));
        assert_eq!(with(json!({"nbf": i64::MIN})).map(drop), Ok(()));
        assert_eq!(with(json!({"nbf": 1.9e300})), Err(Refusal::NotYetValid));
        assert_eq!(
            with(json!({"nbf": (now + 61).to_string()})),
            Err(Refusal::Times)
        );
        assert_eq!(with(json!({"iat": "yesterday"})), Err(Refusal::Times));
        assert_eq!(with(json!({"nbf": now + 61})), Err(Refusal::NotYetValid));
        assert_eq!(with(json!({"iat": now + 61})), Err(Refusal::IssuedInFuture));
        assert_eq!(
            with(json!({"email": null, "common_name": "ci-bot.access"})),
            Ok("ci-bot.access".into())
        );
        assert_eq!(with(json!({"email": ""})), Err(Refusal::NoIdentity));
        for (header, refusal) in [
            (json!({"alg": "none", "kid": "k1"}), Refusal::Algorithm),
            (json!({"alg": "HS256", "kid": "k1"}), Refusal::Algorithm),
            (json!({"alg": "RS256"}), Refusal::UnknownKey),
        ] {
            assert_eq!(Token::parse(&token(header, claims.clone())), Err(refusal));
        }
        let bad_signature = format!("{}.e30.!!", encode(&json!({"alg": "RS256", "kid": "k1"})));
        for malformed in [
            "",
            "a.b",
            "a.b.c.d",
            "not a jwt",
            "!!.e30.e30",
            &bad_signature,
        ] {
            assert_eq!(
                Token::parse(malformed),
                Err(Refusal::Malformed),
                "{malformed}"
            );
        }
        assert_eq!(
            Token::parse(&"a".repeat(100 * 1024)),
            Err(Refusal::TooLarge)
        );
    }

    #[test]
    fn a_key_set_keeps_its_rsa_keys() {
        let set = json!({"keys": [
            {"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB", "alg": "RS256"},
            {"kty": "EC", "kid": "k2", "crv": "P-256", "x": "x", "y": "y"},
            {"kty": "RSA", "kid": "k3", "n": "AQAB"},
            {"kty": "RSA", "kid": "k4", "n": "AQAB", "e": "AQAB"}]});
        let keys = Jwk::parse_set(set.to_string().as_bytes()).unwrap();
        let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids, ["k1", "k4"]);
        assert_eq!(Jwk::parse_set(b"not json"), None);
        for empty in [
            json!({"keys": []}),
            json!({"keys": [{"kty": "EC", "kid": "k2"}]}),
        ] {
            assert_eq!(
                Jwk::parse_set(empty.to_string().as_bytes()),
                None,
                "{empty}"
            );
        }
    }
}
