//! The one-pass envelope every HTTP event is read into.
//!
//! The HTTP event sources share one JSON vocabulary (`httpMethod`, `rawPath`, `headers`,
//! `multiValueHeaders`, `requestContext`, ...; VPC Lattice's payload V1 spells some of them in
//! snake case, read here as aliases), so the event is deserialized once into a single
//! borrowed [`Event`] holding every field any source uses. Each source module then *detects*
//! itself from fields that are already parsed: no event is parsed more than once, and no
//! candidate type is trial-parsed. Strings borrow from the raw event bytes unless they contain
//! JSON escapes.

use bytes::Bytes;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// A JSON string borrowed from the event when it has no escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Str<'a>(pub(crate) Cow<'a, str>);

impl Str<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(StrVisitor(std::marker::PhantomData))
    }
}

struct StrVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for StrVisitor<'a> {
    type Value = Str<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v)))
    }
}

/// The fields of every HTTP event source, read in one pass.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Event<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) version: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) http_method: Option<Str<'a>>,
    /// VPC Lattice (both payload versions): the method, at the top level.
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) method: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) path: Option<Str<'a>>,
    /// `rawPath` (payload 2.0).
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) raw_path: Option<Str<'a>>,
    /// VPC Lattice V1's `raw_path` (which carries the query too): a field of its own, since the
    /// snake-case spelling is part of what identifies a V1 event.
    #[serde(borrow, default, rename = "raw_path", deserialize_with = "opt_str")]
    pub(crate) lattice_raw_path: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) raw_query_string: Option<Str<'a>>,
    // The four maps are read here, in the same pass, as borrowed pairs. REST and ALB events
    // carry both a single- and a multi-value map; the sources choose between them afterwards.
    #[serde(borrow, default, deserialize_with = "headers")]
    pub(crate) headers: Option<Pairs<'a>>,
    #[serde(borrow, default, deserialize_with = "multi_value_headers")]
    pub(crate) multi_value_headers: Option<Pairs<'a>>,
    #[serde(
        borrow,
        default,
        alias = "query_string_parameters",
        deserialize_with = "query_string_parameters"
    )]
    pub(crate) query_string_parameters: Option<Pairs<'a>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "multi_value_query_string_parameters"
    )]
    pub(crate) multi_value_query_string_parameters: Option<Pairs<'a>>,
    #[serde(borrow)]
    pub(crate) cookies: Option<Vec<Str<'a>>>,
    #[serde(borrow, default, deserialize_with = "body")]
    pub(crate) body: Option<Str<'a>>,
    #[serde(default, alias = "is_base64_encoded", deserialize_with = "flag")]
    pub(crate) is_base64_encoded: Option<bool>,
    #[serde(borrow)]
    pub(crate) request_context: Option<RequestContext<'a>>,
    // What identifies API Gateway's Lambda authorizer events, which are not requests to serve:
    // `methodArn` (REST APIs, HTTP API payload 1.0, WebSocket `$connect`) or `routeArn` (HTTP API
    // payload 2.0), with `type` `TOKEN` or `REQUEST`.
    pub(crate) method_arn: Option<IgnoredAny>,
    pub(crate) route_arn: Option<IgnoredAny>,
    /// `type`: whether it is `TOKEN` or `REQUEST` (any other value or JSON type: `Some(false)`).
    #[serde(default, rename = "type", deserialize_with = "is_authorizer_type")]
    pub(crate) authorizer_type: Option<bool>,
    // What identifies the non-HTTP events (see [`EventKind`](crate::events::EventKind)), each
    // kept in a byte: HTTP events never have these fields, and should not pay for them.
    /// The first record's `eventSource` (or SNS's `EventSource`); the others are skipped.
    #[serde(default, rename = "Records", deserialize_with = "first_record_source")]
    pub(crate) record_source: Option<RecordSource>,
    /// A top-level `eventSource` of Kafka's (`aws:kafka`, `SelfManagedKafka`).
    #[serde(default, rename = "eventSource", deserialize_with = "is_kafka")]
    pub(crate) kafka: bool,
    /// CloudWatch Logs subscriptions.
    pub(crate) awslogs: Option<IgnoredAny>,
    /// EventBridge's `source`: whether it is `aws.events`.
    #[serde(default, rename = "source", deserialize_with = "equals_aws_events")]
    pub(crate) source_is_aws_events: Option<bool>,
    /// EventBridge's `detail-type`: whether it is `Scheduled Event`.
    #[serde(
        default,
        rename = "detail-type",
        deserialize_with = "equals_scheduled_event"
    )]
    pub(crate) detail_type_is_scheduled: Option<bool>,
    /// The bytes the event was read from, to hand out parts of it without copying.
    #[serde(skip)]
    pub(crate) raw: Option<&'a Bytes>,
}

