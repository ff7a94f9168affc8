//! RS256 through the runtime's WebCrypto (`crypto.subtle`, which `worker` does not
//! wrap), so RSA costs the bundle no code. Each key is imported once per isolate and
//! kept by what it was imported from.

use std::cell::RefCell;
use std::collections::HashMap;

use worker::js_sys::{Array, Promise, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{
    CryptoKey, JsonWebKey, RsaHashedImportParams, SubtleCrypto, WorkerGlobalScope,
};

use super::convert::error_text;
use crate::domain::access::Jwk;
use crate::ports::Rs256;

/// RSASSA-PKCS1-v1_5, the signature scheme of RS256.
const SCHEME: &str = "RSASSA-PKCS1-v1_5";

thread_local! {
    /// The keys imported so far, by their modulus and exponent.
    static IMPORTED: RefCell<HashMap<(String, String), CryptoKey>> = RefCell::default();
}

/// The text of a JavaScript error (or of whatever was thrown).
fn thrown(error: JsValue) -> String {
    error_text(&worker::Error::from(error))
}

fn subtle() -> Result<SubtleCrypto, String> {
    let global: WorkerGlobalScope = worker::js_sys::global().unchecked_into();
    Ok(global.crypto().map_err(thrown)?.subtle())
}

async fn settle(promise: Result<Promise, JsValue>) -> Result<JsValue, String> {
    JsFuture::from(promise.map_err(thrown)?)
        .await
        .map_err(thrown)
}

/// The key as a WebCrypto key for verifying, imported on first use.
async fn imported(subtle: &SubtleCrypto, key: &Jwk) -> Result<CryptoKey, String> {
    let id = (key.n.clone(), key.e.clone());
    if let Some(key) = IMPORTED.with(|imported| imported.borrow().get(&id).cloned()) {
        return Ok(key);
    }
    let jwk = JsonWebKey::new("RSA");
    jwk.set_alg("RS256");
    jwk.set_n(&key.n);
    jwk.set_e(&key.e);
    jwk.set_ext(true);
    let algorithm = RsaHashedImportParams::new_with_str("SHA-256");
    // web-sys leaves out the `name` that the dictionary inherits from `Algorithm`.
    Reflect::set(
        &algorithm,
        &JsValue::from_str("name"),
        &JsValue::from_str(SCHEME),
    )
    .map_err(thrown)?;
    let usages = Array::of1(&JsValue::from_str("verify"));
    let imported: CryptoKey =
        settle(subtle.import_key_with_object("jwk", &jwk, &algorithm, false, &usages))
            .await?
            .dyn_into()
            .map_err(thrown)?;
    IMPORTED.with(|keys| keys.borrow_mut().insert(id, imported.clone()));
    Ok(imported)
}

pub struct WebCryptoRs256;

impl Rs256 for WebCryptoRs256 {
    async fn verify(&self, key: &Jwk, message: &[u8], signature: &[u8]) -> Result<bool, String> {
        let subtle = subtle()?;
        let key = imported(&subtle, key).await?;
        let verified = settle(
            subtle.verify_with_str_and_u8_array_and_u8_array(SCHEME, &key, signature, message),
        )
        .await?;
        Ok(verified.as_bool() == Some(true))
    }
}
