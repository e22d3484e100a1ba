//! Arbitrary service responses answered to every source; see
//! `tower_lambda_fuzz::check_service_response`.
#![no_main]

use tower_lambda_fuzz::ServiceResponse;

libfuzzer_sys::fuzz_target!(|input: ServiceResponse| {
    tower_lambda_fuzz::check_service_response(&input);
});
