//! What a log or an error response must never show: a configured secret, an Ed25519
//! signature, a JWT, or a delivery body.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Every leak in `text`: one of `secrets`, any 88-character base64 word that decodes to
/// 64 bytes (a signature), anything shaped like a JWT, any sign of a whole delivery body.
pub fn leaks(text: &str, secrets: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = secrets
        .iter()
        .filter(|secret| text.contains(**secret))
        .map(|secret| format!("the secret {secret}"))
        .collect();
    let signatures = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
        .filter(|word| word.len() == 88 && STANDARD.decode(word).is_ok_and(|b| b.len() == 64));
    found.extend(signatures.map(|s| format!("a signature {s}")));
    // A JWT (an Access token): three base64url parts, the first a JSON header.
    let jwts = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .filter(|word| {
            let parts: Vec<&str> = word.split('.').collect();
            parts.len() == 3 && parts[0].starts_with("eyJ") && parts.iter().all(|p| !p.is_empty())
        });
    found.extend(jwts.map(|jwt| format!("a JWT {}…", &jwt[..jwt.len().min(24)])));
    for body_marker in ["\"delivered_to\"", "\"payload\":{"] {
        if text.contains(body_marker) {
            found.push(format!("a delivery body ({body_marker})"));
        }
    }
    found
}
