//! RS256 through the runtime's WebCrypto (`crypto.subtle`), so RSA costs the bundle no
//! code. One small JavaScript function imports each key once per isolate (kept by what
//! it was imported from) and verifies: fewer bindings than calling `crypto.subtle` from
//! Rust piece by piece.

use js_sys::futures::JsFuture;
use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;

use super::js_error_text;
use crate::domain::access::Jwk;
use crate::ports::Rs256;

#[wasm_bindgen(inline_js = "
const imported = new Map();
const rs256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
export async function verifyRs256(n, e, message, signature) {
  const id = n + '.' + e;
  let key = imported.get(id);
  if (!key) {
    key = await crypto.subtle.importKey(
      'jwk', { kty: 'RSA', alg: 'RS256', n, e, ext: true }, rs256, false, ['verify']);
    imported.set(id, key);
  }
  return crypto.subtle.verify(rs256, key, signature, message);
}
")]
extern "C" {
    #[wasm_bindgen(js_name = verifyRs256)]
    fn verify_rs256(n: &str, e: &str, message: &[u8], signature: &[u8]) -> Promise;
}

pub struct WebCryptoRs256;

impl Rs256 for WebCryptoRs256 {
    async fn verify(&self, key: &Jwk, message: &[u8], signature: &[u8]) -> Result<bool, String> {
        let verified = JsFuture::from(verify_rs256(&key.n, &key.e, message, signature))
            .await
            .map_err(|e| js_error_text(&e))?;
        Ok(verified.as_bool() == Some(true))
    }
}
