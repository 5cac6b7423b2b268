//! `/account`: who you are, your devices (live sessions), signing the others out, changing the
//! password. Session ids never reach the page: devices are told apart by "this one" or not.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use lucia_sea_orm_auth::{
    DEFAULT_ACTIVE_PERIOD, DEFAULT_IDLE_PERIOD, Error as AuthError, Session as SessionRecord,
    SessionState,
};
use lucia_sea_orm_axum::SignedIn;
use serde::Deserialize;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::credentials::{
    EMAIL_PROVIDER, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, password_problem,
};
use crate::sign_in::{throttled_response, too_many_attempts};
use crate::{AppState, Error, Session};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    email: String,
    notice: Option<&'static str>,
    devices: Vec<Device>,
    idle_days: u64,
    current_error: Option<String>,
    new_error: Option<String>,
    min_password: usize,
    max_password: usize,
}

/// One live session as the page shows it: no id, only times and whether it is this one.
struct Device {
    current: bool,
    idle: bool,
    signed_in: String,
    active_until: String,
    idle_until: String,
}

/// What the change-password form sends.
#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// The account page, with a notice after a change; signed-out visitors are sent to sign in
/// (by the session layer's redirect).
pub async fn show(
    me: SignedIn<()>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let notice = match query.as_deref() {
        Some("others-signed-out") => Some("Your other devices are signed out."),
        Some("password-changed") => {
            Some("Your password is changed, and your other devices are signed out.")
        }
        _ => None,
    };
    let page = account_page(&session, me.session(), notice).await?;
    Ok(Html(page.render()?).into_response())
}

/// Ends every session of the user but this one.
pub async fn sign_out_others(me: SignedIn<()>, session: Session) -> Result<Response, Error> {
    let current = me.session();
    for other in session.auth().get_user_sessions(&current.user_id).await? {
        if other.id != current.id {
            session.auth().invalidate_session(&other.id).await?;
        }
    }
    Ok(Redirect::to("/account?others-signed-out").into_response())
}

/// Checks the current password, sets the new one, signs every device out and this one back in
/// with a new session.
pub async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    me: SignedIn<()>,
    session: Session,
    Form(form): Form<PasswordForm>,
) -> Result<Response, Error> {
    let user_id = &me.session().user_id;
    let mut page = account_page(&session, me.session(), None).await?;
    let email = page.email.clone();
    // The current password is a password guess like any sign-in: a stolen session must not
    // become an unthrottled oracle for it.
    if let Err(throttled) = state.throttle.attempt(&email, client.ip()) {
        page.current_error = Some(too_many_attempts(throttled));
        return Ok(throttled_response(throttled, Html(page.render()?)));
    }
    match session
        .auth()
        .use_key(EMAIL_PROVIDER, &email, Some(&form.current_password))
        .await
    {
        Ok(_) => {}
        Err(AuthError::InvalidPassword | AuthError::PasswordTooLong { .. }) => {
            page.current_error = Some("That is not your current password.".into());
        }
        Err(err) => return Err(err.into()),
    }
    page.new_error = password_problem(&form.new_password);
    if page.current_error.is_some() || page.new_error.is_some() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    session
        .auth()
        .update_key_password(EMAIL_PROVIDER, &email, Some(&form.new_password))
        .await?;
    // Every session ends, this one too: this device carries on with a new session id.
    session.sign_out_everywhere().await?;
    session.sign_in(user_id).await?;
    Ok(Redirect::to("/account?password-changed").into_response())
}

async fn email_of(session: &Session, user_id: &str) -> Result<String, AuthError> {
    let keys = session.auth().get_user_keys(user_id).await?;
    Ok(keys
        .into_iter()
        .find(|key| key.provider_id == EMAIL_PROVIDER)
        .map(|key| key.provider_user_id)
        .unwrap_or_default())
}

async fn account_page(
    session: &Session,
    current: &SessionRecord,
    notice: Option<&'static str>,
) -> Result<AccountPage, AuthError> {
    let email = email_of(session, &current.user_id).await?;
    let now = now_millis();
    let mut sessions = session.auth().get_user_sessions(&current.user_id).await?;
    // This device first, then the most recently signed in.
    sessions.sort_by_key(|session| {
        (
            session.id != current.id,
            std::cmp::Reverse(session.active_expires),
        )
    });
    let devices = sessions
        .iter()
        .map(|session| Device {
            current: session.id == current.id,
            idle: session.state == SessionState::Idle,
            signed_in: when(session.active_expires - millis(DEFAULT_ACTIVE_PERIOD), now),
            active_until: when(session.active_expires, now),
            idle_until: when(session.idle_expires, now),
        })
        .collect();
    Ok(AccountPage {
        email,
        notice,
        devices,
        idle_days: DEFAULT_IDLE_PERIOD.as_secs() / 86_400,
        current_error: None,
        new_error: None,
        min_password: MIN_PASSWORD_CHARS,
        max_password: MAX_PASSWORD_CHARS,
    })
}

fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

/// `at` (milliseconds since the epoch) as a UTC date and how far from `now` it is, such as
/// `29 Nov 2026, 22:16 UTC (in 23 hours)`.
fn when(at: i64, now: i64) -> String {
    let format =
        format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC");
    let date = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .ok()
        .and_then(|date| date.format(&format).ok())
        .unwrap_or_default();
    format!("{date} ({})", relative(at - now))
}

fn relative(delta_ms: i64) -> String {
    let minutes = delta_ms.unsigned_abs() / 60_000;
    let amount = match minutes {
        0 => return "just now".into(),
        1 => "1 minute".into(),
        2..60 => format!("{minutes} minutes"),
        60..120 => "1 hour".into(),
        120..2880 => format!("{} hours", minutes / 60),
        _ => format!("{} days", minutes / 1440),
    };
    if delta_ms > 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::{relative, when};

    #[test]
    fn times_read_as_a_date_and_a_distance() {
        assert_eq!(
            when(1_700_000_000_000, 1_700_000_000_000 - 3 * 3_600_000),
            "14 Nov 2023, 22:13 UTC (in 3 hours)"
        );
        assert_eq!(relative(-90_000), "1 minute ago");
        assert_eq!(relative(10_000), "just now");
        assert_eq!(relative(5 * 86_400_000), "in 5 days");
    }
}