/// The services whose events carry `Records` with an `eventSource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordSource {
    Sqs,
    Sns,
    S3,
    DynamoDb,
    Kinesis,
    Other,
}

/// `Records`: the first record's `eventSource` (`EventSource` in SNS records); the rest of the
/// list is skipped unread.
fn first_record_source<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RecordSource>, D::Error> {
    #[derive(Deserialize)]
    struct Record<'a> {
        #[serde(borrow, rename = "eventSource")]
        event_source: Option<Str<'a>>,
        #[serde(borrow, rename = "EventSource")]
        sns_event_source: Option<Str<'a>>,
    }
    struct Records;
    impl<'de> Visitor<'de> for Records {
        type Value = Option<RecordSource>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("`Records` to be a list")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let first = seq.next_element::<Record<'_>>()?.map(|record| {
                match record
                    .event_source
                    .or(record.sns_event_source)
                    .as_ref()
                    .map(Str::as_str)
                {
                    Some("aws:sqs") => RecordSource::Sqs,
                    Some("aws:sns") => RecordSource::Sns,
                    Some("aws:s3") => RecordSource::S3,
                    Some("aws:dynamodb") => RecordSource::DynamoDb,
                    Some("aws:kinesis") => RecordSource::Kinesis,
                    _ => RecordSource::Other,
                }
            });
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(first)
        }
    }
    d.deserialize_option(Records)
}

fn is_kafka<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let source = Lenient::deserialize(d)?.0;
    Ok(matches!(
        source.as_ref().map(Str::as_str),
        Some("aws:kafka" | "SelfManagedKafka")
    ))
}

fn is_authorizer_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(Some(matches!(
        Lenient::deserialize(d)?.0.as_ref().map(Str::as_str),
        Some("TOKEN" | "REQUEST")
    )))
}

/// Any JSON value, kept when it is a string: for fields that identify an event but that other
/// payloads (a direct invoke's) may hold with any type.
struct Lenient<'a>(Option<Str<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Lenient<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Str(Cow::Borrowed(v)))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Str(Cow::Owned(v.to_owned())))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

fn equals_aws_events<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(Some(
        Lenient::deserialize(d)?
            .0
            .is_some_and(|s| s.as_str() == "aws.events"),
    ))
}

fn equals_scheduled_event<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(Some(
        Lenient::deserialize(d)?
            .0
            .is_some_and(|s| s.as_str() == "Scheduled Event"),
    ))
}

fn headers<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Pairs<'a>>, D::Error> {
    d.deserialize_option(MapField("headers", std::marker::PhantomData))
}

fn multi_value_headers<'de: 'a, 'a, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Pairs<'a>>, D::Error> {
    d.deserialize_option(MapField("multiValueHeaders", std::marker::PhantomData))
}

fn query_string_parameters<'de: 'a, 'a, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Pairs<'a>>, D::Error> {
    d.deserialize_option(MapField("queryStringParameters", std::marker::PhantomData))
}

fn multi_value_query_string_parameters<'de: 'a, 'a, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Pairs<'a>>, D::Error> {
    d.deserialize_option(MapField(
        "multiValueQueryStringParameters",
        std::marker::PhantomData,
    ))
}

/// One of the event's maps, or null; a value of another type is an error that names the field.
struct MapField<'a>(&'static str, std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for MapField<'a> {
    type Value = Option<Pairs<'a>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "`{}` to be a map of strings or of lists of strings",
            self.0
        )
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        PairsVisitor(std::marker::PhantomData)
            .visit_map(map)
            .map(Some)
    }
}

/// A string or null, read in one step: `deserialize_any` lets the parser go straight to the
/// string (or the null), where `Option<Str>` would first peek for a null and then deserialize a
/// string as a second step. Most of an event's fields are read this way.
fn opt_str<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Str<'a>>, D::Error> {
    d.deserialize_any(OptStr("a string", std::marker::PhantomData))
}

/// `body`: a string or null; anything else is an error that names the field.
fn body<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Str<'a>>, D::Error> {
    d.deserialize_any(OptStr(
        "`body` to be a string or null",
        std::marker::PhantomData,
    ))
}

