#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| telnyx_edge_fuzz::fuzzing::automations(data));
