//! The example application in a real browser (headless Chromium through chromedriver), on
//! SQLite, PostgreSQL and MariaDB: sign up, sign out, a failed and a good sign-in, the account
//! page, a second device signed out from the first, a password change, throttling, the session
//! cookie hidden from scripts, and forms from another origin refused with nothing changed.
//!
//! Screenshots of every page go to `target/tmp/screenshots/<database>/`. With
//! `UPDATE_SCREENSHOT=1` the SQLite run also writes the account page to
//! `example/screenshot.png`, the picture in the README.

mod chrome;

use std::panic::resume_unwind;
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use fantoccini::{Client, Locator};
use lucia_sea_orm_entity::{key, session, user};
use lucia_sea_orm_example::{Options, Throttle, app, serve};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "staple ladder orbit";
/// Sign-in attempts allowed per email in this test (an hour to regain one).
const EMAIL_BURST: u32 = 12;

async fn a_person_signs_up_signs_in_and_manages_devices_in_a_real_browser(db: DatabaseConnection) {
    let database = format!("{:?}", db.get_database_backend()).to_lowercase();
    let Some(driver) = chrome::Driver::start("the browser test").await else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let app_origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let throttle = Throttle::new(
        (EMAIL_BURST, Duration::from_secs(3600)),
        (200, Duration::from_secs(3600)),
    );
    let options = Options::new([app_origin.clone()])
        .insecure_cookies(true)
        .throttle(throttle);
    let router = app(db.clone(), options).await.expect("the app starts");
    let server = tokio::spawn(serve(listener, router));
    let (foreign_origin, foreign_server) = foreign_site(&app_origin).await;

    let first = driver.browser().await;
    let second = driver.browser().await;
    let visit = Visit {
        db,
        app: app_origin,
        foreign: foreign_origin,
        first: first.clone(),
        second: second.clone(),
        screenshots: Screenshots::new(&database),
    };
    // The walk runs in its own task so that the browsers are closed even when it fails.
    let outcome = tokio::spawn(visit.walk()).await;
    let _ = first.close().await;
    let _ = second.close().await;
    driver.stop().await;
    server.abort();
    foreign_server.abort();
    if let Err(failure) = outcome {
        resume_unwind(failure.into_panic());
    }
}

lucia_sea_orm_tests::on_every_database!(
    Schema::Empty => a_person_signs_up_signs_in_and_manages_devices_in_a_real_browser
);

struct Visit {
    db: DatabaseConnection,
    app: String,
    foreign: String,
    first: Client,
    second: Client,
    screenshots: Screenshots,
}