/// A string or null, borrowed when it can be; other types are an error expecting `.0`.
struct OptStr<'a>(&'static str, std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for OptStr<'a> {
    type Value = Option<Str<'a>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Str(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Str(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Str(Cow::Owned(v))))
    }
}

/// `isBase64Encoded`: a boolean, null, or the strings `"true"`/`"false"` (some test tools send
/// those); anything else is an error that names the field.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    struct FlagVisitor;
    impl Visitor<'_> for FlagVisitor {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("`isBase64Encoded` to be a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v.to_ascii_lowercase().as_str() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
    }
    deserializer.deserialize_any(FlagVisitor)
}

/// The parts of `requestContext` the adapter reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestContext<'a> {
    #[serde(borrow)]
    pub(crate) http: Option<HttpContext<'a>>,
    /// Present only in ALB events: `elb.targetGroupArn`.
    pub(crate) elb: Option<Elb>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) domain_name: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) stage: Option<Str<'a>>,
    /// REST APIs: the path as the client requested it, stage or base path included.
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) path: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) identity: Option<Identity<'a>>,
    #[serde(borrow)]
    pub(crate) custom_domain: Option<CustomDomain<'a>>,
    /// WebSocket APIs: `CONNECT`, `MESSAGE` or `DISCONNECT`.
    #[serde(default, deserialize_with = "websocket_event_type")]
    pub(crate) event_type: Option<WebSocketEvent>,
    /// WebSocket APIs (and HTTP APIs, which the adapter does not read it from): the route.
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) route_key: Option<Str<'a>>,
    /// WebSocket APIs: the connection.
    pub(crate) connection_id: Option<IgnoredAny>,
}

/// `requestContext.elb` of ALB events.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Elb {
    pub(crate) target_group_arn: Option<IgnoredAny>,
}

/// A WebSocket event's `eventType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WebSocketEvent {
    Connect,
    Message,
    Disconnect,
    Other,
}

fn websocket_event_type<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<WebSocketEvent>, D::Error> {
    Ok(
        Option::<Str<'_>>::deserialize(d)?.map(|event_type| match event_type.as_str() {
            "CONNECT" => WebSocketEvent::Connect,
            "MESSAGE" => WebSocketEvent::Message,
            "DISCONNECT" => WebSocketEvent::Disconnect,
            _ => WebSocketEvent::Other,
        }),
    )
}

/// `requestContext.http` of payload format 2.0.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HttpContext<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) method: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) source_ip: Option<Str<'a>>,
}

/// `requestContext.identity` of payload format 1.0.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Identity<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) source_ip: Option<Str<'a>>,
}

/// `requestContext.customDomain` of REST APIs called through a custom domain name.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomDomain<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) base_path_matched: Option<Str<'a>>,
}

