//! `/sign-out`: ends this device's session.

use axum::response::Redirect;

use crate::{Error, Session};

/// Deletes the session and clears the cookie.
pub async fn submit(session: Session) -> Result<Redirect, Error> {
    session.sign_out().await?;
    Ok(Redirect::to("/sign-in?signed-out"))
}
