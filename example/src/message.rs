//! A page that only says something: an error, a refusal.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// A titled message with a link onwards.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// The heading and window title.
    pub title: &'static str,
    /// What happened, in a sentence or two.
    pub message: String,
    /// Where the link goes.
    pub back: &'static str,
    /// The link's text.
    pub back_label: &'static str,
}

/// Gives the session layer's bare `403` (a form posted from another origin) a page that says
/// what happened. The refusal itself, and that nothing ran, are the layer's.
pub async fn explain_refusal(response: Response) -> Response {
    if response.status() != StatusCode::FORBIDDEN {
        return response;
    }
    let page = MessagePage {
        title: "Request refused",
        message: "This form was sent from another site, so nothing was done. If you meant to \
                  do this, go back to the application and try again there."
            .into(),
        back: "/",
        back_label: "Go to the application",
    };
    match page.render() {
        Ok(body) => (StatusCode::FORBIDDEN, Html(body)).into_response(),
        Err(_) => response,
    }
}
