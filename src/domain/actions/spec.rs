//! @generated from `spec/telnyx/openapi-call-control.json` by
//! `tests/support/spec_tables.rs`. Do not edit by hand: after the spec changes, run
//! `REGENERATE_SPEC_TABLES=1 cargo test --test contract`.

use super::schema::{ActionSpec, Bounds, Field, Format, Kind, Object, Str, Tagged};

/// Every action, from the spec's paths.
pub static ACTIONS: [ActionSpec; 12] = [
    ActionSpec {
        name: "answer",
        method: "POST",
        body: &ANSWER_REQUEST,
    },
    ActionSpec {
        name: "bridge",
        method: "POST",
        body: &BRIDGE_REQUEST,
    },
    ActionSpec {
        name: "client_state_update",
        method: "PUT",
        body: &CLIENT_STATE_UPDATE_REQUEST,
    },
    ActionSpec {
        name: "hangup",
        method: "POST",
        body: &HANGUP_REQUEST,
    },
    ActionSpec {
        name: "refer",
        method: "POST",
        body: &REFER_REQUEST,
    },
    ActionSpec {
        name: "send_dtmf",
        method: "POST",
        body: &SEND_DTMF_REQUEST,
    },
    ActionSpec {
        name: "siprec_start",
        method: "POST",
        body: &START_SIPREC_REQUEST,
    },
    ActionSpec {
        name: "siprec_stop",
        method: "POST",
        body: &STOP_SIPREC_REQUEST,
    },
    ActionSpec {
        name: "suppression_start",
        method: "POST",
        body: &NOISE_SUPPRESSION_START,
    },
    ActionSpec {
        name: "suppression_stop",
        method: "POST",
        body: &NOISE_SUPPRESSION_STOP,
    },
    ActionSpec {
        name: "switch_supervisor_role",
        method: "POST",
        body: &SWITCH_SUPERVISOR_ROLE_REQUEST,
    },
    ActionSpec {
        name: "transfer",
        method: "POST",
        body: &TRANSFER_CALL_REQUEST,
    },
];

/// Dial (`POST /calls`), from the spec's `DialCall`.
pub static DIAL: ActionSpec = ActionSpec {
    name: "dial",
    method: "POST",
    body: &CALL_REQUEST,
};

