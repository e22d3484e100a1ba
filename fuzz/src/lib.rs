//! Invariant checks behind tower-lambda's cargo-fuzz targets.
//!
//! These files are the library of the `tower-lambda-fuzz` crate (used by the libFuzzer targets
//! in `fuzz/fuzz_targets/`) and, through `#[path = "../fuzz/src/lib.rs"] mod checks;`, a module
//! of the root crate's `tests/it/fuzz_regressions.rs`, which replays every input in
//! `fuzz/regressions/`. They therefore use only dependencies the root crate also has, nothing
//! from `libfuzzer-sys`, and reach each other only through `super::` (never `crate::`, which is
//! the test crate there).
//!
//! Every check runs events through [`Serve::invoke`], the production decode → service → encode
//! path. A violated invariant is a panic whose message names the invariant and shows the event.
//!
//! - [`check_raw_event`] (`raw_event.rs`): arbitrary bytes as an event.
//! - [`check_structured_event`] (`structured_event.rs`): a well-formed event of one source with
//!   arbitrary field values.
//! - [`check_service_response`] (`service_response.rs`): an arbitrary service response,
//!   answered to every source.
//!
//! What they share — running the service, reading the response JSON, the URI and reply checks,
//! [`Text`] — is `oracle.rs`, which imports no target. The adapter's rules the checks depend on
//! come from `tower_lambda::__rules`, never from a copy.
//!
//! [`Serve::invoke`]: tower_lambda::Serve::invoke

mod oracle;
mod raw_event;
mod service_response;
mod structured_event;

// Each target's input types and `check_*` function, at the crate root where the targets and the
// regression test name them (`tower_lambda_fuzz::X`, `checks::X`).
pub use oracle::Text;
pub use raw_event::*;
pub use service_response::*;
pub use structured_event::*;
