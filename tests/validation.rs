//! Accept and reject tables for every action's body: the spec's types, enums and ranges,
//! the rules its descriptions state, `client_state` / `command_id` only where accepted,
//! and unknown fields refused.

use serde_json::{json, Value};
use telnyx_edge::domain::actions::{find, recorded, validate, ACTIONS, DIAL};

const STATE: &str = "aGF2ZSBhIG5pY2UgZGF5ID1d";
const UUID: &str = "891510ac-f3e4-11e8-af5b-de00688a4901";

fn accepted() -> Vec<(&'static str, Value)> {
    vec![
        (
            "dial",
            json!({"to": "+13125550100", "from": "+13125550199", "connection_id": "1494404757140276705"}),
        ),
        (
            "dial",
            json!({"to": ["+13125550100", "sip:agent@pbx.example.com;secure=srtp"],
                "from": "+13125550199", "connection_id": "conn", "command_id": UUID,
                "client_state": STATE, "timeout_secs": 5, "time_limit_secs": 14400,
                "from_display_name": "Support Line", "send_digits_on_answer": "200w#",
                "supervise_call_control_id": "v3:abc-DEF_1.2~x", "supervisor_role": "monitor",
                "link_to": "v3:other", "bridge_intent": true, "bridge_on_answer": false,
                "park_after_unbridge": "self", "record": "record-from-answer",
                "record_max_length": 43200, "custom_headers": [{"name": "X-Case", "value": "42"}],
                "sip_auth_username": "user", "sip_auth_password": "secret",
                "webhook_retries_policies": {"call.answered": {"retries_ms": [1000, 59000]}}}),
        ),
        (
            "dial",
            json!({"to": "sip:a@b.example", "from": "+1", "connection_id": "c",
                "timeout_secs": 600, "bridge_intent": false}),
        ),
        ("client_state_update", json!({"client_state": STATE})),
        ("refer", json!({"sip_address": "sip:agent@pbx.example.com"})),
        (
            "refer",
            json!({"sip_address": "sips:agent@pbx.example.com", "client_state": STATE,
                "command_id": UUID, "custom_headers": [{"name": "X-Case", "value": "42"}],
                "sip_headers": [{"name": "User-to-User", "value": "abc;encoding=hex"}],
                "sip_auth_username": "user", "sip_auth_password": "secret"}),
        ),
        ("send_dtmf", json!({"digits": "1www2WABCDw9*#"})),
        (
            "send_dtmf",
            json!({"digits": "5", "duration_millis": 100, "command_id": UUID}),
        ),
        (
            "send_dtmf",
            json!({"digits": "5", "duration_millis": 500, "client_state": STATE}),
        ),
        ("siprec_start", json!({})),
        (
            "siprec_start",
            json!({"connector_name": "recorder", "siprec_track": "both_tracks",
                "sip_transport": "tls", "secure": true, "session_timeout_secs": 90,
                "include_metadata_custom_headers": false, "client_state": STATE}),
        ),
        ("siprec_start", json!({"session_timeout_secs": 0})),
        (
            "siprec_stop",
            json!({"client_state": STATE, "command_id": UUID}),
        ),
        ("suppression_start", json!({})),
        (
            "suppression_start",
            json!({"direction": "both", "noise_suppression_engine": "DeepFilterNet",
                "noise_suppression_engine_config": {"attenuation_limit": 0, "mode": "advanced"}}),
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine": "Krisp",
                "noise_suppression_engine_config": {"model": "krisp-viva-pro-v1.kef",
                    "suppression_level": 100.0}}),
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine": "AiCoustics",
                "noise_suppression_engine_config": {"family": "quail", "size": "vf_l",
                    "enhancement_level": 1, "voice_gain": 0.1}}),
        ),
        ("suppression_stop", json!({"command_id": UUID})),
        ("switch_supervisor_role", json!({"role": "barge"})),
        ("switch_supervisor_role", json!({"role": "monitor"})),
        ("answer", json!({})),
        (
            "answer",
            json!({"billing_group_id": UUID, "record": "record-from-answer",
                "record_max_length": 43200, "record_timeout_secs": 0, "record_channels": "single",
                "webhook_url": "https://example.com/hook", "webhook_url_method": "GET",
                "webhook_urls": {"call.answered": "https://example.com/a"},
                "webhook_retries_policies": {"call.answered": {"retries_ms": [1000, 59000]}},
                "sound_modifications": {"octaves": -1, "semitone": 14, "track": "both"},
                "deepfake_detection": {"enabled": true, "rtp_timeout": 5, "timeout": 60},
                "transcription": true,
                "transcription_config": {"transcription_engine": "Deepgram",
                    "transcription_engine_config": {"transcription_engine": "Deepgram",
                        "transcription_model": "deepgram/nova-3", "keyterms": ["Telnyx"]}}}),
        ),
        (
            "hangup",
            json!({"custom_headers": [{"name": "X-Reason", "value": "done"}]}),
        ),
        ("transfer", json!({"to": "+18005550199"})),
        (
            "transfer",
            json!({"to": "sip:agent@pbx.example.com", "from": "+18005550100",
                "from_display_name": "Support Line-1 ~!.+_", "timeout_secs": 600,
                "time_limit_secs": 30, "send_digits_on_answer": "200w#",
                "target_leg_client_state": STATE, "media_name": "hold-music",
                "answering_machine_detection": "premium",
                "answering_machine_detection_config": {"total_analysis_time_millis": 5000}}),
        ),
        ("bridge", json!({"call_control_id": "v3:other-leg"})),
        (
            "bridge",
            json!({"call_control_id": "v3:other-leg", "play_ringtone": true, "ringtone": "uk",
                "park_after_unbridge": "self", "mute_dtmf": "opposite"}),
        ),
    ]
}

