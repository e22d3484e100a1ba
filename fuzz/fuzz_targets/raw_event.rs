//! Arbitrary bytes as a Lambda event; see `tower_lambda_fuzz::check_raw_event`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tower_lambda_fuzz::check_raw_event(data);
});
