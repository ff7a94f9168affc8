//! Configuration from Worker vars and secrets (names fixed by `interface.md`).

use std::rc::Rc;

use super::access::AccessConfig;
use super::automations::{parse_rules, Rule, RuleError};
use super::forward::ForwardConfig;
use super::signature::{KeyConfigError, PublicKeys};

pub const DEFAULT_API_BASE: &str = "https://api.telnyx.com/v2";
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

pub const PUBLIC_KEY_VAR: &str = "TELNYX_PUBLIC_KEY";
pub const API_KEY_VAR: &str = "TELNYX_API_KEY";
pub const API_BASE_VAR: &str = "TELNYX_API_BASE";
pub const ADMIN_TOKEN_VAR: &str = "ADMIN_TOKEN";
pub const TOLERANCE_VAR: &str = "WEBHOOK_TOLERANCE_SECS";
pub const AUTOMATIONS_VAR: &str = "AUTOMATIONS";
pub const FORWARD_URL_VAR: &str = "FORWARD_URL";
pub const FORWARD_EVENTS_VAR: &str = "FORWARD_EVENTS";
pub const FORWARD_SECRET_VAR: &str = "FORWARD_SECRET";
pub const CONNECTION_ID_VAR: &str = "TELNYX_CONNECTION_ID";
pub const ACCESS_TEAM_DOMAIN_VAR: &str = "ACCESS_TEAM_DOMAIN";
pub const ACCESS_AUD_VAR: &str = "ACCESS_AUD";
/// `all` logs every webhook; unset, only those refused, repeated or not stored.
pub const LOG_WEBHOOKS_VAR: &str = "LOG_WEBHOOKS";
/// Development only: `true` opens `GET /debug/panic` to the operator (the edge's
/// panic-recovery test).
pub const DEBUG_PANIC_VAR: &str = "DEBUG_PANIC";

/// Every var the configuration reads.
pub const VARS: [&str; 14] = [
    PUBLIC_KEY_VAR,
    API_KEY_VAR,
    API_BASE_VAR,
    ADMIN_TOKEN_VAR,
    TOLERANCE_VAR,
    AUTOMATIONS_VAR,
    FORWARD_URL_VAR,
    FORWARD_EVENTS_VAR,
    FORWARD_SECRET_VAR,
    CONNECTION_ID_VAR,
    ACCESS_TEAM_DOMAIN_VAR,
    ACCESS_AUD_VAR,
    LOG_WEBHOOKS_VAR,
    DEBUG_PANIC_VAR,
];

/// The configuration built once per set of var values: parsing keys (point
/// decompression) and rules costs more than a webhook's other work, and a Worker
/// instance sees the same values request after request.
#[derive(Default)]
pub struct ConfigCache {
    last: Option<(Vec<Option<String>>, Rc<Config>)>,
}

impl ConfigCache {
    /// The configuration for the current values of [`VARS`], rebuilt only when one
    /// of them changed since the last call.
    pub fn get(&mut self, var: impl Fn(&str) -> Option<String>) -> Rc<Config> {
        let values: Vec<Option<String>> = VARS.iter().map(|name| var(name)).collect();
        match &self.last {
            Some((seen, config)) if *seen == values => Rc::clone(config),
            _ => {
                let config = Rc::new(Config::from_vars(|name| {
                    let index = VARS.iter().position(|known| *known == name)?;
                    values[index].clone()
                }));
                self.last = Some((values, Rc::clone(&config)));
                config
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// `None` when `TELNYX_PUBLIC_KEY` is not set.
    pub public_keys: Option<Result<PublicKeys, KeyConfigError>>,
    pub tolerance_secs: Result<u64, String>,
    pub api_key: Option<String>,
    pub api_base: String,
    pub admin_token: Option<String>,
    /// The Call Control application a Dial uses when its body names none.
    pub connection_id: Option<String>,
    /// Cloudflare Access in front of the operator API; `Ok(None)` when not set up. An
    /// unusable setting is reported and signs nobody in.
    pub access: Result<Option<AccessConfig>, String>,
    /// No rules when unset; an invalid setting disables every rule and is reported.
    pub automations: Result<Vec<Rule>, Vec<RuleError>>,
    /// `Ok(None)`: nothing is forwarded. Unusable settings forward nothing and are
    /// reported; webhooks are still accepted.
    pub forward: Result<Option<ForwardConfig>, Vec<String>>,
    /// Whether an accepted webhook is logged (`LOG_WEBHOOKS` is `all`); a refused,
    /// repeated or unstored one always is. An unknown value is reported and logs as
    /// unset does.
    pub log_accepted: Result<bool, String>,
    /// `DEBUG_PANIC` is `true`.
    pub debug_panic: bool,
}

impl Config {
    /// Reads every setting through `var`; an empty value counts as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let tolerance_secs = match var(TOLERANCE_VAR) {
            None => Ok(DEFAULT_TOLERANCE_SECS),
            Some(text) => text.trim().parse::<u64>().map_err(|_| {
                format!("{TOLERANCE_VAR} must be a whole number of seconds, got {text:?}")
            }),
        };
        let connection_id = var(CONNECTION_ID_VAR).map(|id| id.trim().to_owned());
        Self {
            public_keys: var(PUBLIC_KEY_VAR).map(|keys| PublicKeys::parse(&keys)),
            tolerance_secs,
            api_key: var(API_KEY_VAR),
            api_base: var(API_BASE_VAR)
                .map(|base| base.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| DEFAULT_API_BASE.to_owned()),
            admin_token: var(ADMIN_TOKEN_VAR),
            automations: var(AUTOMATIONS_VAR).map_or(Ok(Vec::new()), |text| {
                parse_rules(&text, connection_id.as_deref())
            }),
            connection_id,
            access: AccessConfig::parse(
                var(ACCESS_TEAM_DOMAIN_VAR).as_deref(),
                var(ACCESS_AUD_VAR).as_deref(),
            ),
            forward: ForwardConfig::parse(
                var(FORWARD_URL_VAR).as_deref(),
                var(FORWARD_EVENTS_VAR).as_deref(),
                var(FORWARD_SECRET_VAR).as_deref(),
            ),
            log_accepted: match var(LOG_WEBHOOKS_VAR).as_deref().map(str::trim) {
                None | Some("problems") => Ok(false),
                Some("all") => Ok(true),
                Some(_) => Err(format!(
                    "{LOG_WEBHOOKS_VAR} must be `all` or `problems`; accepted webhooks are not logged"
                )),
            },
            debug_panic: var(DEBUG_PANIC_VAR).is_some_and(|value| value.trim() == "true"),
        }
    }

    /// Settings that are present but unusable, each said in one sentence.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(Err(error)) = &self.public_keys {
            problems.push(error.to_string());
        }
        if let Err(error) = &self.tolerance_secs {
            problems.push(error.clone());
        }
        if let Err(errors) = &self.automations {
            problems.extend(errors.iter().map(RuleError::to_string));
        }
        if let Err(errors) = &self.forward {
            problems.extend(errors.iter().cloned());
        }
        if let Err(error) = &self.access {
            problems.push(error.clone());
        }
        if let Err(error) = &self.log_accepted {
            problems.push(error.clone());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_rebuilds_only_when_a_var_changes() {
        let mut cache = ConfigCache::default();
        let vars = |token: &'static str| {
            move |name: &str| (name == ADMIN_TOKEN_VAR).then(|| token.to_owned())
        };
        let first = cache.get(vars("one"));
        assert!(Rc::ptr_eq(&first, &cache.get(vars("one"))), "reused");
        let second = cache.get(vars("two"));
        assert_eq!(second.admin_token.as_deref(), Some("two"));
        assert!(!Rc::ptr_eq(&first, &second), "rebuilt");
    }