/// `(action, body, pointer, words the detail must contain)`.
fn dial(extra: Value) -> Value {
    let mut body = json!({"to": "+13125550100", "from": "+13125550199", "connection_id": "c"});
    for (key, value) in extra.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

fn rejected() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    let many: Vec<String> = (0..1000).map(|n| format!("+1312555{n:04}")).collect();
    let big_header = "x".repeat(100 * 1024);
    vec![
        ("dial", dial(json!({"to": null})), "/to", "required"),
        ("dial", dial(json!({"from": null})), "/from", "required"),
        (
            "dial",
            dial(json!({"connection_id": null})),
            "/connection_id",
            "required",
        ),
        ("dial", dial(json!({"to": []})), "/to", "at least one"),
        ("dial", dial(json!({"to": many})), "/to", "at most 10"),
        ("dial", dial(json!({"to": ""})), "/to", "empty"),
        ("dial", dial(json!({"to": ["+1", " "]})), "/to", "empty"),
        ("dial", dial(json!({"to": 5})), "/to", "one of"),
        ("dial", dial(json!({"to": [5]})), "/to", "one of"),
        (
            "dial",
            dial(json!({"supervisor_role": "listen"})),
            "/supervisor_role",
            "one of",
        ),
        (
            "dial",
            dial(json!({"timeout_secs": 4})),
            "/timeout_secs",
            "between 5 and 600",
        ),
        (
            "dial",
            dial(json!({"timeout_secs": 601})),
            "/timeout_secs",
            "between 5 and 600",
        ),
        (
            "dial",
            dial(json!({"time_limit_secs": 29})),
            "/time_limit_secs",
            "between 30 and 14400",
        ),
        (
            "dial",
            dial(json!({"client_state": "not base64!"})),
            "/client_state",
            "Base-64",
        ),
        (
            "dial",
            dial(json!({"from_display_name": "a".repeat(129)})),
            "/from_display_name",
            "at most 128",
        ),
        (
            "dial",
            dial(json!({"from_display_name": "Sales <x>"})),
            "/from_display_name",
            "allowed are",
        ),
        (
            "dial",
            dial(json!({"bridge_intent": true})),
            "/link_to",
            "required when bridge_intent",
        ),
        (
            "dial",
            dial(json!({"bridge_on_answer": true})),
            "/link_to",
            "required when bridge_on_answer",
        ),
        (
            "dial",
            dial(json!({"park_after_unbridge": "self"})),
            "/link_to",
            "required when park_after_unbridge",
        ),
        (
            "dial",
            dial(json!({"supervise_call_control_id": "../../x"})),
            "/supervise_call_control_id",
            "call control id",
        ),
        (
            "dial",
            dial(json!({"link_to": "v3:a b"})),
            "/link_to",
            "call control id",
        ),
        (
            "dial",
            dial(json!({"custom_headers": [{"name": "X-Big", "value": big_header}]})),
            "/custom_headers",
            "at most 8192",
        ),
        (
            "dial",
            dial(json!({"media_name": "m", "audio_url": "https://a.example/x.wav"})),
            "/audio_url",
            "cannot be used together",
        ),
        (
            "dial",
            dial(json!({"send_digits_on_answer": "12x"})),
            "/send_digits_on_answer",
            "valid are",
        ),
        (
            "dial",
            dial(json!({"call_control_id": "v3:x"})),
            "/call_control_id",
            "not a field",
        ),
        (
            "client_state_update",
            json!({}),
            "/client_state",
            "required",
        ),
        (
            "client_state_update",
            json!({"client_state": "not base64!"}),
            "/client_state",
            "Base-64",
        ),
        (
            "client_state_update",
            json!({"client_state": ""}),
            "/client_state",
            "Base-64",
        ),
        (
            "client_state_update",
            json!({"client_state": 42}),
            "/client_state",
            "string",
        ),
        // client_state_update takes no command_id in the spec.
        (
            "client_state_update",
            json!({"client_state": STATE, "command_id": UUID}),
            "/command_id",
            "not a field",
        ),
        ("client_state_update", json!([]), "", "JSON object"),
        ("refer", json!({}), "/sip_address", "required"),
        (
            "refer",
            json!({"sip_address": "agent@pbx.example.com"}),
            "/sip_address",
            "SIP URI",
        ),
        (
            "refer",
            json!({"sip_address": "sip:"}),
            "/sip_address",
            "SIP URI",
        ),
        (
            "refer",
            json!({"sip_address": "sip:a@b", "sip_headers": [{"name": "X-Other", "value": "v"}]}),
            "/sip_headers/0/name",
            "User-to-User",
        ),
        (
            "refer",
            json!({"sip_address": "sip:a@b", "sip_headers": [{"name": "User-to-User"}]}),
            "/sip_headers/0/value",
            "required",
        ),
        (
            "refer",
            json!({"sip_address": "sip:a@b", "custom_headers": {"name": "x"}}),
            "/custom_headers",
            "array",
        ),
        (
            "refer",
            json!({"sip_address": "sip:a@b", "custom_headers": [{"name": "", "value": "v"}]}),
            "/custom_headers/0/name",
            "empty",
        ),
        (
            "refer",
            json!({"sip_address": "sip:a@b", "sip_auth_password": 1234}),
            "/sip_auth_password",
            "string",
        ),
        (
            "refer",
            json!({"sip_address": "sip:a@b", "sip_adress": "typo"}),
            "/sip_adress",
            "not a field",
        ),
        ("send_dtmf", json!({}), "/digits", "required"),
        (
            "send_dtmf",
            json!({"digits": ""}),
            "/digits",
            "at least one",
        ),
        ("send_dtmf", json!({"digits": "12x"}), "/digits", "'x'"),
        ("send_dtmf", json!({"digits": "abc"}), "/digits", "0-9, A-D"),
        (
            "send_dtmf",
            json!({"digits": "1", "duration_millis": 99}),
            "/duration_millis",
            "100 and 500",
        ),
        (
            "send_dtmf",
            json!({"digits": "1", "duration_millis": 501}),
            "/duration_millis",
            "100 and 500",
        ),
        (
            "send_dtmf",
            json!({"digits": "1", "duration_millis": 250.5}),
            "/duration_millis",
            "integer",
        ),
        (
            "send_dtmf",
            json!({"digits": "1", "duration_millis": "250"}),
            "/duration_millis",
            "integer",
        ),
        ("send_dtmf", json!({"digits": 1}), "/digits", "string"),
        (
            "send_dtmf",
            json!({"digits": "1", "command_id": ""}),
            "/command_id",
            "empty",
        ),
        (
            "siprec_start",
            json!({"siprec_track": "both"}),
            "/siprec_track",
            "inbound_track, outbound_track, both_tracks",
        ),
        (
            "siprec_start",
            json!({"sip_transport": "UDP"}),
            "/sip_transport",
            "udp, tcp, tls",
        ),
        (
            "siprec_start",
            json!({"session_timeout_secs": 89}),
            "/session_timeout_secs",
            "at least 90",
        ),
        (
            "siprec_start",
            json!({"session_timeout_secs": -1}),
            "/session_timeout_secs",
            "at least 90",
        ),
        (
            "siprec_start",
            json!({"secure": "true"}),
            "/secure",
            "true or false",
        ),
        // The spec gives siprec_start a client_state but no command_id.
        (
            "siprec_start",
            json!({"command_id": UUID}),
            "/command_id",
            "not a field",
        ),
        (
            "siprec_stop",
            json!({"connector_name": "x"}),
            "/connector_name",
            "not a field",
        ),
        (
            "suppression_start",
            json!({"direction": "up"}),
            "/direction",
            "inbound, outbound, both",
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine": "E"}),
            "/noise_suppression_engine",
            "Denoiser",
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine": "DeepFilterNet", "noise_suppression_engine_config": {"attenuation_limit": 101}}),
            "/noise_suppression_engine_config/attenuation_limit",
            "between 0 and 100",
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine": "AiCoustics", "noise_suppression_engine_config": {"voice_gain": 4.5}}),
            "/noise_suppression_engine_config/voice_gain",
            "between 0.1 and 4",
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine": "AiCoustics", "noise_suppression_engine_config": {"enhancement_level": -0.1}}),
            "/noise_suppression_engine_config/enhancement_level",
            "between 0 and 1",
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine": "Krisp", "noise_suppression_engine_config": {"suppression_level": 100.5}}),
            "/noise_suppression_engine_config/suppression_level",
            "between 0 and 100",
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine": "Krisp", "noise_suppression_engine_config": {"model": "krisp-x"}}),
            "/noise_suppression_engine_config/model",
            "krisp-viva-tel-v2.kef",
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine_config": {"attenuation_limit": 50}}),
            "/noise_suppression_engine_config/attenuation_limit",
            "only to the DeepFilterNet engine, not Denoiser",
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine": "AiCoustics", "noise_suppression_engine_config": {"family": "quail", "size": "xs"}}),
            "/noise_suppression_engine_config/size",
            "sparrow-only",
        ),
        (
            "suppression_start",
            json!({"noise_suppression_engine_config": {"gain": 1}}),
            "/noise_suppression_engine_config/gain",
            "not a field",
        ),
        (
            "suppression_stop",
            json!({"direction": "both"}),
            "/direction",
            "not a field",
        ),
        ("switch_supervisor_role", json!({}), "/role", "required"),
        (
            "switch_supervisor_role",
            json!({"role": "listen"}),
            "/role",
            "barge, whisper, monitor",
        ),
        (
            "switch_supervisor_role",
            json!({"role": "Barge"}),
            "/role",
            "barge, whisper, monitor",
        ),
        // switch_supervisor_role takes neither client_state nor command_id.
        (
            "switch_supervisor_role",
            json!({"role": "barge", "client_state": STATE}),
            "/client_state",
            "not a field",
        ),
        (
            "switch_supervisor_role",
            json!({"role": "barge", "command_id": UUID}),
            "/command_id",
            "not a field",
        ),
        (
            "answer",
            json!({"billing_group_id": "not-a-uuid"}),
            "/billing_group_id",
            "UUID",
        ),
        (
            "answer",
            json!({"record_max_length": 43201}),
            "/record_max_length",
            "between 0 and 43200",
        ),
        (
            "answer",
            json!({"record_custom_file_name": ""}),
            "/record_custom_file_name",
            "at least 1",
        ),
        (
            "answer",
            json!({"record_custom_file_name": "x".repeat(41)}),
            "/record_custom_file_name",
            "at most 40",
        ),
        (
            "answer",
            json!({"webhook_urls": {"call.answered": "not a uri"}}),
            "/webhook_urls/call.answered",
            "URI",
        ),
        (
            "answer",
            json!({"webhook_retries_policies": {"call.hangup": {"retries_ms": [1, 2, 3, 4, 5, 6]}}}),
            "/webhook_retries_policies/call.hangup/retries_ms",
            "at most 5",
        ),
        (
            "answer",
            json!({"webhook_retries_policies": {"call.hangup": {"retries_ms": [30000, 30001]}}}),
            "/webhook_retries_policies/call.hangup/retries_ms",
            "60001",
        ),
        (
            "answer",
            json!({"deepfake_detection": {"timeout": 61}}),
            "/deepfake_detection/timeout",
            "between 5 and 60",
        ),
        (
            "answer",
            json!({"sound_modifications": {"semitone": 15}}),
            "/sound_modifications/semitone",
            "between -14 and 14",
        ),
        (
            "answer",
            json!({"transcription_config": {"transcription_engine_config": {"transcription_engine": "Nope"}}}),
            "/transcription_config/transcription_engine_config/transcription_engine",
            "must be one of",
        ),
        (
            "answer",
            json!({"stream_codec": "MP3"}),
            "/stream_codec",
            "must be one of",
        ),
        (
            "answer",
            json!({"client_state": "%%%"}),
            "/client_state",
            "Base-64",
        ),
        ("hangup", json!({"reason": "x"}), "/reason", "not a field"),
        (
            "hangup",
            json!({"custom_headers": [{"name": "X"}]}),
            "/custom_headers/0/value",
            "required",
        ),
        ("transfer", json!({}), "/to", "required"),
        ("transfer", json!({"to": ""}), "/to", "empty"),
        (
            "transfer",
            json!({"to": "+1", "timeout_secs": 4}),
            "/timeout_secs",
            "between 5 and 600",
        ),
        (
            "transfer",
            json!({"to": "+1", "time_limit_secs": 29}),
            "/time_limit_secs",
            "between 30 and 14400",
        ),
        (
            "transfer",
            json!({"to": "+1", "from_display_name": "Bad<Name>"}),
            "/from_display_name",
            "'<'",
        ),
        (
            "transfer",
            json!({"to": "+1", "from_display_name": "a".repeat(129)}),
            "/from_display_name",
            "128",
        ),
        (
            "transfer",
            json!({"to": "+1", "send_digits_on_answer": "1".repeat(65)}),
            "/send_digits_on_answer",
            "64",
        ),
        (
            "transfer",
            json!({"to": "+1", "media_name": "m", "audio_url": "https://x/a.mp3"}),
            "/audio_url",
            "cannot be used together",
        ),
        (
            "transfer",
            json!({"to": "+1", "target_leg_client_state": "??"}),
            "/target_leg_client_state",
            "Base-64",
        ),
        (
            "transfer",
            json!({"to": "+1", "sip_region": "Mars"}),
            "/sip_region",
            "must be one of",
        ),
        ("bridge", json!({}), "/call_control_id", "required"),
        (
            "bridge",
            json!({"call_control_id": "v3:x", "video_room_context": "ctx"}),
            "/video_room_context",
            "video_room_id",
        ),
        (
            "bridge",
            json!({"call_control_id": "v3:x", "ringtone": "xx"}),
            "/ringtone",
            "must be one of",
        ),
    ]
}

