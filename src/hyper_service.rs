//! Using a hyper 1.x service (`hyper::service::Service`) with tower-lambda.

use http::Request;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::body::Body;

/// A hyper 1.x [`hyper::service::Service`] as a tower service, so [`serve`](crate::serve) accepts
/// it. Made with [`from_hyper`].
#[derive(Debug)]
pub struct HyperService<S>(Arc<S>);

impl<S> Clone for HyperService<S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

/// Adapts a hyper 1.x service for [`serve`](crate::serve): the one line to add.
///
/// hyper services take `&self` and are always ready, so the adapter shares one instance behind an
/// `Arc`; it need not be `Clone`.
///
/// ```no_run
/// use http::{Request, Response};
/// use std::convert::Infallible;
///
/// # async fn run() -> Result<(), tower_lambda::Error> {
/// let hello = hyper::service::service_fn(|_req: Request<tower_lambda::Body>| async {
///     Ok::<_, Infallible>(Response::new(String::from("hello from hyper")))
/// });
/// tower_lambda::serve(tower_lambda::from_hyper(hello)).await
/// # }
/// ```
pub fn from_hyper<S>(service: S) -> HyperService<S>
where
    S: hyper::service::Service<Request<Body>>,
{
    HyperService(Arc::new(service))
}

impl<S> tower::Service<Request<Body>> for HyperService<S>
where
    S: hyper::service::Service<Request<Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> S::Future {
        self.0.call(request)
    }
}