impl Visit {
    async fn walk(self) {
        let Visit {
            db,
            app,
            foreign,
            first,
            second,
            screenshots,
        } = &self;

        // A visitor starts signed out and lands on the sign-in page.
        first.goto(app).await.unwrap();
        assert_eq!(heading(first).await, "Sign in");
        screenshots.take(first, "sign-in").await;

        // Sign up: the inline errors a person expects, then the account.
        navigate_by_clicking(first, Locator::LinkText("Create an account")).await;
        assert_eq!(heading(first).await, "Create an account");
        screenshots.take(first, "sign-up").await;
        submit_sign_up(first, "Ada@Example.com", "short").await;
        assert!(text(first, "password-error").await.contains("too short"));
        assert_eq!(
            value(first, "email").await,
            EMAIL,
            "the address is kept, normalised"
        );
        screenshots.take(first, "sign-up-password-too-short").await;
        submit_sign_up(first, EMAIL, &"x".repeat(129)).await;
        assert!(text(first, "password-error").await.contains("too long"));
        submit_sign_up(first, "ada", PASSWORD).await;
        assert!(
            text(first, "email-error")
                .await
                .contains("email address like")
        );
        submit_sign_up(first, EMAIL, PASSWORD).await;
        assert_eq!(heading(first).await, "Your account");
        assert_eq!(text(first, "email").await, EMAIL);
        assert_eq!(devices(first).await, 1);

        // The session cookie is HttpOnly: scripts cannot read it, and no page shows it.
        let cookie = session_cookie(first)
            .await
            .expect("signed in with a session cookie");
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(format!("{:?}", cookie.same_site()), "Some(Lax)");
        assert_ne!(
            cookie.secure(),
            Some(true),
            "plain HTTP here, so not Secure"
        );
        let script_sees = first
            .execute("return document.cookie", vec![])
            .await
            .unwrap();
        assert!(
            !script_sees
                .as_str()
                .unwrap_or_default()
                .contains("auth_session"),
            "{script_sees}"
        );
        assert!(!first.source().await.unwrap().contains(cookie.value()));

        // Sign out, then the same address cannot sign up again.
        click(first, "sign-out").await;
        assert_eq!(heading(first).await, "Sign in");
        assert_eq!(text(first, "notice").await, "You are signed out.");
        assert!(
            session_cookie(first).await.is_none(),
            "the cookie is cleared"
        );
        first.goto(&format!("{app}/sign-up")).await.unwrap();
        submit_sign_up(first, EMAIL, PASSWORD).await;
        assert!(text(first, "email-error").await.contains("already exists"));
        screenshots.take(first, "sign-up-email-taken").await;

        // A wrong password and an unknown address get the one same message.
        first.goto(&format!("{app}/sign-in")).await.unwrap();
        submit_sign_in(first, EMAIL, "not my password").await;
        let wrong_password = text(first, "sign-in-error").await;
        screenshots.take(first, "sign-in-failed").await;
        submit_sign_in(first, "nobody@example.com", PASSWORD).await;
        assert_eq!(text(first, "sign-in-error").await, wrong_password);
        assert_eq!(heading(first).await, "Sign in");

        // The right password signs in.
        submit_sign_in(first, EMAIL, PASSWORD).await;
        assert_eq!(heading(first).await, "Your account");
        screenshots.take(first, "account").await;

        // A second browser is a second device: both are listed, each marks itself.
        second.goto(&format!("{app}/sign-in")).await.unwrap();
        submit_sign_in(second, EMAIL, PASSWORD).await;
        assert_eq!(heading(second).await, "Your account");
        assert_eq!(devices(second).await, 2);
        first.refresh().await.unwrap();
        assert_eq!(devices(first).await, 2);
        assert_eq!(
            first
                .find_all(Locator::Css(".device.current"))
                .await
                .unwrap()
                .len(),
            1
        );
        screenshots.take(first, "account-two-devices").await;
        screenshots.keep_for_readme(first).await;
        assert_no_session_id_shown(db, first).await;

        // Forms on another origin post to the app with the first browser's cookie (same site,
        // other port), and are refused before anything changes.
        let before = counts(db).await;
        for form in ["sign-out-others", "change-password", "sign-up"] {
            first.goto(foreign).await.unwrap();
            click(first, form).await;
            assert_eq!(heading(first).await, "Request refused", "{form} was served");
            assert!(
                first
                    .current_url()
                    .await
                    .unwrap()
                    .as_str()
                    .starts_with(app.as_str())
            );
            screenshots
                .take(first, &format!("cross-site-{form}-refused"))
                .await;
        }
        assert_eq!(counts(db).await, before, "a cross-site form changed rows");
        second.refresh().await.unwrap();
        assert_eq!(
            heading(second).await,
            "Your account",
            "the other device is still in"
        );
        first.goto(&format!("{app}/account")).await.unwrap();
        assert_eq!(heading(first).await, "Your account");
        assert_eq!(devices(first).await, 2);

        // Sign out of other devices: the second browser is out on its next page load. (Its
        // sign-in below with the old password also shows the cross-site change was refused.)
        click(first, "sign-out-others").await;
        assert_eq!(
            text(first, "notice").await,
            "Your other devices are signed out."
        );
        assert_eq!(devices(first).await, 1);
        screenshots.take(first, "account-others-signed-out").await;
        second.refresh().await.unwrap();
        assert_eq!(heading(second).await, "Sign in");
        assert!(
            session_cookie(second).await.is_none(),
            "the dead cookie is cleared"
        );

        // Changing the password signs the other devices out too; the old password stops working.
        submit_sign_in(second, EMAIL, PASSWORD).await;
        assert_eq!(heading(second).await, "Your account");
        first.refresh().await.unwrap();
        fill(first, "current_password", "not my password").await;
        fill(first, "new_password", NEW_PASSWORD).await;
        click(first, "change-password").await;
        assert!(
            text(first, "current-password-error")
                .await
                .contains("not your current password")
        );
        screenshots.take(first, "change-password-wrong").await;
        fill(first, "current_password", PASSWORD).await;
        fill(first, "new_password", NEW_PASSWORD).await;
        click(first, "change-password").await;
        assert!(text(first, "notice").await.contains("password is changed"));
        assert_eq!(devices(first).await, 1);
        second.refresh().await.unwrap();
        assert_eq!(heading(second).await, "Sign in");
        submit_sign_in(second, EMAIL, PASSWORD).await;
        assert_eq!(text(second, "sign-in-error").await, wrong_password);
        submit_sign_in(second, EMAIL, NEW_PASSWORD).await;
        assert_eq!(heading(second).await, "Your account");

        // Failed sign-ins are throttled per email: after the burst, a 429 page.
        click(second, "sign-out").await;
        let mut throttled = false;
        for _ in 0..=EMAIL_BURST {
            submit_sign_in(second, "eve@example.com", "guess guess guess").await;
            if text(second, "sign-in-error")
                .await
                .contains("Too many sign-in attempts")
            {
                throttled = true;
                break;
            }
        }
        assert!(throttled, "no attempt was throttled");
        screenshots.take(second, "sign-in-throttled").await;
    }
}