#[test]
fn every_action_is_in_the_tables() {
    let names: Vec<&str> = ACTIONS.iter().map(|action| action.name).collect();
    for name in [
        "client_state_update",
        "refer",
        "send_dtmf",
        "siprec_start",
        "siprec_stop",
        "suppression_start",
        "suppression_stop",
        "switch_supervisor_role",
        "answer",
        "hangup",
        "transfer",
        "bridge",
    ] {
        assert!(names.contains(&name), "{name} missing");
    }
    assert_eq!(names.len(), 12);
    assert!(
        find("dial").is_none(),
        "Dial is POST /calls, not an action of a call"
    );
    assert_eq!(
        recorded("dial").map(|a| (a.name, a.method)),
        Some(("dial", "POST"))
    );
    assert!(DIAL.accepts_command_id());
    assert_eq!(find("client_state_update").map(|a| a.method), Some("PUT"));
    assert!(find("refer").is_some_and(|a| a.method == "POST"));
    assert!(find("transfer_call").is_none());
}

#[test]
fn command_id_is_accepted_exactly_where_the_spec_lists_it() {
    let accepting: Vec<&str> = ACTIONS
        .iter()
        .filter(|action| action.accepts_command_id())
        .map(|action| action.name)
        .collect();
    let mut expected = vec![
        "answer",
        "bridge",
        "hangup",
        "refer",
        "send_dtmf",
        "siprec_stop",
        "suppression_start",
        "suppression_stop",
        "transfer",
    ];
    expected.sort();
    let mut accepting = accepting;
    accepting.sort();
    assert_eq!(accepting, expected);
}

