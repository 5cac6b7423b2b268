//! Failures of the auth operations a handler runs, as responses that say nothing about the
//! database.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use lucia_sea_orm_auth::Error;

/// An [`Error`] of an operation of [`AuthSession`](crate::AuthSession).
///
/// As a response it is `503 Service Unavailable` for a database failure (the database may be
/// back in a moment) and `500 Internal Server Error` otherwise, with a body that names neither;
/// the error with its causes goes to `tracing` at `ERROR` level when the response is made.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct AuthError(#[from] Error);

impl AuthError {
    /// The underlying error, for handlers that answer some of them themselves (say,
    /// [`Error::InvalidUserId`]).
    pub fn error(&self) -> &Error {
        &self.0
    }

    /// The underlying error, by value.
    pub fn into_inner(self) -> Error {
        self.0
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self.0, "auth operation failed");
        failure_response(status_of(&self.0))
    }
}

/// The status a failure of `error` is answered with.
pub(crate) fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::Database(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A response with `status` and a body that says nothing about the cause.
pub(crate) fn failure_response(status: StatusCode) -> Response {
    let body = if status == StatusCode::SERVICE_UNAVAILABLE {
        "Service temporarily unavailable, please try again shortly."
    } else {
        "Internal server error."
    };
    (status, body).into_response()
}
