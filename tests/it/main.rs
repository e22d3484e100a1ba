//! The integration tests that need no process of their own, in one test binary (one link
//! instead of eleven): recorded and hand-written events through `Serve::invoke`, the builders,
//! the request context, detection, errors and bad input, non-HTTP events, redirects behind a
//! removed prefix, property tests and the fuzz regressions. The end-to-end tests that read or set
//! the process environment, start the runtime or measure the process's memory stay in
//! `tests/*.rs`, one binary each.

mod builders;
mod context;
mod detection;
mod errors;
mod events;
mod fixtures;
mod fuzz_regressions;
mod malformed;
mod properties;
mod redirects;
mod services;