#[test]
fn valid_bodies_are_accepted() {
    for (action, body) in accepted() {
        let spec = recorded(action).expect(action);
        if let Err(violations) = validate(spec, &body) {
            panic!("{action} {body} was refused: {violations:?}");
        }
    }
}

#[test]
fn invalid_bodies_are_refused_with_a_pointer_to_the_field() {
    for (action, body, pointer, words) in rejected() {
        let spec = recorded(action).expect(action);
        let violations = match validate(spec, &body) {
            Ok(()) => panic!("{action} {body} was accepted"),
            Err(violations) => violations,
        };
        assert!(
            violations
                .iter()
                .any(|v| v.pointer == pointer && v.detail.contains(words)),
            "{action} {body}: expected {pointer} '{words}', got {violations:?}"
        );
    }
}

#[test]
fn every_violation_in_a_body_is_reported_up_to_a_cap() {
    let body = json!({"digits": "x", "duration_millis": 1, "bogus": true});
    let violations = validate(find("send_dtmf").unwrap(), &body).unwrap_err();
    let pointers: Vec<&str> = violations.iter().map(|v| v.pointer.as_str()).collect();
    assert_eq!(pointers, ["/bogus", "/digits", "/duration_millis"]);

    let many: serde_json::Map<String, Value> =
        (0..50).map(|i| (format!("f{i}"), json!(i))).collect();
    let violations = validate(find("hangup").unwrap(), &Value::Object(many)).unwrap_err();
    assert_eq!(
        violations.len(),
        telnyx_edge::domain::actions::MAX_VIOLATIONS
    );
}

#[test]
fn pointers_escape_slash_and_tilde_in_keys() {
    let body = json!({"webhook_urls": {"a/b~c": "nope"}});
    let violations = validate(find("answer").unwrap(), &body).unwrap_err();
    assert_eq!(violations[0].pointer, "/webhook_urls/a~1b~0c");
}
