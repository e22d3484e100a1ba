//! Stand-ins for the two AWS services a deployed worker needs, so that the example compiles and
//! tests without the AWS SDK:
//!
//! - [`Queue`], where `POST /orders` puts an order: Amazon SQS (`SendMessage`, with
//!   `aws_sdk_sqs::Client::send_message`). [`MemoryQueue`] keeps the messages in memory and
//!   logs them; nothing delivers them back to the function, as SQS would.
//! - [`OrderStore`], where the queue consumer records the orders it processed and the nightly
//!   report reads them: a DynamoDB table keyed by the SQS message id in a deployment.
//!   [`MemoryStore`] keeps them in this process's memory, which on Lambda lasts only as long as
//!   one warm instance and is not shared between instances.
//!
//! Both are traits, used as `Arc<dyn Queue>` and `Arc<dyn OrderStore>`, so that the SDK clients
//! (built once, at start-up) can take their place without touching the routes, and tests can
//! put in one that fails.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::Order;

/// The future a backend call returns (boxed, so that the traits can be used as `dyn` objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a call to a backend failed (what the SDK's error would say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError(pub String);

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackendError {}

/// Where orders are enqueued: an SQS queue.
pub trait Queue: Send + Sync {
    /// Puts a message with `body` on the queue; the message id SQS gave it.
    ///
    /// With the AWS SDK, this is where the call goes (the client built once, at start-up, and
    /// the queue URL taken from the environment, e.g. `ORDERS_QUEUE_URL`):
    ///
    /// ```text
    /// let sent = client.send_message().queue_url(&self.queue_url).message_body(body).send().await
    ///     .map_err(|error| BackendError(error.to_string()))?;
    /// Ok(sent.message_id().unwrap_or_default().to_owned())
    /// ```
    fn send_message<'a>(&'a self, body: &'a str) -> BoxFuture<'a, Result<String, BackendError>>;
}

/// One message [`MemoryQueue`] took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The id it was given (`msg-1`, `msg-2`, ...).
    pub message_id: String,
    /// Its body: the order as JSON.
    pub body: String,
}

/// A [`Queue`] in memory: records and logs each message instead of sending it.
#[derive(Debug, Clone, Default)]
pub struct MemoryQueue(Arc<Mutex<Vec<SentMessage>>>);

impl MemoryQueue {
    fn lock(&self) -> MutexGuard<'_, Vec<SentMessage>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every message sent so far, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.lock().clone()
    }
}

impl Queue for MemoryQueue {
    fn send_message<'a>(&'a self, body: &'a str) -> BoxFuture<'a, Result<String, BackendError>> {
        Box::pin(async move {
            let mut sent = self.lock();
            let message_id = format!("msg-{}", sent.len() + 1);
            tracing::info!(message_id, body, "would send to SQS");
            sent.push(SentMessage {
                message_id: message_id.clone(),
                body: body.to_owned(),
            });
            Ok(message_id)
        })
    }
}

/// What the orders processed so far add up to: the nightly report's numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// How many orders.
    pub orders: usize,
    /// How many units, over all orders.
    pub units: u64,
}

/// Where processed orders are recorded: a DynamoDB table keyed by the SQS message id.
pub trait OrderStore: Send + Sync {
    /// Records `order`, processed from the message `message_id`. SQS delivers a message at
    /// least once, so recording the same message again changes nothing (with DynamoDB: a
    /// `PutItem` with the condition `attribute_not_exists(message_id)`, its
    /// `ConditionalCheckFailedException` taken as success).
    fn record<'a>(
        &'a self,
        message_id: &'a str,
        order: &'a Order,
    ) -> BoxFuture<'a, Result<(), BackendError>>;

    /// What the recorded orders add up to (with DynamoDB: a `Scan`, or counters that
    /// [`OrderStore::record`] updates in the same transaction).
    fn summary(&self) -> BoxFuture<'_, Result<Summary, BackendError>>;
}

/// An [`OrderStore`] in memory: message id → order.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore(Arc<Mutex<BTreeMap<String, Order>>>);

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Order>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every recorded order, by message id.
    pub fn orders(&self) -> BTreeMap<String, Order> {
        self.lock().clone()
    }
}

impl OrderStore for MemoryStore {
    fn record<'a>(
        &'a self,
        message_id: &'a str,
        order: &'a Order,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            self.lock()
                .entry(message_id.to_owned())
                .or_insert_with(|| order.clone());
            Ok(())
        })
    }

    fn summary(&self) -> BoxFuture<'_, Result<Summary, BackendError>> {
        Box::pin(async move {
            let orders = self.lock();
            Ok(Summary {
                orders: orders.len(),
                units: orders.values().map(|order| u64::from(order.quantity)).sum(),
            })
        })
    }
}
