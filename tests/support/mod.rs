pub mod http;
pub mod runtime_api;