    fn config(pairs: &[(&str, &str)]) -> Config {
        Config::from_vars(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        let config = config(&[(ADMIN_TOKEN_VAR, "")]);
        assert!(config.public_keys.is_none());
        assert_eq!(config.tolerance_secs, Ok(300));
        assert_eq!(config.api_base, DEFAULT_API_BASE);
        assert_eq!(config.admin_token, None);
        assert!(config.problems().is_empty());
    }

    #[test]
    fn unusable_values_are_reported_not_guessed() {
        let config = config(&[(TOLERANCE_VAR, "5m"), (PUBLIC_KEY_VAR, "nope!")]);
        assert!(config.tolerance_secs.is_err());
        let problems = config.problems();
        assert_eq!(problems.len(), 2);
        assert!(problems.iter().any(|p| p.contains(TOLERANCE_VAR)));
        assert!(problems.iter().any(|p| p.contains(PUBLIC_KEY_VAR)));
    }

    #[test]
    fn automations_are_parsed_once_and_their_errors_reported() {
        assert_eq!(config(&[]).automations, Ok(Vec::new()));
        let rules = r#"{"rules":[{"name":"a","on":["call.answered"],"do":[{"action":"answer"}]}]}"#;
        assert_eq!(
            config(&[(AUTOMATIONS_VAR, rules)])
                .automations
                .unwrap()
                .len(),
            1
        );
        let broken = config(&[(AUTOMATIONS_VAR, r#"{"rules":[{"name":"a"}]}"#)]);
        assert!(broken.automations.is_err());
        assert!(broken.problems().iter().any(|p| p.contains("rule \"a\"")));
    }

    #[test]
    fn forwarding_settings_are_checked_and_never_echo_the_secret() {
        assert_eq!(config(&[]).forward, Ok(None));
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let good = config(&[
            (FORWARD_URL_VAR, "https://crm.example/hooks"),
            (FORWARD_SECRET_VAR, secret),
        ]);
        assert_eq!(
            good.forward.unwrap().unwrap().urls,
            ["https://crm.example/hooks"]
        );
        let missing = config(&[(FORWARD_URL_VAR, "https://crm.example/hooks")]);
        assert!(missing.forward.is_err());
        assert!(missing
            .problems()
            .iter()
            .any(|p| p.contains(FORWARD_SECRET_VAR)));
        let bad = config(&[
            (FORWARD_URL_VAR, "ftp://crm.example"),
            (FORWARD_SECRET_VAR, "whsec_c2hvcnQ="),
        ]);
        let problems = bad.problems().join("; ");
        assert!(problems.contains(FORWARD_URL_VAR) && problems.contains(FORWARD_SECRET_VAR));
        assert!(!problems.contains("c2hvcnQ"), "{problems}");
    }

    #[test]
    fn api_base_loses_its_trailing_slash() {
        let config = config(&[(API_BASE_VAR, "http://127.0.0.1:9/v2/")]);
        assert_eq!(config.api_base, "http://127.0.0.1:9/v2");
    }
}
