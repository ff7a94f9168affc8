//! Signing deliveries the way Telnyx does: Ed25519 over `{timestamp}|{body}`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};

/// DEVELOPMENT ONLY. This private key is published in this repository, so anyone can
/// sign webhooks with it. Its public half is the local default in `.dev.vars.example`;
/// never configure that public key on a deployed worker.
pub const DEVELOPMENT_SEED: [u8; 32] = *b"telnyx-edge-development-key-0001";

/// The end-to-end suite's own key, distinct from the development key.
pub const END_TO_END_SEED: [u8; 32] = *b"telnyx-edge-end-to-end-test-0001";

/// A webhook signer holding one private key.
#[derive(Clone)]
pub struct WebhookSigner(SigningKey);

impl WebhookSigner {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&seed))
    }

    pub fn development() -> Self {
        Self::from_seed(DEVELOPMENT_SEED)
    }

    /// The public key as `TELNYX_PUBLIC_KEY` takes it.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.0.verifying_key().as_bytes())
    }

    /// The `telnyx-signature-ed25519` value for a body sent at `timestamp`.
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.push(b'|');
        message.extend_from_slice(body);
        self.sign_message(&message)
    }

    /// The base64 signature of exactly these bytes (for forging wrong messages).
    pub fn sign_message(&self, message: &[u8]) -> String {
        STANDARD.encode(self.0.sign(message).to_bytes())
    }

    /// Both signature headers for a body sent at `unix_secs`.
    pub fn headers(&self, unix_secs: i64, body: &[u8]) -> Vec<(String, String)> {
        let timestamp = unix_secs.to_string();
        signature_headers(&self.sign(&timestamp, body), &timestamp)
    }
}

/// The two signature headers with exactly these values (forged ones included).
pub fn signature_headers(signature: &str, timestamp: &str) -> Vec<(String, String)> {
    vec![
        ("telnyx-signature-ed25519".into(), signature.into()),
        ("telnyx-timestamp".into(), timestamp.into()),
    ]
}

/// Seconds since the Unix epoch, for signing against a real clock (native code only).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