impl<'a> Event<'a> {
    /// Reads an event from its raw JSON bytes, in one pass.
    pub(crate) fn parse(raw: &'a Bytes) -> Result<Self, EventError> {
        match raw.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => {}
            Some(_) => {
                return Err(match serde_json::from_slice::<serde_json::Value>(raw) {
                    Ok(value) => EventError::NotAnObject(json_kind(&value)),
                    Err(error) => EventError::NotJson(error.to_string()),
                })
            }
            None => return Err(EventError::NotJson("the event is empty".to_owned())),
        }
        // Checking UTF-8 once for the whole event is cheaper than for each string as it is
        // borrowed; an event that is not UTF-8 goes through `from_slice` for its error.
        let parsed = match std::str::from_utf8(raw) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(raw),
        };
        let mut event: Self = parsed.map_err(|error| {
            if error.is_syntax() || error.is_eof() {
                EventError::NotJson(error.to_string())
            } else {
                EventError::InvalidField(error.to_string())
            }
        })?;
        event.raw = Some(raw);
        Ok(event)
    }

    /// `part` as [`Bytes`]: a slice of the event buffer when `part` lies in it (a string the
    /// event held without escapes), else a copy. Header values and bodies share the buffer the
    /// way hyper's share its read buffer; the request keeps the event anyway (see
    /// [`RequestContext`](crate::RequestContext)).
    pub(crate) fn share(&self, part: &str) -> Bytes {
        match self.raw {
            Some(raw) if contains(raw, part.as_bytes()) => raw.slice_ref(part.as_bytes()),
            _ => Bytes::copy_from_slice(part.as_bytes()),
        }
    }

    /// The request's headers: `multiValueHeaders` (every value) unless it is missing or empty,
    /// else `headers`.
    pub(crate) fn header_pairs(&self) -> Option<&Pairs<'a>> {
        prefer_filled(&self.multi_value_headers, &self.headers)
    }

    /// `headers` alone (payload 2.0, which has no multi-value map).
    pub(crate) fn single_value_headers(&self) -> Option<&Pairs<'a>> {
        self.headers.as_ref()
    }

    /// The query parameters: `multiValueQueryStringParameters` unless it is missing or empty,
    /// else `queryStringParameters`.
    pub(crate) fn query_pairs(&self) -> Option<&Pairs<'a>> {
        prefer_filled(
            &self.multi_value_query_string_parameters,
            &self.query_string_parameters,
        )
    }

    pub(crate) fn domain_name(&self) -> Option<&str> {
        self.request_context
            .as_ref()?
            .domain_name
            .as_ref()
            .map(Str::as_str)
    }

    /// `requestContext.stage`, unless it is the `$default` stage (which never appears in a path).
    pub(crate) fn named_stage(&self) -> Option<&str> {
        let stage = self.request_context.as_ref()?.stage.as_ref()?.as_str();
        (!stage.is_empty() && stage != "$default").then_some(stage)
    }

    /// `requestContext.path` (REST APIs: the path the client requested).
    pub(crate) fn context_path(&self) -> Option<&str> {
        self.request_context
            .as_ref()?
            .path
            .as_ref()
            .map(Str::as_str)
    }

    /// `requestContext.customDomain.basePathMatched` (REST APIs on a custom domain).
    pub(crate) fn base_path_matched(&self) -> Option<&str> {
        let matched = self
            .request_context
            .as_ref()?
            .custom_domain
            .as_ref()?
            .base_path_matched
            .as_ref()?;
        Some(matched.as_str())
    }

    /// Whether one of the maps held a JSON number whose text cannot be kept (see [`Pairs`]).
    pub(crate) fn has_inexact_number(&self) -> bool {
        [
            &self.headers,
            &self.multi_value_headers,
            &self.query_string_parameters,
            &self.multi_value_query_string_parameters,
        ]
        .into_iter()
        .any(|map| map.as_ref().is_some_and(|pairs| pairs.1 .0))
    }

    /// Whether the event carries what only API Gateway's Lambda authorizer events carry:
    /// `methodArn` or `routeArn`. Such an event is never a request to serve, whatever else it
    /// holds.
    pub(crate) fn has_authorizer_arn(&self) -> bool {
        self.method_arn.is_some() || self.route_arn.is_some()
    }

    /// An authorizer's input: `methodArn` or `routeArn`, with `type` `TOKEN` or `REQUEST`.
    pub(crate) fn is_authorizer(&self) -> bool {
        self.has_authorizer_arn() && self.authorizer_type == Some(true)
    }

    /// `version` is `expected`.
    pub(crate) fn version_is(&self, expected: &str) -> bool {
        self.version
            .as_ref()
            .is_some_and(|v| v.as_str() == expected)
    }

    /// The client's address as the gateway recorded it (`identity.sourceIp` or `http.sourceIp`).
    pub(crate) fn context_source_ip(&self) -> Option<&str> {
        let context = self.request_context.as_ref()?;
        let from_http = context.http.as_ref().and_then(|h| h.source_ip.as_ref());
        let from_identity = context.identity.as_ref().and_then(|i| i.source_ip.as_ref());
        from_http.or(from_identity).map(Str::as_str)
    }
}