static ANSWER_REQUEST: Object = Object {
    name: "AnswerRequest",
    fields: &[
        Field {
            name: "assistant",
            kind: Kind::Object(&CALL_ASSISTANT_REQUEST),
            required: false,
        },
        Field {
            name: "billing_group_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Uuid,
            }),
            required: false,
        },
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "conversation_relay_config",
            kind: Kind::Object(&CONVERSATION_RELAY_EMBEDDED_CONFIG),
            required: false,
        },
        Field {
            name: "custom_headers",
            kind: Kind::Array {
                items: &Kind::Object(&CUSTOM_SIP_HEADER),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "deepfake_detection",
            kind: Kind::Object(&Object {
                name: "AnswerRequest.deepfake_detection",
                fields: &[
                    Field {
                        name: "enabled",
                        kind: Kind::Boolean,
                        required: true,
                    },
                    Field {
                        name: "rtp_timeout",
                        kind: Kind::Integer(Bounds {
                            min: Some(5.0),
                            max: Some(120.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "timeout",
                        kind: Kind::Integer(Bounds {
                            min: Some(5.0),
                            max: Some(60.0),
                        }),
                        required: false,
                    },
                ],
            }),
            required: false,
        },
        Field {
            name: "preferred_codecs",
            kind: Kind::String(Str {
                values: &["G722,PCMU,PCMA,G729,OPUS,VP8,H264"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record",
            kind: Kind::String(Str {
                values: &["record-from-answer"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_channels",
            kind: Kind::String(Str {
                values: &["single", "dual"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_custom_file_name",
            kind: Kind::String(Str {
                values: &[],
                min_len: Some(1),
                max_len: Some(40),
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_format",
            kind: Kind::String(Str {
                values: &["wav", "mp3"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_max_length",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "record_timeout_secs",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "record_track",
            kind: Kind::String(Str {
                values: &["both", "inbound", "outbound"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_trim",
            kind: Kind::String(Str {
                values: &["trim-silence"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "send_silence_when_idle",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "sip_headers",
            kind: Kind::Array {
                items: &Kind::Object(&SIP_HEADER),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "sound_modifications",
            kind: Kind::Object(&SOUND_MODIFICATIONS),
            required: false,
        },
        Field {
            name: "stream_bidirectional_codec",
            kind: Kind::String(Str {
                values: &["PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_bidirectional_mode",
            kind: Kind::String(Str {
                values: &["mp3", "rtp"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_bidirectional_target_legs",
            kind: Kind::String(Str {
                values: &["both", "self", "opposite"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_codec",
            kind: Kind::String(Str {
                values: &["PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16", "default"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_track",
            kind: Kind::String(Str {
                values: &["inbound_track", "outbound_track", "both_tracks"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_url",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "transcription_config",
            kind: Kind::Object(&TRANSCRIPTION_START_REQUEST),
            required: false,
        },
        Field {
            name: "webhook_retries_policies",
            kind: Kind::Map(&Kind::Object(&Object {
                name: "AnswerRequest.webhook_retries_policies.*",
                fields: &[Field {
                    name: "retries_ms",
                    kind: Kind::Array {
                        items: &Kind::Integer(Bounds {
                            min: None,
                            max: None,
                        }),
                        max_items: Some(5),
                    },
                    required: false,
                }],
            })),
            required: false,
        },
        Field {
            name: "webhook_url",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "webhook_url_method",
            kind: Kind::String(Str {
                values: &["POST", "GET"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "webhook_urls",
            kind: Kind::Map(&Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Uri,
            })),
            required: false,
        },
        Field {
            name: "webhook_urls_method",
            kind: Kind::String(Str {
                values: &["POST", "GET"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static BRIDGE_REQUEST: Object = Object {
    name: "BridgeRequest",
    fields: &[
        Field {
            name: "call_control_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "hold_after_unbridge",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "mute_dtmf",
            kind: Kind::String(Str {
                values: &["none", "both", "self", "opposite"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "park_after_unbridge",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "play_ringtone",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "prevent_double_bridge",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "queue",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record",
            kind: Kind::String(Str {
                values: &["record-from-answer"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_channels",
            kind: Kind::String(Str {
                values: &["single", "dual"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_custom_file_name",
            kind: Kind::String(Str {
                values: &[],
                min_len: Some(1),
                max_len: Some(40),
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_format",
            kind: Kind::String(Str {
                values: &["wav", "mp3"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_max_length",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "record_timeout_secs",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "record_track",
            kind: Kind::String(Str {
                values: &["both", "inbound", "outbound"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_trim",
            kind: Kind::String(Str {
                values: &["trim-silence"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "ringtone",
            kind: Kind::String(Str {
                values: &[
                    "at", "au", "be", "bg", "br", "ch", "cl", "cn", "cz", "de", "dk", "ee", "es",
                    "fi", "fr", "gr", "hu", "il", "in", "it", "jp", "lt", "mx", "my", "nl", "no",
                    "nz", "ph", "pl", "pt", "ru", "se", "sg", "th", "tw", "uk", "us-old", "us",
                    "ve", "za",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "video_room_context",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "video_room_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Uuid,
            }),
            required: false,
        },
    ],
};

static CLIENT_STATE_UPDATE_REQUEST: Object = Object {
    name: "ClientStateUpdateRequest",
    fields: &[Field {
        name: "client_state",
        kind: Kind::String(Str {
            values: &[],
            min_len: None,
            max_len: None,
            format: Format::Text,
        }),
        required: true,
    }],
};

static HANGUP_REQUEST: Object = Object {
    name: "HangupRequest",
    fields: &[
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "custom_headers",
            kind: Kind::Array {
                items: &Kind::Object(&CUSTOM_SIP_HEADER),
                max_items: None,
            },
            required: false,
        },
    ],
};

static REFER_REQUEST: Object = Object {
    name: "ReferRequest",
    fields: &[
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "custom_headers",
            kind: Kind::Array {
                items: &Kind::Object(&CUSTOM_SIP_HEADER),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "sip_address",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "sip_auth_password",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sip_auth_username",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sip_headers",
            kind: Kind::Array {
                items: &Kind::Object(&SIP_HEADER),
                max_items: None,
            },
            required: false,
        },
    ],
};

static SEND_DTMF_REQUEST: Object = Object {
    name: "SendDTMFRequest",
    fields: &[
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "digits",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "duration_millis",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
    ],
};

static START_SIPREC_REQUEST: Object = Object {
    name: "StartSiprecRequest",
    fields: &[
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "connector_name",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "include_metadata_custom_headers",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "secure",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "session_timeout_secs",
            kind: Kind::Integer(Bounds {
                min: None,
                max: None,
            }),
            required: false,
        },
        Field {
            name: "sip_transport",
            kind: Kind::String(Str {
                values: &["udp", "tcp", "tls"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "siprec_track",
            kind: Kind::String(Str {
                values: &["inbound_track", "outbound_track", "both_tracks"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static STOP_SIPREC_REQUEST: Object = Object {
    name: "StopSiprecRequest",
    fields: &[
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static NOISE_SUPPRESSION_START: Object = Object {
    name: "NoiseSuppressionStart",
    fields: &[
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "direction",
            kind: Kind::String(Str {
                values: &["inbound", "outbound", "both"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "noise_suppression_engine",
            kind: Kind::String(Str {
                values: &[
                    "Denoiser",
                    "DeepFilterNet",
                    "Krisp",
                    "AiCoustics",
                    "aic_l_quail",
                    "aic_l_rook",
                    "aic_s_quail",
                    "aic_s_rook",
                    "quail_voice_focus_s",
                    "quail_voice_focus_xs",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "noise_suppression_engine_config",
            kind: Kind::Object(&NOISE_SUPPRESSION_ENGINE_CONFIG),
            required: false,
        },
    ],
};

static NOISE_SUPPRESSION_STOP: Object = Object {
    name: "NoiseSuppressionStop",
    fields: &[
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static SWITCH_SUPERVISOR_ROLE_REQUEST: Object = Object {
    name: "SwitchSupervisorRoleRequest",
    fields: &[Field {
        name: "role",
        kind: Kind::String(Str {
            values: &["barge", "whisper", "monitor"],
            min_len: None,
            max_len: None,
            format: Format::Text,
        }),
        required: true,
    }],
};

static TRANSFER_CALL_REQUEST: Object = Object {
    name: "TransferCallRequest",
    fields: &[
        Field {
            name: "answering_machine_detection",
            kind: Kind::String(Str {
                values: &[
                    "premium",
                    "detect",
                    "detect_beep",
                    "detect_words",
                    "greeting_end",
                    "disabled",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "answering_machine_detection_config",
            kind: Kind::Object(&Object {
                name: "TransferCallRequest.answering_machine_detection_config",
                fields: &[
                    Field {
                        name: "after_greeting_silence_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "between_words_silence_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "greeting_duration_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "greeting_silence_duration_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "greeting_total_analysis_time_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "initial_silence_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "maximum_number_of_words",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "maximum_word_length_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "silence_threshold",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "total_analysis_time_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                ],
            }),
            required: false,
        },
        Field {
            name: "audio_url",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "custom_headers",
            kind: Kind::Array {
                items: &Kind::Object(&CUSTOM_SIP_HEADER),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "early_media",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "from",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "from_display_name",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "media_encryption",
            kind: Kind::String(Str {
                values: &["disabled", "SRTP", "DTLS"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "media_name",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "mute_dtmf",
            kind: Kind::String(Str {
                values: &["none", "both", "self", "opposite"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "park_after_unbridge",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "preferred_codecs",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "privacy",
            kind: Kind::String(Str {
                values: &["id", "none"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record",
            kind: Kind::String(Str {
                values: &["record-from-answer"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_channels",
            kind: Kind::String(Str {
                values: &["single", "dual"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_custom_file_name",
            kind: Kind::String(Str {
                values: &[],
                min_len: Some(1),
                max_len: Some(40),
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_format",
            kind: Kind::String(Str {
                values: &["wav", "mp3"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_max_length",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "record_timeout_secs",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "record_track",
            kind: Kind::String(Str {
                values: &["both", "inbound", "outbound"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_trim",
            kind: Kind::String(Str {
                values: &["trim-silence"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "send_digits_on_answer",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sip_auth_password",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sip_auth_username",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sip_headers",
            kind: Kind::Array {
                items: &Kind::Object(&SIP_HEADER),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "sip_region",
            kind: Kind::String(Str {
                values: &["US", "Europe", "Canada", "Australia", "Middle East"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sip_transport_protocol",
            kind: Kind::String(Str {
                values: &["UDP", "TCP", "TLS"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sound_modifications",
            kind: Kind::Object(&SOUND_MODIFICATIONS),
            required: false,
        },
        Field {
            name: "target_leg_client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "time_limit_secs",
            kind: Kind::Integer(Bounds {
                min: Some(30.0),
                max: Some(14400.0),
            }),
            required: false,
        },
        Field {
            name: "timeout_secs",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "to",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "webhook_retries_policies",
            kind: Kind::Map(&Kind::Object(&Object {
                name: "TransferCallRequest.webhook_retries_policies.*",
                fields: &[Field {
                    name: "retries_ms",
                    kind: Kind::Array {
                        items: &Kind::Integer(Bounds {
                            min: None,
                            max: None,
                        }),
                        max_items: Some(5),
                    },
                    required: false,
                }],
            })),
            required: false,
        },
        Field {
            name: "webhook_url",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "webhook_url_method",
            kind: Kind::String(Str {
                values: &["POST", "GET"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "webhook_urls",
            kind: Kind::Map(&Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Uri,
            })),
            required: false,
        },
        Field {
            name: "webhook_urls_method",
            kind: Kind::String(Str {
                values: &["POST", "GET"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static CALL_REQUEST: Object = Object {
    name: "CallRequest",
    fields: &[
        Field {
            name: "answering_machine_detection",
            kind: Kind::String(Str {
                values: &[
                    "premium",
                    "detect",
                    "detect_beep",
                    "detect_words",
                    "greeting_end",
                    "disabled",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "answering_machine_detection_config",
            kind: Kind::Object(&Object {
                name: "CallRequest.answering_machine_detection_config",
                fields: &[
                    Field {
                        name: "after_greeting_silence_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "between_words_silence_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "greeting_duration_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "greeting_silence_duration_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "greeting_total_analysis_time_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "initial_silence_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "maximum_number_of_words",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "maximum_word_length_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "silence_threshold",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "total_analysis_time_millis",
                        kind: Kind::Integer(Bounds {
                            min: Some(-2147483648.0),
                            max: Some(2147483647.0),
                        }),
                        required: false,
                    },
                ],
            }),
            required: false,
        },
        Field {
            name: "assistant",
            kind: Kind::Object(&CALL_ASSISTANT_REQUEST),
            required: false,
        },
        Field {
            name: "audio_url",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "billing_group_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Uuid,
            }),
            required: false,
        },
        Field {
            name: "bridge_intent",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "bridge_on_answer",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "conference_config",
            kind: Kind::Object(&Object {
                name: "CallRequest.conference_config",
                fields: &[
                    Field {
                        name: "beep_enabled",
                        kind: Kind::String(Str {
                            values: &["always", "never", "on_enter", "on_exit"],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "conference_name",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "early_media",
                        kind: Kind::Boolean,
                        required: false,
                    },
                    Field {
                        name: "end_conference_on_exit",
                        kind: Kind::Boolean,
                        required: false,
                    },
                    Field {
                        name: "hold",
                        kind: Kind::Boolean,
                        required: false,
                    },
                    Field {
                        name: "hold_audio_url",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "hold_media_name",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "id",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Uuid,
                        }),
                        required: false,
                    },
                    Field {
                        name: "mute",
                        kind: Kind::Boolean,
                        required: false,
                    },
                    Field {
                        name: "soft_end_conference_on_exit",
                        kind: Kind::Boolean,
                        required: false,
                    },
                    Field {
                        name: "start_conference_on_create",
                        kind: Kind::Boolean,
                        required: false,
                    },
                    Field {
                        name: "start_conference_on_enter",
                        kind: Kind::Boolean,
                        required: false,
                    },
                    Field {
                        name: "supervisor_role",
                        kind: Kind::String(Str {
                            values: &["barge", "monitor", "none", "whisper"],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "whisper_call_control_ids",
                        kind: Kind::Array {
                            items: &Kind::String(Str {
                                values: &[],
                                min_len: None,
                                max_len: None,
                                format: Format::Text,
                            }),
                            max_items: None,
                        },
                        required: false,
                    },
                ],
            }),
            required: false,
        },
        Field {
            name: "connection_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "conversation_relay_config",
            kind: Kind::Object(&CONVERSATION_RELAY_EMBEDDED_CONFIG),
            required: false,
        },
        Field {
            name: "custom_headers",
            kind: Kind::Array {
                items: &Kind::Object(&CUSTOM_SIP_HEADER),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "deepfake_detection",
            kind: Kind::Object(&Object {
                name: "CallRequest.deepfake_detection",
                fields: &[
                    Field {
                        name: "enabled",
                        kind: Kind::Boolean,
                        required: true,
                    },
                    Field {
                        name: "rtp_timeout",
                        kind: Kind::Integer(Bounds {
                            min: Some(5.0),
                            max: Some(120.0),
                        }),
                        required: false,
                    },
                    Field {
                        name: "timeout",
                        kind: Kind::Integer(Bounds {
                            min: Some(5.0),
                            max: Some(60.0),
                        }),
                        required: false,
                    },
                ],
            }),
            required: false,
        },
        Field {
            name: "dialogflow_config",
            kind: Kind::Object(&DIALOGFLOW_CONFIG),
            required: false,
        },
        Field {
            name: "enable_dialogflow",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "from",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "from_display_name",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "link_to",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "media_encryption",
            kind: Kind::String(Str {
                values: &["disabled", "SRTP", "DTLS"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "media_name",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "park_after_unbridge",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "preferred_codecs",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "prevent_double_bridge",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "privacy",
            kind: Kind::String(Str {
                values: &["id", "none"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record",
            kind: Kind::String(Str {
                values: &["record-from-answer"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_channels",
            kind: Kind::String(Str {
                values: &["single", "dual"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_custom_file_name",
            kind: Kind::String(Str {
                values: &[],
                min_len: Some(1),
                max_len: Some(40),
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_format",
            kind: Kind::String(Str {
                values: &["wav", "mp3"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_max_length",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "record_timeout_secs",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "record_track",
            kind: Kind::String(Str {
                values: &["both", "inbound", "outbound"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "record_trim",
            kind: Kind::String(Str {
                values: &["trim-silence"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "retry_on_timeout",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "send_digits_on_answer",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "send_silence_when_idle",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "sip_auth_password",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sip_auth_username",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sip_headers",
            kind: Kind::Array {
                items: &Kind::Object(&SIP_HEADER),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "sip_region",
            kind: Kind::String(Str {
                values: &["US", "Europe", "Canada", "Australia", "Middle East"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sip_transport_protocol",
            kind: Kind::String(Str {
                values: &["UDP", "TCP", "TLS"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sound_modifications",
            kind: Kind::Object(&SOUND_MODIFICATIONS),
            required: false,
        },
        Field {
            name: "stream_auth_token",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: Some(4000),
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_bidirectional_codec",
            kind: Kind::String(Str {
                values: &["PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_bidirectional_mode",
            kind: Kind::String(Str {
                values: &["mp3", "rtp"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_bidirectional_sampling_rate",
            kind: Kind::Integer(Bounds {
                min: None,
                max: None,
            }),
            required: false,
        },
        Field {
            name: "stream_bidirectional_target_legs",
            kind: Kind::String(Str {
                values: &["both", "self", "opposite"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_codec",
            kind: Kind::String(Str {
                values: &["PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16", "default"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_establish_before_call_originate",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "stream_track",
            kind: Kind::String(Str {
                values: &["inbound_track", "outbound_track", "both_tracks"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "stream_url",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "supervise_call_control_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "supervisor_role",
            kind: Kind::String(Str {
                values: &["barge", "whisper", "monitor"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "time_limit_secs",
            kind: Kind::Integer(Bounds {
                min: Some(30.0),
                max: Some(14400.0),
            }),
            required: false,
        },
        Field {
            name: "timeout_secs",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "to",
            kind: Kind::OneOf(&[
                Kind::String(Str {
                    values: &[],
                    min_len: None,
                    max_len: None,
                    format: Format::Text,
                }),
                Kind::Array {
                    items: &Kind::String(Str {
                        values: &[],
                        min_len: None,
                        max_len: None,
                        format: Format::Text,
                    }),
                    max_items: None,
                },
            ]),
            required: true,
        },
        Field {
            name: "transcription",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "transcription_config",
            kind: Kind::Object(&TRANSCRIPTION_START_REQUEST),
            required: false,
        },
        Field {
            name: "webhook_retries_policies",
            kind: Kind::Map(&Kind::Object(&Object {
                name: "CallRequest.webhook_retries_policies.*",
                fields: &[Field {
                    name: "retries_ms",
                    kind: Kind::Array {
                        items: &Kind::Integer(Bounds {
                            min: None,
                            max: None,
                        }),
                        max_items: Some(5),
                    },
                    required: false,
                }],
            })),
            required: false,
        },
        Field {
            name: "webhook_url",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "webhook_url_method",
            kind: Kind::String(Str {
                values: &["POST", "GET"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "webhook_urls",
            kind: Kind::Map(&Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Uri,
            })),
            required: false,
        },
        Field {
            name: "webhook_urls_method",
            kind: Kind::String(Str {
                values: &["POST", "GET"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static CALL_ASSISTANT_REQUEST: Object = Object {
    name: "CallAssistantRequest",
    fields: &[
        Field {
            name: "dynamic_variables",
            kind: Kind::Map(&Kind::OneOf(&[
                Kind::String(Str {
                    values: &[],
                    min_len: None,
                    max_len: None,
                    format: Format::Text,
                }),
                Kind::Number(Bounds {
                    min: None,
                    max: None,
                }),
                Kind::Boolean,
            ])),
            required: false,
        },
        Field {
            name: "external_llm",
            kind: Kind::Object(&Object {
                name: "CallAssistantRequest.external_llm",
                fields: &[
                    Field {
                        name: "authentication_method",
                        kind: Kind::String(Str {
                            values: &["token", "certificate"],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "base_url",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "certificate_ref",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "forward_metadata",
                        kind: Kind::Boolean,
                        required: false,
                    },
                    Field {
                        name: "llm_api_key_ref",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "model",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "token_retrieval_url",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                ],
            }),
            required: false,
        },
        Field {
            name: "fallback_config",
            kind: Kind::Object(&Object {
                name: "CallAssistantRequest.fallback_config",
                fields: &[
                    Field {
                        name: "external_llm",
                        kind: Kind::Object(&Object {
                            name: "CallAssistantRequest.fallback_config.external_llm",
                            fields: &[
                                Field {
                                    name: "authentication_method",
                                    kind: Kind::String(Str {
                                        values: &["token", "certificate"],
                                        min_len: None,
                                        max_len: None,
                                        format: Format::Text,
                                    }),
                                    required: false,
                                },
                                Field {
                                    name: "base_url",
                                    kind: Kind::String(Str {
                                        values: &[],
                                        min_len: None,
                                        max_len: None,
                                        format: Format::Text,
                                    }),
                                    required: false,
                                },
                                Field {
                                    name: "certificate_ref",
                                    kind: Kind::String(Str {
                                        values: &[],
                                        min_len: None,
                                        max_len: None,
                                        format: Format::Text,
                                    }),
                                    required: false,
                                },
                                Field {
                                    name: "forward_metadata",
                                    kind: Kind::Boolean,
                                    required: false,
                                },
                                Field {
                                    name: "llm_api_key_ref",
                                    kind: Kind::String(Str {
                                        values: &[],
                                        min_len: None,
                                        max_len: None,
                                        format: Format::Text,
                                    }),
                                    required: false,
                                },
                                Field {
                                    name: "model",
                                    kind: Kind::String(Str {
                                        values: &[],
                                        min_len: None,
                                        max_len: None,
                                        format: Format::Text,
                                    }),
                                    required: false,
                                },
                                Field {
                                    name: "token_retrieval_url",
                                    kind: Kind::String(Str {
                                        values: &[],
                                        min_len: None,
                                        max_len: None,
                                        format: Format::Text,
                                    }),
                                    required: false,
                                },
                            ],
                        }),
                        required: false,
                    },
                    Field {
                        name: "llm_api_key_ref",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                    Field {
                        name: "model",
                        kind: Kind::String(Str {
                            values: &[],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                ],
            }),
            required: false,
        },
        Field {
            name: "greeting",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: Some(3000),
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "instructions",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "llm_api_key_ref",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "mcp_servers",
            kind: Kind::Array {
                items: &Kind::Object(&Object {
                    name: "CallAssistantRequest.mcp_servers[]",
                    fields: &[],
                }),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "model",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "name",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "observability_settings",
            kind: Kind::Object(&Object {
                name: "CallAssistantRequest.observability_settings",
                fields: &[],
            }),
            required: false,
        },
        Field {
            name: "openai_api_key_ref",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "tools",
            kind: Kind::Array {
                items: &Kind::Tagged(&Tagged {
                    tag: "type",
                    variants: &[
                        ("book_appointment", Kind::Object(&BOOK_APPOINTMENT_TOOL)),
                        ("check_availability", Kind::Object(&CHECK_AVAILABILITY_TOOL)),
                        ("hangup", Kind::Object(&HANGUP_TOOL)),
                        ("retrieval", Kind::Object(&CALL_CONTROL_RETRIEVAL_TOOL)),
                        ("transfer", Kind::Object(&TRANSFER_TOOL)),
                        ("webhook", Kind::Object(&WEBHOOK_TOOL)),
                    ],
                }),
                max_items: None,
            },
            required: false,
        },
    ],
};

static CONVERSATION_RELAY_EMBEDDED_CONFIG: Object = Object {
    name: "ConversationRelayEmbeddedConfig",
    fields: &[
        Field {
            name: "custom_parameters",
            kind: Kind::AnyObject,
            required: false,
        },
        Field {
            name: "dtmf_detection",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "greeting",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "interruptible",
            kind: Kind::String(Str {
                values: &["none", "any", "speech", "dtmf"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "interruptible_greeting",
            kind: Kind::String(Str {
                values: &["none", "any", "speech", "dtmf"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "interruption_settings",
            kind: Kind::Object(&CONVERSATION_RELAY_INTERRUPTION_SETTINGS),
            required: false,
        },
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "languages",
            kind: Kind::Array {
                items: &Kind::Object(&CONVERSATION_RELAY_LANGUAGE),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "provider",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "structured_provider",
            kind: Kind::AnyObject,
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &[
                    "Google",
                    "Telnyx",
                    "Deepgram",
                    "Azure",
                    "xAI",
                    "AssemblyAI",
                    "Speechmatics",
                    "Soniox",
                    "A",
                    "B",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_engine_config",
            kind: Kind::AnyObject,
            required: false,
        },
        Field {
            name: "tts_provider",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "url",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::WebSocketUrl,
            }),
            required: true,
        },
        Field {
            name: "voice",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "voice_settings",
            kind: Kind::Tagged(&Tagged {
                tag: "type",
                variants: &[
                    ("aws", Kind::Object(&AWS_VOICE_SETTINGS)),
                    ("azure", Kind::Object(&AZURE_VOICE_SETTINGS)),
                    ("elevenlabs", Kind::Object(&ELEVEN_LABS_VOICE_SETTINGS)),
                    ("inworld", Kind::Object(&INWORLD_VOICE_SETTINGS)),
                    ("minimax", Kind::Object(&MINIMAX_VOICE_SETTINGS)),
                    ("resemble", Kind::Object(&RESEMBLE_VOICE_SETTINGS)),
                    ("rime", Kind::Object(&RIME_VOICE_SETTINGS)),
                    ("telnyx", Kind::Object(&TELNYX_VOICE_SETTINGS)),
                    ("xai", Kind::Object(&XAI_VOICE_SETTINGS)),
                ],
            }),
            required: false,
        },
    ],
};

static CUSTOM_SIP_HEADER: Object = Object {
    name: "CustomSipHeader",
    fields: &[
        Field {
            name: "name",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "value",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static SIP_HEADER: Object = Object {
    name: "SipHeader",
    fields: &[
        Field {
            name: "name",
            kind: Kind::String(Str {
                values: &["User-to-User"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "value",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static SOUND_MODIFICATIONS: Object = Object {
    name: "SoundModifications",
    fields: &[
        Field {
            name: "octaves",
            kind: Kind::Number(Bounds {
                min: None,
                max: None,
            }),
            required: false,
        },
        Field {
            name: "pitch",
            kind: Kind::Number(Bounds {
                min: None,
                max: None,
            }),
            required: false,
        },
        Field {
            name: "semitone",
            kind: Kind::Number(Bounds {
                min: None,
                max: None,
            }),
            required: false,
        },
        Field {
            name: "track",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static TRANSCRIPTION_START_REQUEST: Object = Object {
    name: "TranscriptionStartRequest",
    fields: &[
        Field {
            name: "client_state",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "command_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &[
                    "Google",
                    "Telnyx",
                    "Deepgram",
                    "Azure",
                    "xAI",
                    "AssemblyAI",
                    "Speechmatics",
                    "Soniox",
                    "Parakeet",
                    "A",
                    "B",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_engine_config",
            kind: Kind::Tagged(&Tagged {
                tag: "transcription_engine",
                variants: &[
                    ("A", Kind::Object(&TRANSCRIPTION_ENGINE_A_CONFIG)),
                    (
                        "AssemblyAI",
                        Kind::Object(&TRANSCRIPTION_ENGINE_ASSEMBLYAI_CONFIG),
                    ),
                    ("Azure", Kind::Object(&TRANSCRIPTION_ENGINE_AZURE_CONFIG)),
                    ("B", Kind::Object(&TRANSCRIPTION_ENGINE_B_CONFIG)),
                    (
                        "Deepgram",
                        Kind::Tagged(&Tagged {
                            tag: "transcription_model",
                            variants: &[
                                ("deepgram/nova-2", Kind::Object(&DEEPGRAM_NOVA2_CONFIG)),
                                ("deepgram/nova-3", Kind::Object(&DEEPGRAM_NOVA3_CONFIG)),
                            ],
                        }),
                    ),
                    ("Google", Kind::Object(&TRANSCRIPTION_ENGINE_GOOGLE_CONFIG)),
                    (
                        "Parakeet",
                        Kind::Object(&TRANSCRIPTION_ENGINE_PARAKEET_CONFIG),
                    ),
                    ("Soniox", Kind::Object(&TRANSCRIPTION_ENGINE_SONIOX_CONFIG)),
                    (
                        "Speechmatics",
                        Kind::Object(&TRANSCRIPTION_ENGINE_SPEECHMATICS_CONFIG),
                    ),
                    ("Telnyx", Kind::Object(&TRANSCRIPTION_ENGINE_TELNYX_CONFIG)),
                    ("xAI", Kind::Object(&TRANSCRIPTION_ENGINE_XAI_CONFIG)),
                ],
            }),
            required: false,
        },
        Field {
            name: "transcription_tracks",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static NOISE_SUPPRESSION_ENGINE_CONFIG: Object = Object {
    name: "NoiseSuppressionEngineConfig",
    fields: &[
        Field {
            name: "attenuation_limit",
            kind: Kind::Integer(Bounds {
                min: Some(0.0),
                max: Some(100.0),
            }),
            required: false,
        },
        Field {
            name: "enhancement_level",
            kind: Kind::Number(Bounds {
                min: Some(0.0),
                max: Some(1.0),
            }),
            required: false,
        },
        Field {
            name: "family",
            kind: Kind::String(Str {
                values: &["sparrow", "quail"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "mode",
            kind: Kind::String(Str {
                values: &["standard", "advanced"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "model",
            kind: Kind::String(Str {
                values: &[
                    "krisp-viva-tel-v2.kef",
                    "krisp-viva-tel-lite-v1.kef",
                    "krisp-viva-pro-v1.kef",
                    "krisp-viva-ss-v1.kef",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "size",
            kind: Kind::String(Str {
                values: &["s", "l", "xs", "xxs", "vf_l", "vf_1_1_l"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "suppression_level",
            kind: Kind::Number(Bounds {
                min: Some(0.0),
                max: Some(100.0),
            }),
            required: false,
        },
        Field {
            name: "voice_gain",
            kind: Kind::Number(Bounds {
                min: Some(0.1),
                max: Some(4.0),
            }),
            required: false,
        },
    ],
};

static DIALOGFLOW_CONFIG: Object = Object {
    name: "DialogflowConfig",
    fields: &[
        Field {
            name: "analyze_sentiment",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "partial_automated_agent_reply",
            kind: Kind::Boolean,
            required: false,
        },
    ],
};

static BOOK_APPOINTMENT_TOOL: Object = Object {
    name: "BookAppointmentTool",
    fields: &[
        Field {
            name: "book_appointment",
            kind: Kind::Object(&BOOK_APPOINTMENT_TOOL_PARAMS),
            required: true,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["book_appointment"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static CHECK_AVAILABILITY_TOOL: Object = Object {
    name: "CheckAvailabilityTool",
    fields: &[
        Field {
            name: "check_availability",
            kind: Kind::Object(&CHECK_AVAILABILITY_TOOL_PARAMS),
            required: true,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["check_availability"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static HANGUP_TOOL: Object = Object {
    name: "HangupTool",
    fields: &[
        Field {
            name: "hangup",
            kind: Kind::Object(&HANGUP_TOOL_PARAMS),
            required: true,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["hangup"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static CALL_CONTROL_RETRIEVAL_TOOL: Object = Object {
    name: "CallControlRetrievalTool",
    fields: &[
        Field {
            name: "retrieval",
            kind: Kind::Object(&CALL_CONTROL_BUCKET_IDS),
            required: true,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["retrieval"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static TRANSFER_TOOL: Object = Object {
    name: "TransferTool",
    fields: &[
        Field {
            name: "transfer",
            kind: Kind::Object(&CALL_CONTROL_TRANSFER_TOOL_PARAMS),
            required: true,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["transfer"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static WEBHOOK_TOOL: Object = Object {
    name: "WebhookTool",
    fields: &[
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["webhook"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "webhook",
            kind: Kind::Object(&CALL_CONTROL_WEBHOOK_TOOL_PARAMS),
            required: true,
        },
    ],
};

static CONVERSATION_RELAY_INTERRUPTION_SETTINGS: Object = Object {
    name: "ConversationRelayInterruptionSettings",
    fields: &[
        Field {
            name: "enable",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "interruptible",
            kind: Kind::String(Str {
                values: &["none", "any", "speech", "dtmf"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "interruptible_greeting",
            kind: Kind::String(Str {
                values: &["none", "any", "speech", "dtmf"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "welcome_greeting_interruptible",
            kind: Kind::String(Str {
                values: &["none", "any", "speech", "dtmf"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static CONVERSATION_RELAY_LANGUAGE: Object = Object {
    name: "ConversationRelayLanguage",
    fields: &[
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "speech_model",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &[
                    "Google",
                    "Telnyx",
                    "Deepgram",
                    "Azure",
                    "xAI",
                    "AssemblyAI",
                    "Speechmatics",
                    "Soniox",
                    "A",
                    "B",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_engine_config",
            kind: Kind::AnyObject,
            required: false,
        },
        Field {
            name: "transcription_provider",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "tts_provider",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "voice",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "voice_settings",
            kind: Kind::Tagged(&Tagged {
                tag: "type",
                variants: &[
                    ("aws", Kind::Object(&AWS_VOICE_SETTINGS)),
                    ("azure", Kind::Object(&AZURE_VOICE_SETTINGS)),
                    ("elevenlabs", Kind::Object(&ELEVEN_LABS_VOICE_SETTINGS)),
                    ("inworld", Kind::Object(&INWORLD_VOICE_SETTINGS)),
                    ("minimax", Kind::Object(&MINIMAX_VOICE_SETTINGS)),
                    ("resemble", Kind::Object(&RESEMBLE_VOICE_SETTINGS)),
                    ("rime", Kind::Object(&RIME_VOICE_SETTINGS)),
                    ("telnyx", Kind::Object(&TELNYX_VOICE_SETTINGS)),
                    ("xai", Kind::Object(&XAI_VOICE_SETTINGS)),
                ],
            }),
            required: false,
        },
    ],
};

static AWS_VOICE_SETTINGS: Object = Object {
    name: "AWSVoiceSettings",
    fields: &[Field {
        name: "type",
        kind: Kind::String(Str {
            values: &["aws"],
            min_len: None,
            max_len: None,
            format: Format::Text,
        }),
        required: true,
    }],
};

static AZURE_VOICE_SETTINGS: Object = Object {
    name: "AzureVoiceSettings",
    fields: &[
        Field {
            name: "api_key_ref",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "deployment_id",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "effect",
            kind: Kind::String(Str {
                values: &["eq_car", "eq_telecomhp8k"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "gender",
            kind: Kind::String(Str {
                values: &["Male", "Female"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "region",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["azure"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static ELEVEN_LABS_VOICE_SETTINGS: Object = Object {
    name: "ElevenLabsVoiceSettings",
    fields: &[
        Field {
            name: "api_key_ref",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["elevenlabs"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static INWORLD_VOICE_SETTINGS: Object = Object {
    name: "InworldVoiceSettings",
    fields: &[
        Field {
            name: "delivery_mode",
            kind: Kind::String(Str {
                values: &["STABLE", "BALANCED", "CREATIVE"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["inworld"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static MINIMAX_VOICE_SETTINGS: Object = Object {
    name: "MinimaxVoiceSettings",
    fields: &[
        Field {
            name: "language_boost",
            kind: Kind::Nullable(&Kind::String(Str {
                values: &[
                    "auto",
                    "Chinese",
                    "Chinese,Yue",
                    "English",
                    "Arabic",
                    "Russian",
                    "Spanish",
                    "French",
                    "Portuguese",
                    "German",
                    "Turkish",
                    "Dutch",
                    "Ukrainian",
                    "Vietnamese",
                    "Indonesian",
                    "Japanese",
                    "Italian",
                    "Korean",
                    "Thai",
                    "Polish",
                    "Romanian",
                    "Greek",
                    "Czech",
                    "Finnish",
                    "Hindi",
                    "Bulgarian",
                    "Danish",
                    "Hebrew",
                    "Malay",
                    "Persian",
                    "Slovak",
                    "Swedish",
                    "Croatian",
                    "Filipino",
                    "Hungarian",
                    "Norwegian",
                    "Slovenian",
                    "Catalan",
                    "Nynorsk",
                    "Tamil",
                    "Afrikaans",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            })),
            required: false,
        },
        Field {
            name: "pitch",
            kind: Kind::Integer(Bounds {
                min: None,
                max: None,
            }),
            required: false,
        },
        Field {
            name: "speed",
            kind: Kind::Number(Bounds {
                min: None,
                max: None,
            }),
            required: false,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["minimax"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "vol",
            kind: Kind::Number(Bounds {
                min: None,
                max: None,
            }),
            required: false,
        },
    ],
};

static RESEMBLE_VOICE_SETTINGS: Object = Object {
    name: "ResembleVoiceSettings",
    fields: &[
        Field {
            name: "format",
            kind: Kind::String(Str {
                values: &["wav", "mp3"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "precision",
            kind: Kind::String(Str {
                values: &["PCM_16", "PCM_24", "PCM_32", "MULAW"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "sample_rate",
            kind: Kind::String(Str {
                values: &["8000", "16000", "22050", "32000", "44100", "48000"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["resemble"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static RIME_VOICE_SETTINGS: Object = Object {
    name: "RimeVoiceSettings",
    fields: &[
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["rime"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "voice_speed",
            kind: Kind::Number(Bounds {
                min: None,
                max: None,
            }),
            required: false,
        },
    ],
};

static TELNYX_VOICE_SETTINGS: Object = Object {
    name: "TelnyxVoiceSettings",
    fields: &[
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["telnyx"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "voice_speed",
            kind: Kind::Number(Bounds {
                min: Some(0.1),
                max: Some(2.0),
            }),
            required: false,
        },
    ],
};

static XAI_VOICE_SETTINGS: Object = Object {
    name: "XAIVoiceSettings",
    fields: &[
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "type",
            kind: Kind::String(Str {
                values: &["xai"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static TRANSCRIPTION_ENGINE_A_CONFIG: Object = Object {
    name: "TranscriptionEngineAConfig",
    fields: &[
        Field {
            name: "enable_speaker_diarization",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "hints",
            kind: Kind::Array {
                items: &Kind::String(Str {
                    values: &[],
                    min_len: None,
                    max_len: None,
                    format: Format::Text,
                }),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "interim_results",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[
                    "af", "sq", "am", "ar", "hy", "az", "eu", "bn", "bs", "bg", "my", "ca", "yue",
                    "zh", "hr", "cs", "da", "nl", "en", "et", "fil", "fi", "fr", "gl", "ka", "de",
                    "el", "gu", "iw", "hi", "hu", "is", "id", "it", "ja", "jv", "kn", "kk", "km",
                    "ko", "lo", "lv", "lt", "mk", "ms", "ml", "mr", "mn", "ne", "no", "fa", "pl",
                    "pt", "pa", "ro", "ru", "rw", "sr", "si", "sk", "sl", "ss", "st", "es", "su",
                    "sw", "sv", "ta", "te", "th", "tn", "tr", "ts", "uk", "ur", "uz", "ve", "vi",
                    "xh", "zu",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "max_speaker_count",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "min_speaker_count",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "model",
            kind: Kind::String(Str {
                values: &[
                    "latest_long",
                    "latest_short",
                    "command_and_search",
                    "phone_call",
                    "video",
                    "default",
                    "medical_conversation",
                    "medical_dictation",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "profanity_filter",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "speech_context",
            kind: Kind::Array {
                items: &Kind::Object(&Object {
                    name: "TranscriptionEngineAConfig.speech_context[]",
                    fields: &[
                        Field {
                            name: "boost",
                            kind: Kind::Number(Bounds {
                                min: Some(0.0),
                                max: Some(20.0),
                            }),
                            required: false,
                        },
                        Field {
                            name: "phrases",
                            kind: Kind::Array {
                                items: &Kind::String(Str {
                                    values: &[],
                                    min_len: None,
                                    max_len: None,
                                    format: Format::Text,
                                }),
                                max_items: None,
                            },
                            required: false,
                        },
                    ],
                }),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["A"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "use_enhanced",
            kind: Kind::Boolean,
            required: false,
        },
    ],
};

static TRANSCRIPTION_ENGINE_ASSEMBLYAI_CONFIG: Object = Object {
    name: "TranscriptionEngineAssemblyaiConfig",
    fields: &[
        Field {
            name: "interim_results",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["AssemblyAI"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_model",
            kind: Kind::String(Str {
                values: &["assemblyai/universal-streaming"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static TRANSCRIPTION_ENGINE_AZURE_CONFIG: Object = Object {
    name: "TranscriptionEngineAzureConfig",
    fields: &[
        Field {
            name: "api_key_ref",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[
                    "af", "am", "ar", "bg", "bn", "bs", "ca", "cs", "cy", "da", "de", "el", "en",
                    "es", "et", "eu", "fa", "fi", "fr", "ga", "gl", "gu", "he", "hi", "hr", "hu",
                    "hy", "id", "is", "it", "ja", "ka", "kk", "km", "kn", "ko", "lo", "lt", "lv",
                    "mk", "ml", "mn", "mr", "ms", "mt", "my", "nb", "ne", "nl", "pl", "ps", "pt",
                    "ro", "ru", "si", "sk", "sl", "so", "sq", "sr", "sv", "sw", "ta", "te", "th",
                    "tr", "uk", "ur", "uz", "vi", "wuu", "yue", "zh", "zu", "auto",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "region",
            kind: Kind::String(Str {
                values: &[
                    "australiaeast",
                    "centralindia",
                    "eastus",
                    "northcentralus",
                    "westeurope",
                    "westus2",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["Azure"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};

static TRANSCRIPTION_ENGINE_B_CONFIG: Object = Object {
    name: "TranscriptionEngineBConfig",
    fields: &[
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[
                    "en",
                    "zh",
                    "de",
                    "es",
                    "ru",
                    "ko",
                    "fr",
                    "ja",
                    "pt",
                    "tr",
                    "pl",
                    "ca",
                    "nl",
                    "ar",
                    "sv",
                    "it",
                    "id",
                    "hi",
                    "fi",
                    "vi",
                    "he",
                    "uk",
                    "el",
                    "ms",
                    "cs",
                    "ro",
                    "da",
                    "hu",
                    "ta",
                    "no",
                    "th",
                    "ur",
                    "hr",
                    "bg",
                    "lt",
                    "la",
                    "mi",
                    "ml",
                    "cy",
                    "sk",
                    "te",
                    "fa",
                    "lv",
                    "bn",
                    "sr",
                    "az",
                    "sl",
                    "kn",
                    "et",
                    "mk",
                    "br",
                    "eu",
                    "is",
                    "hy",
                    "ne",
                    "mn",
                    "bs",
                    "kk",
                    "sq",
                    "sw",
                    "gl",
                    "mr",
                    "pa",
                    "si",
                    "km",
                    "sn",
                    "yo",
                    "so",
                    "af",
                    "oc",
                    "ka",
                    "be",
                    "tg",
                    "sd",
                    "gu",
                    "am",
                    "yi",
                    "lo",
                    "uz",
                    "fo",
                    "ht",
                    "ps",
                    "tk",
                    "nn",
                    "mt",
                    "sa",
                    "lb",
                    "my",
                    "bo",
                    "tl",
                    "mg",
                    "as",
                    "tt",
                    "haw",
                    "ln",
                    "ha",
                    "ba",
                    "jw",
                    "su",
                    "auto_detect",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["B"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_model",
            kind: Kind::String(Str {
                values: &["openai/whisper-tiny", "openai/whisper-large-v3-turbo"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static DEEPGRAM_NOVA2_CONFIG: Object = Object {
    name: "DeepgramNova2Config",
    fields: &[
        Field {
            name: "hints",
            kind: Kind::Array {
                items: &Kind::String(Str {
                    values: &[],
                    min_len: None,
                    max_len: None,
                    format: Format::Text,
                }),
                max_items: Some(100),
            },
            required: false,
        },
        Field {
            name: "interim_results",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "keywords_boosting",
            kind: Kind::Map(&Kind::Number(Bounds {
                min: None,
                max: None,
            })),
            required: false,
        },
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[
                    "bg",
                    "ca",
                    "zh",
                    "zh-CN",
                    "zh-Hans",
                    "zh-TW",
                    "zh-Hant",
                    "zh-HK",
                    "cs",
                    "da",
                    "da-DK",
                    "nl",
                    "en",
                    "en-US",
                    "en-AU",
                    "en-GB",
                    "en-NZ",
                    "en-IN",
                    "et",
                    "fi",
                    "nl-BE",
                    "fr",
                    "fr-CA",
                    "de",
                    "de-CH",
                    "el",
                    "hi",
                    "hu",
                    "id",
                    "it",
                    "ja",
                    "ko",
                    "ko-KR",
                    "lv",
                    "lt",
                    "ms",
                    "no",
                    "pl",
                    "pt",
                    "pt-BR",
                    "pt-PT",
                    "ro",
                    "ru",
                    "sk",
                    "es",
                    "es-419",
                    "sv",
                    "sv-SE",
                    "th",
                    "th-TH",
                    "tr",
                    "uk",
                    "vi",
                    "auto_detect",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "smart_format",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["Deepgram"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "transcription_model",
            kind: Kind::String(Str {
                values: &["deepgram/nova-2"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "utterance_end_ms",
            kind: Kind::Integer(Bounds {
                min: Some(0.0),
                max: Some(5000.0),
            }),
            required: false,
        },
    ],
};

static DEEPGRAM_NOVA3_CONFIG: Object = Object {
    name: "DeepgramNova3Config",
    fields: &[
        Field {
            name: "interim_results",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "keyterms",
            kind: Kind::Array {
                items: &Kind::String(Str {
                    values: &[],
                    min_len: None,
                    max_len: None,
                    format: Format::Text,
                }),
                max_items: Some(100),
            },
            required: false,
        },
        Field {
            name: "keywords_boosting",
            kind: Kind::Map(&Kind::Number(Bounds {
                min: None,
                max: None,
            })),
            required: false,
        },
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[
                    "en",
                    "en-US",
                    "en-AU",
                    "en-GB",
                    "en-IN",
                    "en-NZ",
                    "de",
                    "nl",
                    "sv",
                    "sv-SE",
                    "da",
                    "da-DK",
                    "es",
                    "es-419",
                    "fr",
                    "fr-CA",
                    "pt",
                    "pt-BR",
                    "pt-PT",
                    "auto_detect",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "smart_format",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["Deepgram"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "transcription_model",
            kind: Kind::String(Str {
                values: &["deepgram/nova-3"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "utterance_end_ms",
            kind: Kind::Integer(Bounds {
                min: Some(0.0),
                max: Some(5000.0),
            }),
            required: false,
        },
    ],
};

static TRANSCRIPTION_ENGINE_GOOGLE_CONFIG: Object = Object {
    name: "TranscriptionEngineGoogleConfig",
    fields: &[
        Field {
            name: "enable_speaker_diarization",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "hints",
            kind: Kind::Array {
                items: &Kind::String(Str {
                    values: &[],
                    min_len: None,
                    max_len: None,
                    format: Format::Text,
                }),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "interim_results",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[
                    "af", "sq", "am", "ar", "hy", "az", "eu", "bn", "bs", "bg", "my", "ca", "yue",
                    "zh", "hr", "cs", "da", "nl", "en", "et", "fil", "fi", "fr", "gl", "ka", "de",
                    "el", "gu", "iw", "hi", "hu", "is", "id", "it", "ja", "jv", "kn", "kk", "km",
                    "ko", "lo", "lv", "lt", "mk", "ms", "ml", "mr", "mn", "ne", "no", "fa", "pl",
                    "pt", "pa", "ro", "ru", "rw", "sr", "si", "sk", "sl", "ss", "st", "es", "su",
                    "sw", "sv", "ta", "te", "th", "tn", "tr", "ts", "uk", "ur", "uz", "ve", "vi",
                    "xh", "zu",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "max_speaker_count",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "min_speaker_count",
            kind: Kind::Integer(Bounds {
                min: Some(-2147483648.0),
                max: Some(2147483647.0),
            }),
            required: false,
        },
        Field {
            name: "model",
            kind: Kind::String(Str {
                values: &[
                    "latest_long",
                    "latest_short",
                    "command_and_search",
                    "phone_call",
                    "video",
                    "default",
                    "medical_conversation",
                    "medical_dictation",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "profanity_filter",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "speech_context",
            kind: Kind::Array {
                items: &Kind::Object(&Object {
                    name: "TranscriptionEngineGoogleConfig.speech_context[]",
                    fields: &[
                        Field {
                            name: "boost",
                            kind: Kind::Number(Bounds {
                                min: Some(0.0),
                                max: Some(20.0),
                            }),
                            required: false,
                        },
                        Field {
                            name: "phrases",
                            kind: Kind::Array {
                                items: &Kind::String(Str {
                                    values: &[],
                                    min_len: None,
                                    max_len: None,
                                    format: Format::Text,
                                }),
                                max_items: None,
                            },
                            required: false,
                        },
                    ],
                }),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["Google"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "use_enhanced",
            kind: Kind::Boolean,
            required: false,
        },
    ],
};

static TRANSCRIPTION_ENGINE_PARAKEET_CONFIG: Object = Object {
    name: "TranscriptionEngineParakeetConfig",
    fields: &[
        Field {
            name: "interim_results",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["Parakeet"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_model",
            kind: Kind::String(Str {
                values: &["nvidia/parakeet-v3"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static TRANSCRIPTION_ENGINE_SONIOX_CONFIG: Object = Object {
    name: "TranscriptionEngineSonioxConfig",
    fields: &[
        Field {
            name: "enable_endpoint_detection",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "interim_results",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "max_endpoint_delay_ms",
            kind: Kind::Integer(Bounds {
                min: Some(500.0),
                max: Some(3000.0),
            }),
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["Soniox"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "transcription_model",
            kind: Kind::String(Str {
                values: &["soniox/stt-rt-v4"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static TRANSCRIPTION_ENGINE_SPEECHMATICS_CONFIG: Object = Object {
    name: "TranscriptionEngineSpeechmaticsConfig",
    fields: &[
        Field {
            name: "interim_results",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[
                    "en",
                    "ba",
                    "eu",
                    "gl",
                    "ga",
                    "mt",
                    "mn",
                    "sw",
                    "ug",
                    "cy",
                    "ar_en",
                    "cmn_en",
                    "en_ms",
                    "en_ta",
                    "tl",
                    "es-bilingual-en",
                    "cmn_en_ms_ta",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["Speechmatics"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_model",
            kind: Kind::String(Str {
                values: &["speechmatics/standard"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static TRANSCRIPTION_ENGINE_TELNYX_CONFIG: Object = Object {
    name: "TranscriptionEngineTelnyxConfig",
    fields: &[
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[
                    "en",
                    "zh",
                    "de",
                    "es",
                    "ru",
                    "ko",
                    "fr",
                    "ja",
                    "pt",
                    "tr",
                    "pl",
                    "ca",
                    "nl",
                    "ar",
                    "sv",
                    "it",
                    "id",
                    "hi",
                    "fi",
                    "vi",
                    "he",
                    "uk",
                    "el",
                    "ms",
                    "cs",
                    "ro",
                    "da",
                    "hu",
                    "ta",
                    "no",
                    "th",
                    "ur",
                    "hr",
                    "bg",
                    "lt",
                    "la",
                    "mi",
                    "ml",
                    "cy",
                    "sk",
                    "te",
                    "fa",
                    "lv",
                    "bn",
                    "sr",
                    "az",
                    "sl",
                    "kn",
                    "et",
                    "mk",
                    "br",
                    "eu",
                    "is",
                    "hy",
                    "ne",
                    "mn",
                    "bs",
                    "kk",
                    "sq",
                    "sw",
                    "gl",
                    "mr",
                    "pa",
                    "si",
                    "km",
                    "sn",
                    "yo",
                    "so",
                    "af",
                    "oc",
                    "ka",
                    "be",
                    "tg",
                    "sd",
                    "gu",
                    "am",
                    "yi",
                    "lo",
                    "uz",
                    "fo",
                    "ht",
                    "ps",
                    "tk",
                    "nn",
                    "mt",
                    "sa",
                    "lb",
                    "my",
                    "bo",
                    "tl",
                    "mg",
                    "as",
                    "tt",
                    "haw",
                    "ln",
                    "ha",
                    "ba",
                    "jw",
                    "su",
                    "auto_detect",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["Telnyx"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_model",
            kind: Kind::String(Str {
                values: &["openai/whisper-tiny", "openai/whisper-large-v3-turbo"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static TRANSCRIPTION_ENGINE_XAI_CONFIG: Object = Object {
    name: "TranscriptionEngineXaiConfig",
    fields: &[
        Field {
            name: "interim_results",
            kind: Kind::Boolean,
            required: false,
        },
        Field {
            name: "language",
            kind: Kind::String(Str {
                values: &[
                    "ar", "cs", "da", "de", "en", "es", "fa", "fil", "fr", "hi", "id", "it", "ja",
                    "ko", "mk", "ms", "nl", "pl", "pt", "ro", "ru", "sv", "th", "tr", "vi",
                ],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_engine",
            kind: Kind::String(Str {
                values: &["xAI"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "transcription_model",
            kind: Kind::String(Str {
                values: &["xai/grok-stt"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
    ],
};

static BOOK_APPOINTMENT_TOOL_PARAMS: Object = Object {
    name: "BookAppointmentToolParams",
    fields: &[
        Field {
            name: "api_key_ref",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "attendee_name",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "attendee_timezone",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "event_type_id",
            kind: Kind::Integer(Bounds {
                min: None,
                max: None,
            }),
            required: true,
        },
    ],
};

static CHECK_AVAILABILITY_TOOL_PARAMS: Object = Object {
    name: "CheckAvailabilityToolParams",
    fields: &[
        Field {
            name: "api_key_ref",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "event_type_id",
            kind: Kind::Integer(Bounds {
                min: None,
                max: None,
            }),
            required: true,
        },
    ],
};

static HANGUP_TOOL_PARAMS: Object = Object {
    name: "HangupToolParams",
    fields: &[Field {
        name: "description",
        kind: Kind::String(Str {
            values: &[],
            min_len: None,
            max_len: None,
            format: Format::Text,
        }),
        required: false,
    }],
};

static CALL_CONTROL_BUCKET_IDS: Object = Object {
    name: "CallControlBucketIds",
    fields: &[
        Field {
            name: "bucket_ids",
            kind: Kind::Array {
                items: &Kind::String(Str {
                    values: &[],
                    min_len: None,
                    max_len: None,
                    format: Format::Text,
                }),
                max_items: None,
            },
            required: true,
        },
        Field {
            name: "max_num_results",
            kind: Kind::Integer(Bounds {
                min: None,
                max: None,
            }),
            required: false,
        },
    ],
};

static CALL_CONTROL_TRANSFER_TOOL_PARAMS: Object = Object {
    name: "CallControlTransferToolParams",
    fields: &[
        Field {
            name: "from",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "targets",
            kind: Kind::OneOf(&[
                Kind::Array {
                    items: &Kind::Object(&Object {
                        name: "CallControlTransferToolParams.targets|0[]",
                        fields: &[
                            Field {
                                name: "name",
                                kind: Kind::String(Str {
                                    values: &[],
                                    min_len: None,
                                    max_len: None,
                                    format: Format::Text,
                                }),
                                required: false,
                            },
                            Field {
                                name: "to",
                                kind: Kind::String(Str {
                                    values: &[],
                                    min_len: None,
                                    max_len: None,
                                    format: Format::Text,
                                }),
                                required: true,
                            },
                        ],
                    }),
                    max_items: None,
                },
                Kind::String(Str {
                    values: &[],
                    min_len: None,
                    max_len: None,
                    format: Format::Text,
                }),
            ]),
            required: true,
        },
    ],
};

static CALL_CONTROL_WEBHOOK_TOOL_PARAMS: Object = Object {
    name: "CallControlWebhookToolParams",
    fields: &[
        Field {
            name: "body_parameters",
            kind: Kind::Object(&Object {
                name: "CallControlWebhookToolParams.body_parameters",
                fields: &[
                    Field {
                        name: "properties",
                        kind: Kind::AnyObject,
                        required: false,
                    },
                    Field {
                        name: "required",
                        kind: Kind::Array {
                            items: &Kind::String(Str {
                                values: &[],
                                min_len: None,
                                max_len: None,
                                format: Format::Text,
                            }),
                            max_items: None,
                        },
                        required: false,
                    },
                    Field {
                        name: "type",
                        kind: Kind::String(Str {
                            values: &["object"],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                ],
            }),
            required: false,
        },
        Field {
            name: "description",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "headers",
            kind: Kind::Array {
                items: &Kind::Object(&Object {
                    name: "CallControlWebhookToolParams.headers[]",
                    fields: &[
                        Field {
                            name: "name",
                            kind: Kind::String(Str {
                                values: &[],
                                min_len: None,
                                max_len: None,
                                format: Format::Text,
                            }),
                            required: false,
                        },
                        Field {
                            name: "value",
                            kind: Kind::String(Str {
                                values: &[],
                                min_len: None,
                                max_len: None,
                                format: Format::Text,
                            }),
                            required: false,
                        },
                    ],
                }),
                max_items: None,
            },
            required: false,
        },
        Field {
            name: "method",
            kind: Kind::String(Str {
                values: &["GET", "POST", "PUT", "DELETE", "PATCH"],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: false,
        },
        Field {
            name: "name",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
        Field {
            name: "path_parameters",
            kind: Kind::Object(&Object {
                name: "CallControlWebhookToolParams.path_parameters",
                fields: &[
                    Field {
                        name: "properties",
                        kind: Kind::AnyObject,
                        required: false,
                    },
                    Field {
                        name: "required",
                        kind: Kind::Array {
                            items: &Kind::String(Str {
                                values: &[],
                                min_len: None,
                                max_len: None,
                                format: Format::Text,
                            }),
                            max_items: None,
                        },
                        required: false,
                    },
                    Field {
                        name: "type",
                        kind: Kind::String(Str {
                            values: &["object"],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                ],
            }),
            required: false,
        },
        Field {
            name: "query_parameters",
            kind: Kind::Object(&Object {
                name: "CallControlWebhookToolParams.query_parameters",
                fields: &[
                    Field {
                        name: "properties",
                        kind: Kind::AnyObject,
                        required: false,
                    },
                    Field {
                        name: "required",
                        kind: Kind::Array {
                            items: &Kind::String(Str {
                                values: &[],
                                min_len: None,
                                max_len: None,
                                format: Format::Text,
                            }),
                            max_items: None,
                        },
                        required: false,
                    },
                    Field {
                        name: "type",
                        kind: Kind::String(Str {
                            values: &["object"],
                            min_len: None,
                            max_len: None,
                            format: Format::Text,
                        }),
                        required: false,
                    },
                ],
            }),
            required: false,
        },
        Field {
            name: "url",
            kind: Kind::String(Str {
                values: &[],
                min_len: None,
                max_len: None,
                format: Format::Text,
            }),
            required: true,
        },
    ],
};