/// The app's page a person sees on another origin: three forms that post to the app.
async fn foreign_site(app: &str) -> (String, JoinHandle<std::io::Result<()>>) {
    let page = format!(
        r#"<!doctype html><title>Another site</title>
<form method="post" action="{app}/account/sign-out-others"><button id="sign-out-others">Win a prize</button></form>
<form method="post" action="{app}/account/password">
  <input type="hidden" name="current_password" value="{PASSWORD}">
  <input type="hidden" name="new_password" value="attacker's choice">
  <button id="change-password">Claim it</button></form>
<form method="post" action="{app}/sign-up">
  <input type="hidden" name="email" value="mallory@example.com">
  <input type="hidden" name="password" value="{PASSWORD}">
  <button id="sign-up">Join</button></form>"#
    );
    let router = Router::new().route("/", get(move || async move { Html(page) }));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    (
        origin,
        tokio::spawn(async move { axum::serve(listener, router).await }),
    )
}

/// Where screenshots go: `target/tmp/screenshots/<database>/NN-<page>.png`.
struct Screenshots {
    directory: PathBuf,
    database: String,
    taken: std::sync::atomic::AtomicUsize,
}

impl Screenshots {
    fn new(database: &str) -> Self {
        let directory = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("screenshots")
            .join(database);
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory).expect("screenshot directory is created");
        Self {
            directory,
            database: database.to_owned(),
            taken: 0.into(),
        }
    }

    async fn take(&self, browser: &Client, page: &str) {
        let number = self
            .taken
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let png = browser.screenshot().await.expect("a screenshot");
        std::fs::write(self.directory.join(format!("{number:02}-{page}.png")), png)
            .expect("screenshot is written");
    }

    /// With `UPDATE_SCREENSHOT=1`, on SQLite, the README's picture of the account page.
    async fn keep_for_readme(&self, browser: &Client) {
        if self.database == "sqlite" && std::env::var("UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
            let png = browser.screenshot().await.expect("a screenshot");
            std::fs::write(
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshot.png"),
                png,
            )
            .expect("screenshot is written");
        }
    }
}

async fn submit_sign_up(browser: &Client, email: &str, password: &str) {
    fill(browser, "email", email).await;
    fill(browser, "password", password).await;
    navigate_by_clicking(browser, Locator::Css("form[action='/sign-up'] button")).await;
}

async fn submit_sign_in(browser: &Client, email: &str, password: &str) {
    fill(browser, "email", email).await;
    fill(browser, "password", password).await;
    navigate_by_clicking(browser, Locator::Css("form[action='/sign-in'] button")).await;
}

async fn fill(browser: &Client, id: &str, text: &str) {
    let field = browser
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("no #{id}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(browser: &Client, id: &str) {
    navigate_by_clicking(browser, Locator::Id(id)).await;
}

/// Clicks what `target` finds and waits until the page it leads to has loaded: a click returns
/// before the navigation it starts, and the old page's elements would be read in between.
async fn navigate_by_clicking(browser: &Client, target: Locator<'_>) {
    let old_page = browser.find(Locator::Css("html")).await.unwrap();
    let element = match browser.find(target).await {
        Ok(element) => element,
        Err(_) => panic!(
            "nothing to click on {}",
            browser.current_url().await.unwrap()
        ),
    };
    element.click().await.unwrap();
    for _ in 0..400 {
        match old_page.tag_name().await {
            // Stale, or (while the new document replaces it) not found: gone either way.
            Err(_) => break,
            Ok(_) => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
    for _ in 0..400 {
        let state = browser
            .execute("return document.readyState", vec![])
            .await
            .unwrap();
        if state == "complete" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the page after the click did not load within 10 s");
}

async fn text(browser: &Client, id: &str) -> String {
    match browser.find(Locator::Id(id)).await {
        Ok(element) => element.text().await.unwrap(),
        Err(_) => panic!("no #{id} on {}", browser.current_url().await.unwrap()),
    }
}

async fn value(browser: &Client, id: &str) -> String {
    let field = browser.find(Locator::Id(id)).await.unwrap();
    field.prop("value").await.unwrap().unwrap_or_default()
}

async fn heading(browser: &Client) -> String {
    browser
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn devices(browser: &Client) -> usize {
    browser
        .find_all(Locator::Css("#devices .device"))
        .await
        .unwrap()
        .len()
}

async fn session_cookie(browser: &Client) -> Option<fantoccini::cookies::Cookie<'static>> {
    browser
        .get_all_cookies()
        .await
        .unwrap()
        .into_iter()
        .find(|cookie| cookie.name() == "auth_session" && !cookie.value().is_empty())
}

/// No stored session id appears anywhere in the page's source.
async fn assert_no_session_id_shown(db: &DatabaseConnection, browser: &Client) {
    let source = browser.source().await.unwrap();
    for row in session::Entity::find().all(db).await.unwrap() {
        assert!(!source.contains(&row.id), "a session id is on the page");
    }
}

/// How many users, keys and sessions there are.
async fn counts(db: &DatabaseConnection) -> (u64, u64, u64) {
    (
        user::Entity::find().count(db).await.unwrap(),
        key::Entity::find().count(db).await.unwrap(),
        session::Entity::find().count(db).await.unwrap(),
    )
}
