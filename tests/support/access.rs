//! Cloudflare Access for the tests: RSA keys of the tests' own (`access/*.pem`, made for
//! these tests and for nothing else), their key set as Access publishes it, tokens
//! signed with them, and the RS256 check the worker runs (natively, with the `rsa`
//! crate; the Worker uses WebCrypto).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, PrivateKey, PublicKey};
use serde_json::{json, Value};

use telnyx_edge::domain::access::Jwk;
use telnyx_edge::ports::Rs256;

/// The team domain the tests configure (`ACCESS_TEAM_DOMAIN`).
pub const TEAM: &str = "https://telnyx-edge-tests.cloudflareaccess.com";
/// The application's AUD tag the tests configure (`ACCESS_AUD`, with another).
pub const AUD: &str = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";

/// One signing key and the `kid` Access would publish it under.
pub struct TestKey {
    pub kid: &'static str,
    key: PrivateKey,
}

impl TestKey {
    pub fn first() -> Self {
        Self::load("test-key-1", include_str!("access/test-key-1.pem"))
    }

    /// The key a rotation brings in.
    pub fn second() -> Self {
        Self::load("test-key-2", include_str!("access/test-key-2.pem"))
    }

    fn load(kid: &'static str, pem: &str) -> Self {
        Self {
            kid,
            key: PrivateKey::from_pkcs8_pem(pem).expect("the test key parses"),
        }
    }

    /// The key as a JWK of Access's key set.
    pub fn jwk(&self) -> Value {
        let public = self.key.to_public_key();
        json!({"kid": self.kid, "kty": "RSA", "alg": "RS256", "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(public.n_bytes()),
            "e": URL_SAFE_NO_PAD.encode(public.e_bytes())})
    }

    /// The raw signature over `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key
            .pkcs1v15_sign::<Sha256>(message)
            .expect("signing works")
            .to_vec()
    }

    /// A JWT with this header and these claims, signed with this key.
    pub fn token(&self, header: &Value, claims: &Value) -> String {
        let signed = format!("{}.{}", encode(header), encode(claims));
        let signature = URL_SAFE_NO_PAD.encode(self.sign(signed.as_bytes()));
        format!("{signed}.{signature}")
    }

    /// A token Access would issue now (Unix seconds) to `email` for the tests' app.
    pub fn valid(&self, email: &str, now: i64) -> String {
        self.token(&header(self.kid), &claims(email, now))
    }
}

pub fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The header Access signs with.
pub fn header(kid: &str) -> Value {
    json!({"alg": "RS256", "kid": kid, "typ": "JWT"})
}

/// The claims of a token issued at `now` to `email`, valid for an hour.
pub fn claims(email: &str, now: i64) -> Value {
    json!({"aud": [AUD], "email": email, "exp": now + 3600, "iat": now, "nbf": now,
        "iss": TEAM, "type": "app", "identity_nonce": "6ei69kawdKzMIAPF",
        "sub": "7335d417-61da-459d-899c-0a01c76a2f94", "country": "US"})
}

/// `{"keys":[…]}` as Access serves it at `/cdn-cgi/access/certs`.
pub fn key_set(keys: &[&TestKey]) -> String {
    let keys: Vec<Value> = keys.iter().map(|key| key.jwk()).collect();
    json!({"keys": keys, "public_cert": {"kid": "x", "cert": "-----BEGIN CERTIFICATE-----"},
        "public_certs": []})
    .to_string()
}

/// The worker's RS256 check, natively.
pub struct NativeRs256;

impl Rs256 for NativeRs256 {
    async fn verify(&self, key: &Jwk, message: &[u8], signature: &[u8]) -> Result<bool, String> {
        let part = |text: &str| {
            let bytes = URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|e| format!("not base64url: {e}"))?;
            let bits = u32::try_from(bytes.len() * 8).map_err(|e| e.to_string())?;
            BoxedUint::from_be_slice(&bytes, bits).map_err(|e| format!("{e:?}"))
        };
        let public = PublicKey::new(part(&key.n)?, part(&key.e)?).map_err(|e| e.to_string())?;
        Ok(public.pkcs1v15_verify::<Sha256>(message, signature).is_ok())
    }
}
