//! `{{path}}` placeholders in the string params of a rule's actions, filled from the
//! same paths conditions use.

use serde_json::{Map, Value};

use super::path::{Path, Scope};

const OPEN: &str = "{{";
const CLOSE: &str = "}}";

/// Whether a string is a template rather than a literal value.
pub fn has_placeholder(text: &str) -> bool {
    text.contains(OPEN)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Value(Path),
}

/// A parsed string template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template(Vec<Part>);

impl Template {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(OPEN) {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let inner = &rest[start + OPEN.len()..];
            let end = inner
                .find(CLOSE)
                .ok_or_else(|| format!("{OPEN} without a closing {CLOSE}"))?;
            let path = inner[..end].trim();
            if path.contains(OPEN) {
                return Err(format!("{OPEN} inside a placeholder"));
            }
            parts.push(Part::Value(Path::parse(path)?));
            rest = &inner[end + CLOSE.len()..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self(parts))
    }

    /// The filled-in string. A placeholder that finds no value, or a value that is not
    /// a string, number or boolean, is an error: sending a guess would be worse.
    pub fn render(&self, scope: &Scope<'_>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Value(path) => match path.resolve(scope) {
                    Some(Value::String(text)) => out.push_str(text),
                    Some(Value::Number(number)) => out.push_str(&number.to_string()),
                    Some(Value::Bool(flag)) => out.push_str(if *flag { "true" } else { "false" }),
                    Some(Value::Null) | None => {
                        return Err(format!("{{{{{path}}}}} has no value for this event"))
                    }
                    Some(_) => {
                        return Err(format!(
                            "{{{{{path}}}}} is an object or a list, not a single value"
                        ))
                    }
                },
            }
        }
        Ok(out)
    }
}

/// Every template string in `params`, with the JSON pointer where it stands.
pub fn templates_in(value: &Value, pointer: &mut String, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) if has_placeholder(text) => out.push((pointer.clone(), text.clone())),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let mark = pointer.len();
                crate::domain::actions::push_pointer(pointer, &index.to_string());
                templates_in(item, pointer, out);
                pointer.truncate(mark);
            }
        }
        Value::Object(map) => {
            for (key, member) in map {
                let mark = pointer.len();
                crate::domain::actions::push_pointer(pointer, key);
                templates_in(member, pointer, out);
                pointer.truncate(mark);
            }
        }
        _ => {}
    }
}

/// `params` with every template filled in; the first failure names its path.
pub fn render_params(
    params: &Map<String, Value>,
    scope: &Scope<'_>,
) -> Result<Map<String, Value>, String> {
    // One insert at a time: `collect` into the map compiles a bulk build (a sort).
    let mut rendered = Map::new();
    for (key, value) in params {
        rendered.insert(key.clone(), render_value(value, scope)?);
    }
    Ok(rendered)
}

fn render_value(value: &Value, scope: &Scope<'_>) -> Result<Value, String> {
    Ok(match value {
        Value::String(text) if has_placeholder(text) => {
            Value::String(Template::parse(text)?.render(scope)?)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_value(item, scope))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(render_params(map, scope)?),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope_of<'a>(data: &'a Value, state: &'a Value, event_type: &'a Value) -> Scope<'a> {
        Scope {
            data: data.as_object().unwrap(),
            event_type,
            state,
        }
    }

    #[test]
    fn placeholders_are_filled_from_the_event_and_the_state() {
        let data = json!({"payload": {"digit": "5", "sip_notify_response": 603, "n": null}});
        let state = json!({"refer": {"sip_address": "sip:a@b.example"}});
        let kind = json!("call.refer.failed");
        let scope = scope_of(&data, &state, &kind);
        let render = |text: &str| Template::parse(text).unwrap().render(&scope);
        assert_eq!(render("{{payload.digit}}"), Ok("5".into()));
        assert_eq!(
            render("x{{ payload.digit }}y{{payload.digit}}"),
            Ok("x5y5".into())
        );
        assert_eq!(render("{{payload.sip_notify_response}}"), Ok("603".into()));
        assert_eq!(
            render("from {{state.refer.sip_address}}"),
            Ok("from sip:a@b.example".into())
        );
        assert_eq!(render("{{event_type}}"), Ok("call.refer.failed".into()));
        assert!(render("{{payload.n}}").unwrap_err().contains("payload.n"));
        assert!(render("{{payload.missing}}")
            .unwrap_err()
            .contains("no value"));
        assert!(render("{{payload}}")
            .unwrap_err()
            .contains("not a single value"));
    }

    #[test]
    fn malformed_templates_are_refused() {
        for bad in [
            "{{payload.digit",
            "{{}}",
            "{{ nope }}",
            "{{ {{payload.x}} }}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Template::parse("no placeholder }} here").is_ok());
    }

    #[test]
    fn nested_params_are_rendered_and_located() {
        let params = json!({"sip_address": "sip:x@y", "custom_headers":
            [{"name": "X-Digit", "value": "{{payload.digit}}"}]});
        let mut found = Vec::new();
        templates_in(&params, &mut String::new(), &mut found);
        assert_eq!(
            found,
            vec![(
                "/custom_headers/0/value".to_string(),
                "{{payload.digit}}".to_string()
            )]
        );

        let data = json!({"payload": {"digit": "#"}});
        let (state, kind) = (Value::Null, json!("call.dtmf.received"));
        let rendered = render_params(params.as_object().unwrap(), &scope_of(&data, &state, &kind));
        assert_eq!(rendered.unwrap()["custom_headers"][0]["value"], "#");
    }
}