/// What detection reads of an event that could not be read whole (a field of the wrong type):
/// the identifying fields alone, copied out of it as a new event, so that the one detection
/// decides whether it was an HTTP event (whose malformed field fails the invocation) or
/// another event (which may hold anything, and goes to the events path). A string field of
/// another type counts as present. `None` when the bytes are not a JSON object.
///
/// Kept beside [`Event`]: a field that detection starts reading belongs in this list too (a unit
/// test holds the two together on every fixture).
pub(crate) fn identifying_fields(raw: &[u8]) -> Option<Bytes> {
    use serde_json::{Map, Value};
    /// Top-level fields: those read as strings, and those read as any JSON value.
    const STRINGS: &[&str] = &[
        "version",
        "httpMethod",
        "method",
        "path",
        "rawPath",
        "raw_path",
    ];
    const ANY: &[&str] = &[
        "methodArn",
        "routeArn",
        "type",
        "eventSource",
        "awslogs",
        "source",
        "detail-type",
    ];
    /// `requestContext` fields read as strings, and as any value.
    const CONTEXT_STRINGS: &[&str] = &["domainName", "eventType"];
    const CONTEXT_ANY: &[&str] = &["connectionId"];

    let Value::Object(event) = serde_json::from_slice::<Value>(raw).ok()? else {
        return None;
    };
    let mut kept = Map::new();
    let keep = |into: &mut Map<String, Value>, key: &str, value: &Value, any: bool| {
        let kept = match value {
            // A string field of another type is there all the same (as an empty string, which
            // matches no value detection looks for): an HTTP envelope with a malformed field is
            // still an HTTP envelope.
            Value::Null => return,
            Value::String(_) => value.clone(),
            _ if any => value.clone(),
            _ => Value::String(String::new()),
        };
        into.insert(key.to_owned(), kept);
    };
    for (key, value) in &event {
        if STRINGS.contains(&key.as_str()) {
            keep(&mut kept, key, value, false);
        } else if ANY.contains(&key.as_str()) {
            keep(&mut kept, key, value, true);
        }
    }
    if let Some(Value::Array(records)) = event.get("Records") {
        let mut first = Map::new();
        if let Some(Value::Object(record)) = records.first() {
            for key in ["eventSource", "EventSource"] {
                if let Some(value) = record.get(key) {
                    keep(&mut first, key, value, false);
                }
            }
        }
        kept.insert(
            "Records".to_owned(),
            Value::Array(vec![Value::Object(first)]),
        );
    }
    if let Some(Value::Object(context)) = event.get("requestContext") {
        let mut inner = Map::new();
        for (key, value) in context {
            if CONTEXT_STRINGS.contains(&key.as_str()) {
                keep(&mut inner, key, value, false);
            } else if CONTEXT_ANY.contains(&key.as_str()) {
                keep(&mut inner, key, value, true);
            }
        }
        for (object, field, any) in [("http", "method", false), ("elb", "targetGroupArn", true)] {
            if let Some(Value::Object(parent)) = context.get(object) {
                let mut nested = Map::new();
                if let Some(value) = parent.get(field) {
                    keep(&mut nested, field, value, any);
                }
                inner.insert(object.to_owned(), Value::Object(nested));
            }
        }
        kept.insert("requestContext".to_owned(), Value::Object(inner));
    }
    serde_json::to_vec(&Value::Object(kept))
        .ok()
        .map(Bytes::from)
}

/// The multi-value map when it has anything, else the single-value one (test tools sometimes send
/// an empty multi-value map beside a filled single-value one).
fn prefer_filled<'m, 'a>(
    multi: &'m Option<Pairs<'a>>,
    single: &'m Option<Pairs<'a>>,
) -> Option<&'m Pairs<'a>> {
    match multi {
        Some(pairs) if !pairs.0.is_empty() => Some(pairs),
        empty => single.as_ref().or(empty.as_ref()),
    }
}

/// Whether `part` lies inside `buffer` (so that [`Bytes::slice_ref`] accepts it).
fn contains(buffer: &[u8], part: &[u8]) -> bool {
    let start = buffer.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    !part.is_empty()
        && at >= start
        && (at - start)
            .checked_add(part.len())
            .is_some_and(|end| end <= buffer.len())
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Why an event could not be read as an HTTP event. Reported as a failed invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EventError {
    NotJson(String),
    NotAnObject(&'static str),
    InvalidField(String),
    /// A JSON object that no HTTP event source matches; holds its top-level keys.
    Unsupported(Vec<String>),
    /// The event is from an HTTP source, but a field has the wrong type.
    Malformed {
        source: &'static str,
        error: String,
    },
    /// An API Gateway Lambda authorizer's input, with no events path to serve it at.
    Authorizer,
    /// The source was recognised but a field it requires is missing.
    Missing {
        source: &'static str,
        field: &'static str,
    },
}

impl EventError {
    pub(crate) fn unsupported(raw: &[u8]) -> Self {
        let keys = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(raw)
            .map(|map| map.keys().cloned().collect())
            .unwrap_or_default();
        Self::Unsupported(keys)
    }
}

const EXPECTED: &str = "expected an HTTP event from API Gateway (REST API, HTTP API payload 1.0 or 2.0, or WebSocket API), a Lambda Function URL, an Application Load Balancer or VPC Lattice";

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(error) => {
                write!(f, "{EXPECTED}, but the event is not valid JSON: {error}")
            }
            Self::NotAnObject(kind) => {
                write!(f, "{EXPECTED}, but the event is {kind}, not a JSON object")
            }
            Self::InvalidField(error) => {
                write!(f, "the event has a field of the wrong type: {error}")
            }
            Self::Unsupported(keys) => {
                write!(
                    f,
                    "{EXPECTED} (see the fields that identify each source in the crate's documentation), but the event's top-level keys are ["
                )?;
                const SHOWN: usize = 20;
                for (i, key) in keys.iter().take(SHOWN).enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key:?}")?;
                }
                if keys.len() > SHOWN {
                    write!(f, ", ... {} more", keys.len() - SHOWN)?;
                }
                f.write_str("]")
            }
            Self::Malformed { source, error } => {
                write!(
                    f,
                    "the event is from {source} but has a field of the wrong type: {error}"
                )
            }
            Self::Authorizer => f.write_str(
                "the event is an API Gateway Lambda authorizer's input (`type` and `methodArn` or `routeArn`), not a request to serve: set `Serve::events_path` (or `TOWER_LAMBDA_EVENTS_PATH`) to serve it as `POST {events_path}/authorizer`",
            ),
            Self::Missing { source, field } => {
                write!(f, "the event is from {source} but has no `{field}`")
            }
        }
    }
}

