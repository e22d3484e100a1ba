//! The request body handed to your service.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::BoxError;

/// The body of every request that tower-lambda hands to your service.
///
/// On Lambda it holds the whole event body (already base64-decoded when the event said
/// `isBase64Encoded`); in local mode it streams the bytes of the real HTTP request.
/// Either way it is an ordinary [`http_body::Body`] with `Data = Bytes`, which is what
/// `axum::Router`, tower-http layers and hyper services expect.
///
/// ```
/// use http_body_util::BodyExt;
/// use tower_lambda::Body;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let body = Body::from("hello");
/// let bytes = body.collect().await.unwrap().to_bytes();
/// assert_eq!(bytes, "hello");
/// # }
/// ```
#[derive(Debug, Default)]
pub struct Body {
    kind: Kind,
}

#[derive(Debug, Default)]
enum Kind {
    #[default]
    Empty,
    Full(Bytes),
    Incoming(hyper::body::Incoming),
}

impl Body {
    /// An empty body.
    pub fn empty() -> Self {
        Self::default()
    }

    pub(crate) fn incoming(incoming: hyper::body::Incoming) -> Self {
        Self {
            kind: Kind::Incoming(incoming),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            return Self::empty();
        }
        Self {
            kind: Kind::Full(bytes),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::from(bytes).into()
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Bytes::from_static(text.as_bytes()).into()
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Self {
        Bytes::from_static(bytes).into()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match &mut this.kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(_) => match std::mem::take(&mut this.kind) {
                Kind::Full(bytes) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                _ => Poll::Ready(None),
            },
            Kind::Incoming(incoming) => Pin::new(incoming)
                .poll_frame(cx)
                .map_err(|error| Box::new(error) as BoxError),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Full(_) => false,
            Kind::Incoming(incoming) => incoming.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(bytes) => SizeHint::with_exact(bytes.len() as u64),
            Kind::Incoming(incoming) => incoming.size_hint(),
        }
    }
}
