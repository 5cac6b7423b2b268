//! `/`: where a visitor starts; and the stylesheet.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect};

use lucia_sea_orm_axum::SignedIn;

/// Sends a signed-in visitor to their account, anyone else to sign in.
pub async fn show(me: Option<SignedIn<()>>) -> Redirect {
    if me.is_some() {
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