impl std::error::Error for EventError {}

/// A JSON map of strings, or of lists of strings, kept as ordered `(key, value)` pairs.
///
/// A list becomes one pair per element, so `multiValueHeaders` and `headers` read the same way.
/// `null` values are left out (they carry nothing); booleans and integers are kept as their
/// JSON text, since some test tools send them. A number whose text cannot be kept exactly (a
/// fraction, an exponent, an integer past 64 bits: `1.10` would read as `1.1`) is not changed
/// into another: the map is marked [`Inexact`] instead, and the request is refused.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Pairs<'a>(pub(crate) Vec<(Str<'a>, Str<'a>)>, pub(crate) Inexact);

/// Whether a map held a JSON number that cannot be kept as the text it was written as.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Inexact(pub(crate) bool);

impl<'a> Pairs<'a> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PairsVisitor(std::marker::PhantomData))
    }
}

struct PairsVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for PairsVisitor<'a> {
    type Value = Pairs<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of strings or of lists of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(16));
        let mut inexact = Inexact(false);
        while let Some(key) = map.next_key::<Str<'a>>()? {
            map.next_value_seed(ValuesSeed {
                key,
                pairs: &mut pairs,
                inexact: &mut inexact,
            })?;
        }
        Ok(Pairs(pairs, inexact))
    }
}

/// Pushes one pair per value of a map entry (a string, a list, or null).
struct ValuesSeed<'p, 'a> {
    key: Str<'a>,
    pairs: &'p mut Vec<(Str<'a>, Str<'a>)>,
    inexact: &'p mut Inexact,
}

impl<'de: 'a, 'a> de::DeserializeSeed<'de> for ValuesSeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for ValuesSeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "a string, a list of strings or null as the value of {:?}",
            self.key.as_str()
        )
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.pairs.push((self.key, Str(Cow::Borrowed(v))));
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.pairs.push((self.key, Str(Cow::Owned(v.to_owned()))));
        Ok(())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.pairs.push((self.key, Str(Cow::Owned(v))));
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.visit_string(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.visit_string(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.visit_string(v.to_string())
    }

    /// A fraction, an exponent or an integer past 64 bits: its text is gone, so nothing is
    /// pushed in its place.
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.inexact.0 = true;
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Each element goes through this same visitor: strings push a pair, nulls are skipped.
        let ValuesSeed {
            key,
            pairs,
            inexact,
        } = self;
        while seq
            .next_element_seed(ValuesSeed {
                key: key.clone(),
                pairs: &mut *pairs,
                inexact: &mut *inexact,
            })?
            .is_some()
        {}
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescaped_strings_share_the_buffer_and_escaped_ones_are_copied() {
        let raw = Bytes::from_static(br#"{"httpMethod":"GET","path":"/a\u0062c","body":"hi"}"#);
        let event = Event::parse(&raw).unwrap();
        let method = event.share(event.http_method.as_ref().unwrap().as_str());
        assert_eq!(method, "GET");
        assert!(contains(&raw, &method));
        let path = event.share(event.path.as_ref().unwrap().as_str());
        assert_eq!(path, "/abc");
        assert!(!contains(&raw, &path));
        assert_eq!(event.share(""), "");
        assert!(!contains(b"abc", &b"abcd"[..0]));
    }
}
