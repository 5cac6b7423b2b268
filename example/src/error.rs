//! What can go wrong while serving a page, and what the visitor sees then.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::message::MessagePage;

/// An error a page cannot handle itself: the visitor gets a plain error page, the detail goes
/// to `tracing` only (it may name tables or the database server).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The auth library failed (usually the database).
    #[error("auth: {0}")]
    Auth(#[from] lucia_sea_orm_auth::Error),
    /// A template failed to render.
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

impl From<lucia_sea_orm_axum::AuthError> for Error {
    fn from(err: lucia_sea_orm_axum::AuthError) -> Self {
        Self::Auth(err.into_inner())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut detail = self.to_string();
        let mut source = std::error::Error::source(&self);
        while let Some(cause) = source {
            detail = format!("{detail}: {cause}");
            source = cause.source();
        }
        tracing::error!(error = %detail, "request failed");
        // A database failure is likely to pass: 503 says "try again", 500 says "our bug".
        let status = match self {
            Self::Auth(lucia_sea_orm_auth::Error::Database(_)) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let page = MessagePage {
            title: "Something went wrong",
            message: "The page could not be served. Please try again in a moment.".into(),
            back: "/",
            back_label: "Back to the start",
        };
        let body = page
            .render()
            .unwrap_or_else(|_| "Something went wrong.".into());
        (status, Html(body)).into_response()
    }
}
