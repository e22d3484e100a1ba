//! The kinds of non-HTTP events (queues, notifications, storage, streams, schedules, direct
//! invokes), told apart from the fields that identify them, which the event's one pass reads.

use crate::event::{Event, RecordSource};

/// What kind of non-HTTP event a request carries, when the app takes such events
/// ([`Serve::events_path`](crate::Serve::events_path)). A request extension, set from the event
/// only: the request goes to `{events_path}/{kind}` (see [`EventKind::path_segment`]).
///
/// With the `axum` feature it is an extractor that refuses (with `404 Not Found`) any request
/// that did not come from a non-HTTP event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// Amazon SQS (`Records[].eventSource` `aws:sqs`). Answer `{"batchItemFailures": [...]}` for
    /// partial batch responses.
    Sqs,
    /// Amazon SNS (`Records[].EventSource` `aws:sns`).
    Sns,
    /// Amazon S3 event notifications (`Records[].eventSource` `aws:s3`).
    S3,
    /// DynamoDB Streams (`Records[].eventSource` `aws:dynamodb`).
    DynamoDb,
    /// Kinesis Data Streams (`Records[].eventSource` `aws:kinesis`).
    Kinesis,
    /// An EventBridge event (`detail-type` and `source`), other than a schedule.
    EventBridge,
    /// An EventBridge scheduled rule (`source` `aws.events`, `detail-type` `Scheduled Event`).
    Schedule,
    /// CloudWatch Logs subscription (`awslogs`).
    CloudWatchLogs,
    /// Amazon MSK or self-managed Kafka (`eventSource` `aws:kafka` or `SelfManagedKafka`).
    Kafka,
    /// An API Gateway Lambda authorizer's input (`type` `TOKEN` or `REQUEST` with `methodArn`, or
    /// `routeArn` for HTTP API payload 2.0): REST API TOKEN and REQUEST authorizers, HTTP API
    /// authorizers of both payload versions, WebSocket `$connect` authorizers. The response body
    /// is the authorizer's answer (a REST policy document or an HTTP API simple response); a
    /// `401` fails the invocation with the message `Unauthorized`, which API Gateway turns into
    /// its `401` answer.
    Authorizer,
    /// Anything else: a direct invoke, Step Functions, EventBridge Scheduler's own payload, ...
    Unknown,
}

impl EventKind {
    /// The path segment the kind is routed on: `sqs`, `sns`, `s3`, `dynamodb`, `kinesis`,
    /// `eventbridge`, `schedule`, `cloudwatch-logs`, `kafka`, `authorizer` or `unknown`.
    pub fn path_segment(self) -> &'static str {
        match self {
            Self::Sqs => "sqs",
            Self::Sns => "sns",
            Self::S3 => "s3",
            Self::DynamoDb => "dynamodb",
            Self::Kinesis => "kinesis",
            Self::EventBridge => "eventbridge",
            Self::Schedule => "schedule",
            Self::CloudWatchLogs => "cloudwatch-logs",
            Self::Kafka => "kafka",
            Self::Authorizer => "authorizer",
            Self::Unknown => "unknown",
        }
    }

    /// The OpenTelemetry `faas.trigger` of this kind of event: `pubsub` (queues, topics,
    /// streams, event buses), `datasource` (S3, DynamoDB), `timer` (schedules), `http`
    /// (authorizers, which API Gateway calls for an HTTP request) or `other`.
    pub fn trigger(self) -> &'static str {
        match self {
            Self::Sqs
            | Self::Sns
            | Self::Kinesis
            | Self::EventBridge
            | Self::Kafka
            | Self::CloudWatchLogs => "pubsub",
            Self::S3 | Self::DynamoDb => "datasource",
            Self::Schedule => "timer",
            Self::Authorizer => "http",
            Self::Unknown => "other",
        }
    }

    /// The kind the identifying fields say: the first record's `eventSource` (`EventSource` for
    /// SNS), a top-level `eventSource`, `awslogs`, `source` with `detail-type`, or an
    /// authorizer's `type` with `methodArn` or `routeArn`.
    pub(crate) fn of(event: &Event<'_>) -> Self {
        if event.is_authorizer() {
            return Self::Authorizer;
        }
        match event.record_source {
            Some(RecordSource::Sqs) => return Self::Sqs,
            Some(RecordSource::Sns) => return Self::Sns,
            Some(RecordSource::S3) => return Self::S3,
            Some(RecordSource::DynamoDb) => return Self::DynamoDb,
            Some(RecordSource::Kinesis) => return Self::Kinesis,
            Some(RecordSource::Other) | None => {}
        }
        if event.kafka {
            return Self::Kafka;
        }
        if event.awslogs.is_some() {
            return Self::CloudWatchLogs;
        }
        match (event.source_is_aws_events, event.detail_type_is_scheduled) {
            (Some(true), Some(true)) => Self::Schedule,
            (Some(_), Some(_)) => Self::EventBridge,
            _ => Self::Unknown,
        }
    }
}
