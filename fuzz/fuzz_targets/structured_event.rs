//! Well-formed events of every source with arbitrary field values; see
//! `tower_lambda_fuzz::check_structured_event`.
#![no_main]

use tower_lambda_fuzz::StructuredEvent;

libfuzzer_sys::fuzz_target!(|input: StructuredEvent| {
    tower_lambda_fuzz::check_structured_event(&input);
});
