//! A corpus of hostile and broken requests: forged and replayed deliveries, timestamp
//! edge values, odd headers and bodies, unauthorised operator calls and call ids that
//! try to leave their path segment. Each case names the status and error code the
//! interface documents for it; none may store anything or reach Telnyx. The pipeline
//! tests run every case, the end-to-end suite every case marked `end_to_end`.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

use super::access::{claims, encode, header as access_header, TestKey};
use super::deliveries::{self, occurred_at, Delivery};
use telnyx_edge::simulator::signing::{signature_headers, WebhookSigner};

/// The call every forged delivery claims to be about; it must stay unknown.
pub const HOSTILE_CALL: &str = "v3:hostile-call-0001";

const MAX_BODY_BYTES: usize = 256 * 1024;

/// One request, as bytes on the wire would carry it.
#[derive(Clone, Debug)]
pub struct HostileRequest {
    pub method: &'static str,
    /// Path and query, sent as written (no normalisation on the way).
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HostileRequest {
    /// The path and the query as the edge hands them to the pipeline.
    pub fn path_and_query(&self) -> (&str, &str) {
        self.target
            .split_once('?')
            .unwrap_or((self.target.as_str(), ""))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// This status and error code, nothing stored, nothing sent.
    Refused { status: u16, code: &'static str },
    /// `200 duplicate`: a replay of what was already accepted, nothing stored again.
    Duplicate,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub request: HostileRequest,
    pub expect: Expect,
    /// False for cases named `native only: …`, which an HTTP stack would change before
    /// the worker saw them (outer whitespace in header values is trimmed, non-ASCII
    /// values are refused).
    pub end_to_end: bool,
}

/// What the corpus is built against.
pub struct Corpus<'a> {
    /// The key the worker trusts.
    pub signer: &'a WebhookSigner,
    /// The worker's clock, Unix seconds.
    pub now: i64,
    /// A call the worker knows: [`Corpus::genuine`] was accepted for it.
    pub call: &'a str,
    pub admin_token: &'a str,
    /// The key the worker's Cloudflare Access set holds, when Access is configured
    /// (team [`super::access::TEAM`], application [`super::access::AUD`]): forged and
    /// broken Access tokens join the corpus.
    pub access: Option<&'a TestKey>,
}

const fn refused(status: u16, code: &'static str) -> Expect {
    Expect::Refused { status, code }
}

const INVALID_SIGNATURE: Expect = refused(401, "invalid_signature");
const MALFORMED_SIGNATURE: Expect = refused(401, "malformed_signature");
const MALFORMED_TIMESTAMP: Expect = refused(401, "malformed_timestamp");
const OUTSIDE_WINDOW: Expect = refused(401, "timestamp_outside_window");
const NOT_AN_ENVELOPE: Expect = refused(400, "invalid_envelope");
const UNAUTHORIZED: Expect = refused(401, "unauthorized");

/// ℓ, the order of the Ed25519 base point, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The same signature with `S + ℓ` for `S`: the classic malleation, valid under a
/// lenient check, refused by a strict one.
fn malleated(signature: &str) -> String {
    let mut bytes = STANDARD.decode(signature).expect("a signature of ours");
    let mut carry = 0u16;
    for (byte, add) in bytes[32..].iter_mut().zip(GROUP_ORDER) {
        let sum = u16::from(*byte) + u16::from(add) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    STANDARD.encode(bytes)
}

fn header(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

fn json_bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

impl Corpus<'_> {
    /// The delivery that makes [`Corpus::call`] known; send it before the cases.
    pub fn genuine(&self) -> HostileRequest {
        let body = json_bytes(&deliveries::body(&Delivery {
            event_type: "call.answered",
            event_id: &format!("{}-genuine", self.call),
            call_control_id: self.call,
            occurred_at: &occurred_at(1),
        }));
        self.post_webhook(self.signer.headers(self.now, &body), body)
    }

    /// A well-formed delivery about [`HOSTILE_CALL`], with its own event id.
    fn forged_body(&self, tag: &str) -> Vec<u8> {
        json_bytes(&deliveries::body(&Delivery {
            event_type: "call.hangup",
            event_id: &format!("hostile-{tag}"),
            call_control_id: HOSTILE_CALL,
            occurred_at: &occurred_at(9),
        }))
    }

    fn post_webhook(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> HostileRequest {
        HostileRequest {
            method: "POST",
            target: "/webhooks/telnyx".into(),
            headers,
            body,
        }
    }

    fn signed(&self, body: &[u8]) -> Vec<(String, String)> {
        self.signer.headers(self.now, body)
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.admin_token)
    }

    pub fn cases(&self) -> Vec<Case> {
        let mut cases = Vec::new();
        let mut add = |name: &str, request: HostileRequest, expect: Expect| {
            cases.push(Case {
                name: name.to_owned(),
                request,
                expect,
                end_to_end: true,
            });
        };
        self.forgeries(&mut add);
        self.replays_and_timestamps(&mut add);
        self.headers(&mut add);
        self.bodies(&mut add);
        self.operator(&mut add);
        self.call_ids(&mut add);
        self.dials(&mut add);
        if let Some(key) = self.access {
            self.access_tokens(key, &mut add);
        }
        for case in &mut cases {
            case.end_to_end = !case.name.contains("native only:");
        }
        cases
    }

    fn forgeries(&self, add: &mut impl FnMut(&str, HostileRequest, Expect)) {
        let now = self.now.to_string();
        let body = self.forged_body("forgery");
        let genuine = self.signer.sign(&now, &body);
        let raw = STANDARD.decode(&genuine).expect("our own signature");
        let webhook = |signature: &str, body: &[u8]| {
            self.post_webhook(signature_headers(signature, &now), body.to_vec())
        };
        let stranger = WebhookSigner::from_seed([0x66; 32]);
        add(
            "signed by a key the worker does not trust",
            self.post_webhook(stranger.headers(self.now, &body), body.clone()),
            INVALID_SIGNATURE,
        );
        let other = self.forged_body("forgery-other");
        add(
            "a genuine signature of another body",
            webhook(&self.signer.sign(&now, &other), &body),
            INVALID_SIGNATURE,
        );
        let mut tampered = body.clone();
        let last_digit = tampered.iter().rposition(u8::is_ascii_digit).unwrap_or(0);
        tampered[last_digit] = if tampered[last_digit] == b'9' {
            b'8'
        } else {
            b'9'
        };
        add(
            "one byte of the body changed after signing",
            webhook(&genuine, &tampered),
            INVALID_SIGNATURE,
        );
        let parsed: Value = serde_json::from_slice(&body).expect("our own JSON");
        add(
            "the body re-serialised (pretty) after signing",
            webhook(
                &genuine,
                &serde_json::to_vec_pretty(&parsed).expect("serialisable"),
            ),
            INVALID_SIGNATURE,
        );
        add(
            "a space appended to the signed body",
            webhook(&genuine, &[body.as_slice(), b" "].concat()),
            INVALID_SIGNATURE,
        );
        add(
            "the signature's S replaced by S + l (malleated)",
            webhook(&malleated(&genuine), &body),
            INVALID_SIGNATURE,
        );
        let mut flipped = raw.clone();
        flipped[0] ^= 0x01;
        add(
            "one bit of the signature flipped",
            webhook(&STANDARD.encode(&flipped), &body),
            INVALID_SIGNATURE,
        );
        add(
            "a signature of 64 zero bytes",
            webhook(&STANDARD.encode([0u8; 64]), &body),
            INVALID_SIGNATURE,
        );
        add(
            "the signature truncated to 63 bytes",
            webhook(&STANDARD.encode(&raw[..63]), &body),
            MALFORMED_SIGNATURE,
        );
        add(
            "the signature extended to 65 bytes",
            webhook(&STANDARD.encode([raw.as_slice(), &[0]].concat()), &body),
            MALFORMED_SIGNATURE,
        );
        add(
            "the signature's base64 cut short",
            webhook(&genuine[..genuine.len() - 4], &body),
            MALFORMED_SIGNATURE,
        );
        add(
            "the signature re-encoded without padding",
            webhook(&STANDARD_NO_PAD.encode(&raw), &body),
            MALFORMED_SIGNATURE,
        );
        add(
            "the signature re-encoded as hex",
            webhook(
                &raw.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                &body,
            ),
            MALFORMED_SIGNATURE,
        );
        // Pick a body whose signature's base64 has a `+` or `/`, so the URL-safe
        // alphabet really spells it differently.
        let (url_body, url_signature) = (0..64)
            .map(|n| {
                let body = self.forged_body(&format!("forgery-url-{n}"));
                let signature = self.signer.sign(&now, &body);
                (body, signature)
            })
            .find(|(_, signature)| signature.contains(['+', '/']))
            .expect("some signature has + or /");
        let url_raw = STANDARD.decode(&url_signature).expect("ours");
        add(
            "the signature re-encoded in the URL-safe alphabet",
            webhook(&URL_SAFE.encode(url_raw), &url_body),
            MALFORMED_SIGNATURE,
        );
        add(
            "a signature that is not base64",
            webhook("%%%not-base64%%%", &body),
            MALFORMED_SIGNATURE,
        );
        add(
            "an empty signature",
            webhook("", &body),
            MALFORMED_SIGNATURE,
        );
        add(
            "a space inside the signature",
            webhook(&format!("{} {}", &genuine[..44], &genuine[44..]), &body),
            MALFORMED_SIGNATURE,
        );
        add(
            "the public key sent as the signature",
            webhook(&self.signer.public_key_base64(), &body),
            MALFORMED_SIGNATURE,
        );
        let bare = self.signer.sign_message(&body);
        add(
            "a signature over the body alone, without the timestamp",
            webhook(&bare, &body),
            INVALID_SIGNATURE,
        );
        let dotted = {
            let mut message = format!("{now}.").into_bytes();
            message.extend_from_slice(&body);
            self.signer.sign_message(&message)
        };
        add(
            "a signature over timestamp.body (wrong separator)",
            webhook(&dotted, &body),
            INVALID_SIGNATURE,
        );
    }

    fn replays_and_timestamps(&self, add: &mut impl FnMut(&str, HostileRequest, Expect)) {
        let genuine = self.genuine();
        add(
            "the accepted delivery replayed as it was",
            genuine.clone(),
            Expect::Duplicate,
        );
        let mut retried: Value = serde_json::from_slice(&genuine.body).expect("ours");
        retried["meta"]["attempt"] = json!(2);
        let retried = json_bytes(&retried);
        add(
            "the accepted event replayed, freshly signed",
            self.post_webhook(self.signed(&retried), retried.clone()),
            Expect::Duplicate,
        );
        let stale = self.now - 301;
        add(
            "the accepted event replayed, signed 301 s ago",
            self.post_webhook(self.signer.headers(stale, &retried), retried.clone()),
            OUTSIDE_WINDOW,
        );
        let body = self.forged_body("timestamp");
        let at =
            |timestamp: i64| self.post_webhook(self.signer.headers(timestamp, &body), body.clone());
        add(
            "a new event signed 301 s ago",
            at(self.now - 301),
            OUTSIDE_WINDOW,
        );
        // Six minutes, not 301 s: the end-to-end clock moves on while the cases run.
        add(
            "a new event signed 6 minutes ahead",
            at(self.now + 360),
            OUTSIDE_WINDOW,
        );
        add(
            "a new event signed a day ahead",
            at(self.now + 86_400),
            OUTSIDE_WINDOW,
        );
        add("timestamp 0", at(0), OUTSIDE_WINDOW);
        add("timestamp i64::MAX", at(i64::MAX), OUTSIDE_WINDOW);
        // Signed over the odd text itself, so only the timestamp rule can refuse it.
        let texts: [(&str, String, Expect); 14] = [
            ("timestamp -1", "-1".into(), MALFORMED_TIMESTAMP),
            (
                "a negative timestamp",
                format!("-{}", self.now),
                MALFORMED_TIMESTAMP,
            ),
            (
                "timestamp i64::MAX + 1",
                "9223372036854775808".into(),
                MALFORMED_TIMESTAMP,
            ),
            (
                "timestamp u64::MAX + 1",
                "18446744073709551616".into(),
                MALFORMED_TIMESTAMP,
            ),
            ("a 40-digit timestamp", "9".repeat(40), MALFORMED_TIMESTAMP),
            (
                "a fractional timestamp",
                format!("{}.0", self.now),
                MALFORMED_TIMESTAMP,
            ),
            (
                "an exponent timestamp",
                "1.7579e9".into(),
                MALFORMED_TIMESTAMP,
            ),
            (
                "a leading + on the timestamp",
                format!("+{}", self.now),
                MALFORMED_TIMESTAMP,
            ),
            (
                "a hexadecimal timestamp",
                format!("0x{:x}", self.now),
                MALFORMED_TIMESTAMP,
            ),
            (
                "a space inside the timestamp",
                {
                    let now = self.now.to_string();
                    format!("{} {}", &now[..4], &now[4..])
                },
                MALFORMED_TIMESTAMP,
            ),
            ("an empty timestamp", String::new(), MALFORMED_TIMESTAMP),
            (
                "native only: a leading space on the timestamp",
                format!(" {}", self.now),
                MALFORMED_TIMESTAMP,
            ),
            (
                "native only: a trailing tab on the timestamp",
                format!("{}\t", self.now),
                MALFORMED_TIMESTAMP,
            ),
            (
                "native only: the timestamp in Arabic-Indic digits",
                "١٧٥٧٩٤٤٩٣١".into(),
                MALFORMED_TIMESTAMP,
            ),
        ];
        for (name, text, expect) in texts {
            let signature = self.signer.sign(&text, &body);
            add(
                name,
                self.post_webhook(signature_headers(&signature, &text), body.clone()),
                expect,
            );
        }
        let now = self.now.to_string();
        let signature = self.signer.sign(&now, &body);
        add(
            "leading zeros added to a signed timestamp",
            self.post_webhook(
                signature_headers(&signature, &format!("00{now}")),
                body.clone(),
            ),
            INVALID_SIGNATURE,
        );
        let earlier = self.signer.sign(&(self.now - 1).to_string(), &body);
        add(
            "a signature made for another timestamp",
            self.post_webhook(signature_headers(&earlier, &now), body.clone()),
            INVALID_SIGNATURE,
        );
    }

    fn headers(&self, add: &mut impl FnMut(&str, HostileRequest, Expect)) {
        let body = self.forged_body("headers");
        let now = self.now.to_string();
        let signature = self.signer.sign(&now, &body);
        let with = |headers: Vec<(String, String)>| self.post_webhook(headers, body.clone());
        add(
            "no signature header",
            with(vec![header("telnyx-timestamp", &now)]),
            refused(401, "missing_signature"),
        );
        add(
            "no timestamp header",
            with(vec![header("telnyx-signature-ed25519", &signature)]),
            refused(401, "missing_timestamp"),
        );
        add(
            "neither header",
            with(vec![header("content-type", "application/json")]),
            refused(401, "missing_signature"),
        );
        add(
            "the signature under a look-alike name",
            with(vec![
                header("telnyx-signature", &signature),
                header("telnyx-timestamp", &now),
            ]),
            refused(401, "missing_signature"),
        );
        add(
            "the timestamp under a look-alike name",
            with(vec![
                header("telnyx-signature-ed25519", &signature),
                header("x-telnyx-timestamp", &now),
            ]),
            refused(401, "missing_timestamp"),
        );
        let mut twice = signature_headers(&signature, &now);
        twice.push(header("Telnyx-Timestamp", &now));
        add(
            "the timestamp header twice, same value",
            with(twice),
            MALFORMED_TIMESTAMP,
        );
        let mut twice = signature_headers(&signature, &now);
        twice.push(header("telnyx-timestamp", &(self.now - 1).to_string()));
        add(
            "the timestamp header twice, two values",
            with(twice),
            MALFORMED_TIMESTAMP,
        );
        let mut twice = signature_headers(&signature, &now);
        twice.insert(
            0,
            header("telnyx-signature-ed25519", &STANDARD.encode([1u8; 64])),
        );
        add(
            "a forged signature header before the genuine one",
            with(twice),
            MALFORMED_SIGNATURE,
        );
        let mut twice = signature_headers(&signature, &now);
        twice.push(header("TELNYX-SIGNATURE-ED25519", &signature));
        add(
            "the signature header twice, same value",
            with(twice),
            MALFORMED_SIGNATURE,
        );
        let stranger = WebhookSigner::from_seed([0x67; 32]);
        let shouted = stranger
            .headers(self.now, &body)
            .into_iter()
            .map(|(name, value)| (name.to_uppercase(), value))
            .collect();
        add(
            "upper-case header names, a stranger's signature",
            with(shouted),
            INVALID_SIGNATURE,
        );
    }

    fn bodies(&self, add: &mut impl FnMut(&str, HostileRequest, Expect)) {
        let signed = |body: Vec<u8>| self.post_webhook(self.signed(&body), body);
        let with_type = |body: Vec<u8>, content_type: &str| {
            let mut request = signed(body);
            request.headers.push(header("content-type", content_type));
            request
        };
        add("an empty body, signed", signed(Vec::new()), NOT_AN_ENVELOPE);
        add(
            "an empty body, unsigned",
            self.post_webhook(Vec::new(), Vec::new()),
            refused(401, "missing_signature"),
        );
        add(
            "invalid UTF-8, signed",
            signed(b"{\"data\":\xff\xfe}".to_vec()),
            NOT_AN_ENVELOPE,
        );
        add(
            "a byte-order mark before the JSON, signed",
            signed([b"\xef\xbb\xbf".as_slice(), &self.forged_body("bom")].concat()),
            NOT_AN_ENVELOPE,
        );
        for (name, text) in [
            ("a JSON array, signed", "[]"),
            ("a JSON string, signed", "\"call.answered\""),
            ("JSON null, signed", "null"),
            ("a JSON number, signed", "42"),
            ("JSON true, signed", "true"),
            ("a JSON object with no data, signed", "{\"meta\":{}}"),
        ] {
            add(name, signed(text.as_bytes().to_vec()), NOT_AN_ENVELOPE);
        }
        add(
            "trailing bytes after the JSON, signed",
            signed([self.forged_body("trailing").as_slice(), b"}"].concat()),
            NOT_AN_ENVELOPE,
        );
        add(
            "100 000 nested arrays, signed",
            signed([b"[".repeat(100_000), b"]".repeat(100_000)].concat()),
            NOT_AN_ENVELOPE,
        );
        add(
            "40 000 nested objects, signed",
            signed(
                [
                    b"{\"a\":".repeat(40_000),
                    b"1".to_vec(),
                    b"}".repeat(40_000),
                ]
                .concat(),
            ),
            NOT_AN_ENVELOPE,
        );
        let mut deep: Value = serde_json::from_slice(&self.forged_body("deep")).expect("ours");
        let mut nested = json!(1);
        for _ in 0..200 {
            nested = json!([nested]);
        }
        deep["data"]["payload"]["custom_headers"] = nested;
        add(
            "a payload nested 200 deep, signed",
            signed(json_bytes(&deep)),
            NOT_AN_ENVELOPE,
        );
        let oversized = {
            let mut value: Value = serde_json::from_slice(&self.forged_body("big")).expect("ours");
            value["data"]["payload"]["padding"] = json!("x".repeat(MAX_BODY_BYTES));
            json_bytes(&value)
        };
        add(
            "a body over 256 KiB, signed",
            signed(oversized.clone()),
            refused(413, "payload_too_large"),
        );
        add(
            "a body over 256 KiB, unsigned",
            self.post_webhook(Vec::new(), vec![b' '; MAX_BODY_BYTES + 1]),
            refused(413, "payload_too_large"),
        );
        add(
            "text/plain that is not an envelope, signed",
            with_type(b"hello".to_vec(), "text/plain"),
            NOT_AN_ENVELOPE,
        );
        add(
            "a form post, signed",
            with_type(
                b"data[id]=x&data[event_type]=call.hangup".to_vec(),
                "application/x-www-form-urlencoded",
            ),
            NOT_AN_ENVELOPE,
        );
        let forged = self.forged_body("content-type");
        let mut no_type = self.post_webhook(
            WebhookSigner::from_seed([0x68; 32]).headers(self.now, &forged),
            forged.clone(),
        );
        no_type.headers.retain(|(name, _)| name != "content-type");
        add(
            "no content-type, a stranger's signature",
            no_type,
            INVALID_SIGNATURE,
        );
        let mut multipart = self.post_webhook(Vec::new(), forged);
        multipart
            .headers
            .push(header("content-type", "multipart/form-data; boundary=x"));
        add(
            "multipart/form-data, unsigned",
            multipart,
            refused(401, "missing_signature"),
        );

        let envelope = |tag: &str, change: &dyn Fn(&mut Value)| {
            let mut value: Value = serde_json::from_slice(&self.forged_body(tag)).expect("ours");
            change(&mut value);
            signed(json_bytes(&value))
        };
        type Change<'a> = &'a dyn Fn(&mut Value);
        let cases: [(&str, Change); 17] = [
            ("data.id missing", &|v| deliveries::remove(v, "/data/id")),
            ("data.event_type missing", &|v| {
                deliveries::remove(v, "/data/event_type")
            }),
            ("payload.call_control_id missing", &|v| {
                deliveries::remove(v, "/data/payload/call_control_id")
            }),
            ("data.payload missing from a call event", &|v| {
                deliveries::remove(v, "/data/payload")
            }),
            ("data.id a number", &|v| v["data"]["id"] = json!(42)),
            ("data.id null", &|v| v["data"]["id"] = Value::Null),
            ("data.id empty", &|v| v["data"]["id"] = json!("")),
            ("data.id an object", &|v| {
                v["data"]["id"] = json!({"id": "x"})
            }),
            ("data.id 101 bytes long", &|v| {
                v["data"]["id"] = json!("i".repeat(101))
            }),
            ("data.event_type a list", &|v| {
                v["data"]["event_type"] = json!(["call.hangup"])
            }),
            ("data a string", &|v| v["data"] = json!("call.hangup")),
            ("data.payload a list", &|v| v["data"]["payload"] = json!([])),
            ("payload.call_control_id a number", &|v| {
                v["data"]["payload"]["call_control_id"] = json!(123)
            }),
            ("payload.call_control_id escaping a path", &|v| {
                v["data"]["payload"]["call_control_id"] = json!("v3:../../health")
            }),
            ("payload.call_control_id with a space and unicode", &|v| {
                v["data"]["payload"]["call_control_id"] = json!("v3:a b\u{202e}")
            }),
            ("data.occurred_at not a time", &|v| {
                v["data"]["occurred_at"] = json!("yesterday")
            }),
            ("data.occurred_at a number", &|v| {
                v["data"]["occurred_at"] = json!(1_757_944_931)
            }),
        ];
        for (n, (name, change)) in cases.into_iter().enumerate() {
            add(
                &format!("{name}, signed"),
                envelope(&format!("envelope-{n}"), change),
                NOT_AN_ENVELOPE,
            );
        }
    }

    fn operator(&self, add: &mut impl FnMut(&str, HostileRequest, Expect)) {
        let state = format!("/calls/{}", self.call);
        let hangup = format!("/calls/{}/actions/hangup", self.call);
        let request =
            |method: &'static str, target: &str, headers: Vec<(String, String)>| HostileRequest {
                method,
                target: target.to_owned(),
                headers,
                body: b"{}".to_vec(),
            };
        let authorization = |value: &str| vec![header("authorization", value)];
        let token = self.admin_token;
        add(
            "call state with no token",
            request("GET", &state, Vec::new()),
            UNAUTHORIZED,
        );
        add(
            "an action with no token",
            request("POST", &hangup, Vec::new()),
            UNAUTHORIZED,
        );
        add(
            "client_state_update (PUT) with no token",
            request(
                "PUT",
                &format!("/calls/{}/actions/client_state_update", self.call),
                Vec::new(),
            ),
            UNAUTHORIZED,
        );
        for (name, value) in [
            ("a wrong token", "Bearer not-the-token".to_owned()),
            (
                "the token in upper case",
                format!("Bearer {}", token.to_uppercase()),
            ),
            (
                "the token with its last character dropped",
                format!("Bearer {}", &token[..token.len() - 1]),
            ),
            (
                "the token with a character added",
                format!("Bearer {token}x"),
            ),
            ("two spaces after Bearer", format!("Bearer  {token}")),
            ("a tab after Bearer", format!("Bearer\t{token}")),
            ("the token without the Bearer scheme", token.to_owned()),
            (
                "the token as Basic credentials",
                format!("Basic {}", STANDARD.encode(format!("admin:{token}"))),
            ),
            ("Bearer with no token", "Bearer".to_owned()),
            (
                "native only: a trailing space after the token",
                format!("Bearer {token} "),
            ),
        ] {
            add(
                &format!("an action with {name}"),
                request("POST", &hangup, authorization(&value)),
                UNAUTHORIZED,
            );
        }
        let mut twice = authorization("Bearer not-the-token");
        twice.push(header("authorization", &self.bearer()));
        add(
            "two authorization headers, a wrong one first",
            request("POST", &hangup, twice),
            UNAUTHORIZED,
        );
        add(
            "the token in the query string (token=)",
            request("GET", &format!("{state}?token={token}"), Vec::new()),
            UNAUTHORIZED,
        );
        add(
            "the token in the query string (access_token=)",
            request(
                "POST",
                &format!("{hangup}?access_token={token}"),
                Vec::new(),
            ),
            UNAUTHORIZED,
        );
        add(
            "the token in a cookie",
            request(
                "GET",
                &state,
                vec![header("cookie", &format!("token={token}"))],
            ),
            UNAUTHORIZED,
        );
        add(
            "the token in a custom header",
            request("GET", &state, vec![header("x-admin-token", token)]),
            UNAUTHORIZED,
        );
    }

    /// Access tokens that must sign nobody in, each refused by the check it fails.
    fn access_tokens(&self, key: &TestKey, add: &mut impl FnMut(&str, HostileRequest, Expect)) {
        let with = |change: Value| {
            let mut claims = claims("mallory@example.com", self.now);
            for (name, value) in change.as_object().into_iter().flatten() {
                claims[name] = value.clone();
            }
            key.token(&access_header(key.kid), &claims)
        };
        let valid = key.valid("mallory@example.com", self.now);
        let (signed, signature) = valid.rsplit_once('.').unwrap_or_default();
        let payload = signed.split('.').nth(1).unwrap_or_default();
        let sig_bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
        let mut other = claims("mallory@example.com", self.now);
        other["email"] = json!("root@example.com");
        let head = signed.split('.').next().unwrap_or_default();
        let hs256 = format!(
            "{}.{payload}.{}",
            encode(&json!({"alg": "HS256", "kid": key.kid})),
            URL_SAFE_NO_PAD.encode([7u8; 32])
        );
        let tokens = [
            (
                "an expired Access token",
                with(json!({"exp": self.now - 61})),
                "access_token_expired",
            ),
            (
                "a not yet valid Access token",
                with(json!({"nbf": self.now + 61})),
                "access_token_not_yet_valid",
            ),
            (
                "an Access token for another application",
                with(json!({"aud": ["another-app"]})),
                "access_token_audience",
            ),
            (
                "an Access token of another team",
                with(json!({"iss": "https://evil.cloudflareaccess.com"})),
                "access_token_issuer",
            ),
            (
                "an Access token naming an unknown key",
                key.token(
                    &access_header("made-up-kid"),
                    &claims("m@example.com", self.now),
                ),
                "access_token_unknown_key",
            ),
            (
                "an Access token with alg none",
                format!(
                    "{}.{payload}.",
                    encode(&json!({"alg": "none", "kid": key.kid}))
                ),
                "access_token_algorithm",
            ),
            (
                "an Access token HS256-signed",
                hs256,
                "access_token_algorithm",
            ),
            (
                "an Access token with a tampered payload",
                format!("{head}.{}.{signature}", encode(&other)),
                "access_token_signature",
            ),
            (
                "an Access token with half its signature",
                format!(
                    "{signed}.{}",
                    URL_SAFE_NO_PAD.encode(&sig_bytes[..sig_bytes.len() / 2])
                ),
                "access_token_signature",
            ),
            (
                "an Access header that is no JWT",
                "Bearer abc".to_owned(),
                "access_token_malformed",
            ),
            (
                "native only: a 100 KiB Access header",
                "e".repeat(100 * 1024),
                "access_token_too_large",
            ),
        ];
        for (name, token, code) in tokens {
            add(
                name,
                HostileRequest {
                    method: "POST",
                    target: format!("/calls/{}/actions/hangup", self.call),
                    headers: vec![header("cf-access-jwt-assertion", &token)],
                    body: b"{}".to_vec(),
                },
                refused(401, code),
            );
        }
        add(
            "an Access identity header with no token",
            HostileRequest {
                method: "GET",
                target: format!("/calls/{}", self.call),
                headers: vec![header(
                    "cf-access-authenticated-user-email",
                    "admin@example.com",
                )],
                body: Vec::new(),
            },
            UNAUTHORIZED,
        );
    }

    /// Dials and supervises that must send nothing: ids outside Telnyx's alphabet, empty
    /// and huge destination lists, a 100 KiB SIP header, and the hostile call (unknown).
    fn dials(&self, add: &mut impl FnMut(&str, HostileRequest, Expect)) {
        let post = |target: String, body: Value| HostileRequest {
            method: "POST",
            target,
            headers: vec![header("authorization", &self.bearer())],
            body: body.to_string().into_bytes(),
        };
        let dial = |extra: Value| {
            let mut body = json!({"to": "+13125550100", "from": "+13125550199",
                "connection_id": "hostile-connection"});
            for (key, value) in extra.as_object().into_iter().flatten() {
                body[key] = value.clone();
            }
            post("/calls".into(), body)
        };
        let invalid = refused(422, "invalid_parameter");
        let many: Vec<String> = (0..1000).map(|n| format!("+1312555{n:04}")).collect();
        for (name, extra) in [
            (
                "a supervise_call_control_id that leaves its path segment",
                json!({"supervise_call_control_id": "v3:../../health"}),
            ),
            (
                "a supervise_call_control_id with a NUL byte",
                json!({"supervise_call_control_id": "v3:abc\u{0}"}),
            ),
            ("a link_to with a space", json!({"link_to": "v3:a b"})),
            (
                "a link_to of 200 characters",
                json!({"link_to": "v".repeat(200)}),
            ),
            ("an empty to list", json!({"to": []})),
            ("a to list of 1,000 numbers", json!({"to": many})),
            (
                "a 100 KiB custom_headers value",
                json!({"custom_headers": [{"name": "X-Big", "value": "x".repeat(100 * 1024)}]}),
            ),
        ] {
            add(&format!("a Dial with {name}"), dial(extra), invalid);
        }
        add(
            "a Dial whose body is not JSON",
            HostileRequest {
                body: b"{\"to\":".to_vec(),
                ..dial(json!({}))
            },
            refused(400, "invalid_json"),
        );
        add(
            "a Dial with no token",
            HostileRequest {
                headers: Vec::new(),
                ..dial(json!({}))
            },
            UNAUTHORIZED,
        );
        let supervise = format!("/calls/{HOSTILE_CALL}/supervise");
        add(
            "a supervise of a call never seen",
            post(
                supervise.clone(),
                json!({"to": "sip:sup@pbx.example.com", "role": "monitor"}),
            ),
            refused(404, "call_not_found"),
        );
        add(
            "a supervise with a role that is none",
            post(
                supervise.clone(),
                json!({"to": "sip:sup@pbx.example.com", "role": "listen"}),
            ),
            invalid,
        );
        add(
            "a supervise with no address",
            post(supervise, json!({"role": "monitor"})),
            invalid,
        );
    }

    fn call_ids(&self, add: &mut impl FnMut(&str, HostileRequest, Expect)) {
        let authorised = |method: &'static str, target: String| HostileRequest {
            method,
            target,
            headers: vec![header("authorization", &self.bearer())],
            body: b"{}".to_vec(),
        };
        let not_a_route = refused(404, "not_found");
        let invalid = refused(404, "invalid_call_control_id");
        for (name, segment, expect) in [
            ("a literal ../", "..", not_a_route),
            ("an encoded ../ (%2E%2E)", "%2E%2E", not_a_route),
            ("a half-encoded ../ (.%2e)", ".%2e", not_a_route),
            (
                "an encoded slash and dot segments",
                "v3%3Aabc%2F..%2F..%2Fhealth",
                invalid,
            ),
            ("an encoded question mark", "abc%3Fx%3D1", invalid),
            ("an encoded hash", "abc%23frag", invalid),
            ("an encoded space", "abc%20def", invalid),
            ("a right-to-left override", "%E2%80%AEabc", invalid),
            ("a non-ASCII letter", "caf%C3%A9", invalid),
            ("a NUL byte", "abc%00", invalid),
            ("a double-encoded slash", "abc%252Fdef", invalid),
            ("an absolute URL", "https:%2F%2Fevil.example%2Fv2", invalid),
            ("an authority (@host)", "%40evil.example", invalid),
            ("an invalid UTF-8 escape", "%FF%FE", invalid),
            ("a backslash", "abc%5C..%5Cdef", invalid),
        ] {
            add(
                &format!("an action on a call id with {name}"),
                authorised("POST", format!("/calls/{segment}/actions/hangup")),
                expect,
            );
        }
        add(
            "call state for an id with an encoded slash",
            authorised("GET", "/calls/v3%3Aabc%2Fdef".into()),
            invalid,
        );
        add(
            "an action name carrying encoded dot segments",
            authorised(
                "POST",
                format!("/calls/{}/actions/hangup%2F..%2F..%2Fbridge", self.call),
            ),
            refused(404, "unknown_action"),
        );
        add(
            "an action name that is a dot segment",
            authorised("POST", format!("/calls/{}/actions/..%2Fhangup", self.call)),
            refused(404, "unknown_action"),
        );
    }
}
