//! `/`: where a visitor starts; and the stylesheet.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect};

use crate::session::AuthSession;

/// Sends a signed-in visitor to their account, anyone else to sign in.
pub async fn show(session: AuthSession) -> Redirect {
    if session.current().is_some() {
        Redirect::to("/account")
    } else {
        Redirect::to("/sign-in")
    }
}

/// The stylesheet, compiled into the binary.
pub async fn style() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/style.css"),
    )
}
