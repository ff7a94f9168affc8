//! Who an operator request is from: the shared `ADMIN_TOKEN`, or a Cloudflare Access JWT
//! in `Cf-Access-Jwt-Assertion`, verified here (never any other header). The team's
//! signing keys are fetched from `{ACCESS_TEAM_DOMAIN}/cdn-cgi/access/certs` and kept
//! per isolate ([`super::access_keys::AccessKeys`] says for how long).

use super::App;
use crate::domain::access::{AccessConfig, Jwk, Refusal, Token};
use crate::domain::auth::{bearer_matches, Operator};
use crate::domain::problem::Problem;
use crate::ports::http::{Request, Response};
use crate::ports::{Clock, HttpClient, HttpError, HttpRequest, LogLine, Logger, Ports, Rs256};

/// The header Access adds to each request that passed its login.
pub const ACCESS_HEADER: &str = "cf-access-jwt-assertion";
/// How long a fetch of the keys may take.
const FETCH_TIMEOUT_MS: u64 = 5_000;
/// How often a request that needs the keys another request is fetching looks again.
const FETCH_WAIT_TICK_MS: u64 = 20;

/// What checking an operator request found.
enum Checked {
    Operator(Operator),
    Refused(Refusal),
    /// No key could be fetched and none is held.
    Unavailable,
}

impl<P: Ports> App<'_, P> {
    /// The operator API's check: the admin token, or a verified Access JWT.
    pub(super) async fn authorize(&self, request: &Request) -> Result<Operator, Response> {
        let access = self.config.access.as_ref().ok().and_then(Option::as_ref);
        if self.config.admin_token.is_none() && access.is_none() {
            let detail = match &self.config.access {
                Err(unusable) => {
                    format!("the operator API is disabled: {unusable}; or set ADMIN_TOKEN")
                }
                Ok(_) => "the operator API is disabled: set ADMIN_TOKEN, or \
                          ACCESS_TEAM_DOMAIN and ACCESS_AUD"
                    .to_owned(),
            };
            return Err(Problem::new(503, "admin_token_missing", detail).into());
        }
        let authorization = request.header("authorization").unwrap_or(None);
        if let Some(token) = &self.config.admin_token {
            if bearer_matches(authorization, token) {
                return Ok(Operator::admin_token());
            }
        }
        let assertion = request.header(ACCESS_HEADER);
        let checked = match (access, assertion) {
            (Some(access), Ok(Some(jwt))) => self.check_access(access, jwt).await,
            (Some(_), Err(_)) => Checked::Refused(Refusal::Malformed),
            _ => {
                let how = if access.is_some() {
                    "sign in through Cloudflare Access, or send Authorization: Bearer \
                     <ADMIN_TOKEN>"
                } else {
                    "send Authorization: Bearer <ADMIN_TOKEN>"
                };
                return Err(Response::from(Problem::new(401, "unauthorized", how))
                    .with_header("www-authenticate", "Bearer"));
            }
        };
        match checked {
            Checked::Operator(operator) => Ok(operator),
            Checked::Refused(refusal) => {
                self.log.log(LogLine {
                    level: "warn",
                    msg: "access",
                    outcome: Some("rejected"),
                    status: Some(401),
                    detail: Some(refusal.code().to_owned()),
                    ..LogLine::default()
                });
                Err(Problem::new(401, refusal.code(), refusal.detail()).into())
            }
            Checked::Unavailable => Err(Problem::new(
                503,
                "access_unavailable",
                "Cloudflare Access's signing keys could not be fetched; retry later",
            )
            .into()),
        }
    }

    async fn check_access(&self, access: &AccessConfig, jwt: &str) -> Checked {
        let token = match Token::parse(jwt) {
            Ok(token) => token,
            Err(refusal) => return Checked::Refused(refusal),
        };
        let now = self.clock.now_millis();
        // Vars are fixed for an isolate's life: its keys are its team's.
        let keys = self.access_keys;
        let stale = keys.is_stale(now);
        let unknown = keys.key(&token.kid).is_none();
        if (stale || unknown) && keys.may_fetch(now) {
            self.fetch_keys(access, now).await;
        } else if unknown {
            self.wait_for_fetch().await;
        }
        let Some(key) = keys.key(&token.kid) else {
            return match keys.ever_fetched() {
                false => Checked::Unavailable,
                true => Checked::Refused(Refusal::UnknownKey),
            };
        };
        match self
            .rs256
            .verify(&key, &token.signed, &token.signature)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Checked::Refused(Refusal::Signature),
            // A key the runtime cannot import is no key to trust.
            Err(_) => return Checked::Refused(Refusal::Signature),
        }
        match token.check_claims(access, now / 1000) {
            Ok(id) => Checked::Operator(Operator { id, via: "access" }),
            Err(refusal) => Checked::Refused(refusal),
        }
    }

    /// Waits while another request fetches the keys (a new isolate's first requests, or
    /// a rotation's first tokens), so it finds them rather than none. It looks again on
    /// its own timer: a wake from the fetching request would run this one's work in
    /// that request's context, where the runtime forbids its I/O.
    async fn wait_for_fetch(&self) {
        let until = self.clock.now_millis() + FETCH_TIMEOUT_MS as i64;
        while self.access_keys.is_fetching() && self.clock.now_millis() < until {
            self.clock.sleep(FETCH_WAIT_TICK_MS).await;
        }
    }

    /// Fetches the team's keys; a failure keeps what is held.
    async fn fetch_keys(&self, access: &AccessConfig, now: i64) {
        let keys = self.access_keys;
        let _fetching = keys.start_fetch(now);
        let request = HttpRequest {
            method: "GET",
            url: access.certs_url(),
            headers: vec![("accept", "application/json".into())],
            body: String::new(),
        };
        let fetched = match self.http.send(&request, FETCH_TIMEOUT_MS).await {
            Ok(response) if response.status == 200 => Jwk::parse_set(response.body.as_bytes())
                .ok_or_else(|| "the certs are not a JSON Web Key Set with an RSA key".to_owned()),
            Ok(response) => Err(format!("the certs answered {}", response.status)),
            Err(HttpError::Timeout) => Err("the certs did not answer in time".to_owned()),
            Err(HttpError::Unreached(detail) | HttpError::Network(detail)) => {
                Err(format!("the certs could not be fetched: {detail}"))
            }
        };
        match fetched {
            Ok(fetched) => keys.keep(fetched, now),
            Err(detail) => self.log.log(LogLine {
                level: "error",
                msg: "access",
                outcome: Some("keys_unavailable"),
                detail: Some(detail),
                ..LogLine::default()
            }),
        }
    }

    /// `GET /operator`: who the caller is.
    pub(super) async fn operator(&self, request: &Request) -> Response {
        match self.authorize(request).await {
            Ok(operator) => {
                Response::json(200, serde_json::to_string(&operator).unwrap_or_default())
            }
            Err(refused) => refused,
        }
    }
}
