//! VPC Lattice (a Lambda target group), event structure versions V1 and V2.
//!
//! Request: the top-level `method` is what only Lattice events have. V1 (snake case, no request
//! context) has `raw_path`, `headers` whose repeated values Lattice joined with `", "`,
//! `query_string_parameters` (the last value of a repeated key) and `is_base64_encoded`. V2 says
//! `"version": "2.0"` like an HTTP API event, but has `path`, `method`, `headers` and
//! `queryStringParameters` as lists of values, and a `requestContext` with the service network,
//! service, target group and caller identity. The documented path carries the client's query
//! string (`/items?a=1`): it is used as it is; the query maps are the fallback when the path has
//! none. Lattice passes the path on as the client sent it (percent-encoding kept), like ALB, and
//! query-map values are taken as still encoded too. The client's address is the last
//! `X-Forwarded-For` entry, which Lattice appends.
//!
//! Response (both versions): `statusCode`, `headers` (a map of strings: repeated names joined with
//! `", "`, every `Set-Cookie` under its own letter-case spelling of the name, since Lattice
//! documents no list form), `body` (a string, empty for no body) and `isBase64Encoded`.
//!
//! Identified by: `method` with the snake-case `raw_path` (V1), or `method` with `"version":
//! "2.0"` and a `requestContext` (V2). A top-level `method` alone is a JSON-RPC call's as much
//! as Lattice's.

use http::Request;
use serde::Serializer;

use super::codec::{Rejected, Source, SourceCodec};
use super::payload_1_0;
use super::request::{assemble, body, header_map, method, route, StageRule};
use crate::body::Body;
use crate::config::Config;
use crate::event::{Event, Str};
use crate::response::LambdaResponse;
use crate::uri::{Encoding, Query};

/// A VPC Lattice target group event, in either structure version.
pub(crate) struct VpcLattice;

impl SourceCodec for VpcLattice {
    fn detect(event: &Event<'_>) -> Option<Source> {
        event.method.as_ref()?;
        if event.lattice_raw_path.is_some() {
            return Some(Source::VpcLatticeV1);
        }
        (event.version_is("2.0") && event.request_context.is_some()).then_some(Source::VpcLatticeV2)
    }

    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected> {
        let v2 = event.lattice_raw_path.is_none();
        Self::decode_version(event, config, v2)
    }

    fn serialize<S: Serializer>(
        &self,
        response: &LambdaResponse,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        payload_1_0::serialize_single_value(response, serializer)
    }
}

impl VpcLattice {
    /// [`SourceCodec::decode`] for the version detection found.
    pub(crate) fn decode_version(
        event: &mut Event<'_>,
        config: &Config,
        v2: bool,
    ) -> Result<Request<Body>, Rejected> {
        let source = if v2 {
            Source::VpcLatticeV2
        } else {
            Source::VpcLatticeV1
        };
        let method = method(event.method.as_ref(), source.name(), "method")?;
        let body = body(event)?;
        let headers = header_map(event.headers.as_ref(), event)?;
        let path_field = if v2 {
            &event.path
        } else {
            &event.lattice_raw_path
        };
        let full = path_field.as_ref().map_or("/", Str::as_str);
        let (path, query_in_path) = match full.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (full, None),
        };
        let mut query = Query::default();
        match query_in_path {
            Some(raw) => query.raw(raw),
            None => {
                let pairs = event.query_string_parameters.iter().flat_map(|p| p.iter());
                for (key, value) in pairs {
                    query.param(key, value, Encoding::Encoded);
                }
            }
        }
        let routed = route(path, event, StageRule::None, config);
        assemble(
            method,
            routed,
            Encoding::Encoded,
            &query,
            headers,
            None,
            body,
            config,
        )
    }
}
