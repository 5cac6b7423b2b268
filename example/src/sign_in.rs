//! `/sign-in`: email and password, one message for every failure, throttled.

use std::net::SocketAddr;
use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{Html, IntoResponse, Redirect, Response};
use lucia_sea_orm_auth::Error as AuthError;
use lucia_sea_orm_axum::SignedIn;
use serde::Deserialize;

use crate::credentials::{EMAIL_PROVIDER, normalise_email};
use crate::throttle::Throttled;
use crate::{AppState, Error, Session};

/// The one message for an unknown email and a wrong password: telling them apart would tell
/// anyone which addresses have accounts.
const WRONG_CREDENTIALS: &str = "That email and password do not match an account.";

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    email: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// What the sign-in form sends.
#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
}

/// The form; a signed-in visitor goes to their account instead.
pub async fn show(me: Option<SignedIn<()>>, RawQuery(query): RawQuery) -> Result<Response, Error> {
    if me.is_some() {
        return Ok(Redirect::to("/account").into_response());
    }
    let notice = query
        .is_some_and(|query| query == "signed-out")
        .then_some("You are signed out.");
    let page = SignInPage {
        email: String::new(),
        notice,
        error: None,
    };
    Ok(Html(page.render()?).into_response())
}

/// Signs in with a new session, or shows the form again with the one failure message.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    session: Session,
    Form(form): Form<SignInForm>,
) -> Result<Response, Error> {
    let email = normalise_email(&form.email);
    let mut page = SignInPage {
        email: email.clone(),
        notice: None,
        error: None,
    };
    if let Err(throttled) = state.throttle.attempt(&email, client.ip()) {
        page.error = Some(too_many_attempts(throttled));
        return Ok(throttled_response(throttled, Html(page.render()?)));
    }
    match session
        .auth()
        .use_key(EMAIL_PROVIDER, &email, Some(&form.password))
        .await
    {
        Ok(key) => {
            session.sign_in(&key.user_id).await?;
            Ok(Redirect::to("/account").into_response())
        }
        Err(
            AuthError::InvalidKeyId
            | AuthError::InvalidPassword
            | AuthError::InvalidProviderId
            | AuthError::PasswordTooLong { .. }
            | AuthError::InvalidValue { .. },
        ) => {
            page.error = Some(WRONG_CREDENTIALS.into());
            Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
        }
        Err(AuthError::OutdatedPassword) => {
            page.error = Some(
                "This account's password was stored in a format that can no longer be checked; \
                 it has to be reset."
                    .into(),
            );
            Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// The sentence shown when an attempt is throttled.
pub(crate) fn too_many_attempts(throttled: Throttled) -> String {
    format!(
        "Too many sign-in attempts. Wait {} and try again.",
        wait(throttled.retry_after)
    )
}

/// A 429 with `Retry-After` and `body`.
pub(crate) fn throttled_response(throttled: Throttled, body: impl IntoResponse) -> Response {
    let seconds = throttled.retry_after.as_secs().max(1).to_string();
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(RETRY_AFTER, seconds)],
        body,
    )
        .into_response()
}

fn wait(duration: Duration) -> String {
    let seconds = duration.as_secs().max(1);
    match seconds {
        1 => "a second".into(),
        2..60 => format!("{seconds} seconds"),
        60..120 => "a minute".into(),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}
