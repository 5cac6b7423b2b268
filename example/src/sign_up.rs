//! `/sign-up`: a new account from an email address and a password.

use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use lucia_sea_orm_auth::{Error as AuthError, NewKey};
use lucia_sea_orm_axum::SignedIn;
use serde::Deserialize;

use crate::credentials::{
    EMAIL_PROVIDER, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, email_problem, normalise_email,
    password_problem,
};
use crate::{Error, Session};

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUpPage {
    email: String,
    email_error: Option<String>,
    password_error: Option<String>,
    min_password: usize,
    max_password: usize,
}

impl SignUpPage {
    fn new(email: String) -> Self {
        Self {
            email,
            email_error: None,
            password_error: None,
            min_password: MIN_PASSWORD_CHARS,
            max_password: MAX_PASSWORD_CHARS,
        }
    }
}

/// What the sign-up form sends.
#[derive(Deserialize)]
pub struct SignUpForm {
    email: String,
    password: String,
}

/// The empty form; a signed-in visitor goes to their account instead.
pub async fn show(me: Option<SignedIn<()>>) -> Result<Response, Error> {
    if me.is_some() {
        return Ok(Redirect::to("/account").into_response());
    }
    Ok(Html(SignUpPage::new(String::new()).render()?).into_response())
}

/// Creates the account and signs it in, or shows the form again with what to fix.
pub async fn submit(session: Session, Form(form): Form<SignUpForm>) -> Result<Response, Error> {
    let email = normalise_email(&form.email);
    let mut page = SignUpPage::new(email.clone());
    page.email_error = email_problem(&email).map(str::to_owned);
    page.password_error = password_problem(&form.password);
    if page.email_error.is_none() && page.password_error.is_none() {
        let key = NewKey::with_password(EMAIL_PROVIDER, &email, &form.password);
        match session.auth().create_user((), Some(key)).await {
            Ok(user) => {
                session.sign_in(&user.id).await?;
                return Ok(Redirect::to("/account").into_response());
            }
            Err(AuthError::DuplicateKeyId) => {
                page.email_error =
                    Some("An account with this email already exists. Sign in instead?".into());
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
