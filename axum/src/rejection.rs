//! Why an extractor of this crate refused a request, as a response.

use std::sync::Arc;

use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;

use crate::error::failure_response;

/// Why [`SignedIn`](crate::SignedIn) or [`AuthSession`](crate::AuthSession) could not be
/// extracted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRejection {
    /// The visitor is not signed in: `401 Unauthorized`, or `303 See Other` to `redirect_to`
    /// (the configured sign-in path, for requests that accept HTML).
    SignedOut {
        /// Where to send the visitor, if anywhere.
        redirect_to: Option<Arc<str>>,
    },
    /// The cookie could not be validated (the database failed; the layer logged why):
    /// `503 Service Unavailable` or `500 Internal Server Error`, saying nothing more.
    Unavailable {
        /// The response's status.
        status: StatusCode,
    },
    /// The route is not behind [`AuthLayer`](crate::AuthLayer) (or `SignedIn`'s type parameter
    /// is not the adapter's attribute type): a bug in the application, `500`.
    MissingLayer,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            Self::SignedOut {
                redirect_to: Some(path),
            } => Redirect::to(&path).into_response(),
            Self::SignedOut { redirect_to: None } => {
                (StatusCode::UNAUTHORIZED, "Sign in to see this page.").into_response()
            }
            Self::Unavailable { status } => failure_response(status),
            Self::MissingLayer => failure_response(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}
