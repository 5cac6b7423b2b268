//! A page that only says something: an error, a refusal.

use askama::Template;

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
