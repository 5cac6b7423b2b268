//! Sessions over HTTP (issue 10): the axum layer, its extractors and the sign-in handle, on a
//! small router, on every database. Most requests go through `tower::ServiceExt::oneshot`; the
//! sign-in round trip and the outage run over a real socket with a cookie-keeping client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::header::{ACCEPT, CACHE_CONTROL, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::{HeaderValue, Method, Request, StatusCode};
use axum::routing::{get, post};
use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{
    AllowedOrigins, Auth, Clock, KeyRow, ManualClock, Result, SameSite, SessionCookie, SessionRow,
    UserRow,
};
use lucia_sea_orm_axum::{AuthError, AuthLayer, AuthSession, SignedIn};
use lucia_sea_orm_tests::server::{Engine, PrivateServer};
use lucia_sea_orm_tests::tables::{self, NOW, Profile, insert_user};
use lucia_sea_orm_tests::{AppMigrator, Backend, ScratchDatabase, on_every_database};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use tower::ServiceExt;

type Adapter = SeaOrmAdapter<Profile>;

/// The application's origin in the `oneshot` tests.
const APP: &str = "https://app.example";
const DAY: i64 = 24 * 60 * 60 * 1000;
/// The cookie's `Expires` for a session created at [`NOW`]: its idle expiry, 1 + 14 days later.
const EXPIRES_AT_NOW: &str = "Wed, 29 Nov 2023 22:13:20 GMT";
const BLANK_COOKIE: &str =
    "auth_session=; HttpOnly; SameSite=Lax; Secure; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT";

// The router

async fn sign_in(
    session: AuthSession<Adapter>,
    Path(user_id): Path<String>,
) -> Result<String, AuthError> {
    Ok(session.sign_in(&user_id).await?.id)
}

async fn sign_out(session: AuthSession<Adapter>) -> Result<&'static str, AuthError> {
    session.sign_out().await?;
    Ok("signed out")
}

async fn sign_out_everywhere(session: AuthSession<Adapter>) -> Result<&'static str, AuthError> {
    session.sign_out_everywhere().await?;
    Ok("signed out everywhere")
}

async fn me(signed_in: SignedIn<Profile>) -> String {
    signed_in.user().attributes.username.clone()
}

async fn maybe(signed_in: Option<SignedIn<Profile>>) -> String {
    match signed_in {
        Some(signed_in) => format!("signed in as {}", signed_in.user().attributes.username),
        None => "signed out".to_owned(),
    }
}

/// A counter of how often the write handler ran.
#[derive(Clone, Default)]
struct Writes(Arc<std::sync::atomic::AtomicUsize>);

fn router(layer: AuthLayer<Adapter>, writes: Writes) -> Router {
    Router::new()
        .route("/public", get(|| async { "public" }))
        .route("/me", get(me))
        .route(
            "/session-id",
            get(|signed_in: SignedIn<Profile>| async move { signed_in.session().id.clone() }),
        )
        .route("/maybe", get(maybe))
        .route(
            "/write",
            post(move || async move {
                writes.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                "written"
            }),
        )
        .route(
            "/fail",
            get(|_: SignedIn<Profile>| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route("/sign-in/{user_id}", post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/sign-out-everywhere", post(sign_out_everywhere))
        .layer(layer)
}

/// Another adapter type with the same attributes: [`SeaOrmAdapter`], each call handed on.
struct Delegate(Adapter);

impl lucia_sea_orm_auth::Adapter for Delegate {
    type Attributes = Profile;

    async fn get_user(&self, user_id: &str) -> Result<Option<UserRow<Profile>>> {
        self.0.get_user(user_id).await
    }
    async fn set_user(&self, user: &UserRow<Profile>, key: Option<&KeyRow>) -> Result<()> {
        self.0.set_user(user, key).await
    }
    async fn update_user_attributes<P: serde::Serialize + Sync>(
        &self,
        user_id: &str,
        patch: &P,
    ) -> Result<UserRow<Profile>> {
        self.0.update_user_attributes(user_id, patch).await
    }
    async fn delete_user(&self, user_id: &str) -> Result<()> {
        self.0.delete_user(user_id).await
    }
    async fn delete_user_with_sessions_and_keys(&self, user_id: &str) -> Result<()> {
        self.0.delete_user_with_sessions_and_keys(user_id).await
    }
    async fn get_session(&self, session_id: &str) -> Result<Option<SessionRow>> {
        self.0.get_session(session_id).await
    }
    async fn get_sessions_by_user_id(&self, user_id: &str) -> Result<Vec<SessionRow>> {
        self.0.get_sessions_by_user_id(user_id).await
    }
    async fn set_session(&self, session: &SessionRow) -> Result<()> {
        self.0.set_session(session).await
    }
    async fn expire_idle_session(&self, session_id: &str, now: i64, expires: i64) -> Result<bool> {
        self.0.expire_idle_session(session_id, now, expires).await
    }
    async fn delete_sessions(&self, session_ids: &[&str]) -> Result<u64> {
        self.0.delete_sessions(session_ids).await
    }
    async fn delete_sessions_by_user_id(&self, user_id: &str) -> Result<()> {
        self.0.delete_sessions_by_user_id(user_id).await
    }
    async fn delete_dead_sessions_by_user_id(&self, user_id: &str, now: i64) -> Result<u64> {
        self.0.delete_dead_sessions_by_user_id(user_id, now).await
    }
    async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
        self.0.delete_expired_sessions(now).await
    }
    async fn get_session_and_user(
        &self,
        session_id: &str,
    ) -> Result<Option<(SessionRow, UserRow<Profile>)>> {
        self.0.get_session_and_user(session_id).await
    }
    async fn get_key(&self, key_id: &str) -> Result<Option<KeyRow>> {
        self.0.get_key(key_id).await
    }
    async fn get_keys_by_user_id(&self, user_id: &str) -> Result<Vec<KeyRow>> {
        self.0.get_keys_by_user_id(user_id).await
    }
    async fn set_key(&self, key: &KeyRow) -> Result<()> {
        self.0.set_key(key).await
    }
    async fn update_key_password(
        &self,
        key_id: &str,
        hashed_password: Option<&str>,
    ) -> Result<KeyRow> {
        self.0.update_key_password(key_id, hashed_password).await
    }
    async fn replace_key_password(&self, key_id: &str, current: &str, new: &str) -> Result<bool> {
        self.0.replace_key_password(key_id, current, new).await
    }
    async fn delete_non_primary_key(&self, key_id: &str) -> Result<()> {
        self.0.delete_non_primary_key(key_id).await
    }
    async fn delete_keys_by_user_id(&self, user_id: &str) -> Result<()> {
        self.0.delete_keys_by_user_id(user_id).await
    }
}

struct App {
    router: Router,
    clock: ManualClock,
    writes: Writes,
}

fn app(db: &DatabaseConnection) -> App {
    app_with(db, |layer| layer)
}

/// An `Auth` on `db` whose clock the test moves, starting at [`NOW`].
fn auth_at_now(db: &DatabaseConnection) -> (Auth<Adapter>, ManualClock) {
    let clock = ManualClock::new(NOW);
    let auth = Auth::builder(SeaOrmAdapter::new(db.clone()))
        .clock(clock.clone())
        .build();
    (auth, clock)
}

fn app_with(
    db: &DatabaseConnection,
    configure: impl FnOnce(AuthLayer<Adapter>) -> AuthLayer<Adapter>,
) -> App {
    let (auth, clock) = auth_at_now(db);
    let layer = configure(AuthLayer::new(auth, AllowedOrigins::new([APP]).unwrap()));
    let writes = Writes::default();
    App {
        router: router(layer, writes.clone()),
        clock,
        writes,
    }
}

/// A response, read whole.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    set_cookies: Vec<String>,
    cache_control: Option<String>,
    location: Option<String>,
    body: String,
}

impl Reply {
    /// The session id of the one `Set-Cookie` that sets a session, checking its attributes.
    fn new_session_id(&self, expires: &str) -> String {
        assert_eq!(self.set_cookies.len(), 1, "{self:?}");
        assert_eq!(self.cache_control.as_deref(), Some("no-store"), "{self:?}");
        let cookie = &self.set_cookies[0];
        let (id, attributes) = cookie
            .strip_prefix("auth_session=")
            .and_then(|rest| rest.split_once(';'))
            .unwrap_or_else(|| panic!("not a session cookie: {cookie}"));
        assert!(
            id.len() == 40 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{cookie}"
        );
        assert_eq!(
            attributes,
            format!(" HttpOnly; SameSite=Lax; Secure; Path=/; Expires={expires}"),
            "{cookie}"
        );
        id.to_owned()
    }

    fn assert_cleared(&self) {
        assert_eq!(self.set_cookies, [BLANK_COOKIE], "{self:?}");
    }

    fn assert_no_cookie(&self) {
        assert!(self.set_cookies.is_empty(), "{self:?}");
    }
}

/// A request from a browser on [`APP`], with the session cookie if given.
fn request(method: Method, path: &str, session_id: Option<&str>) -> Request<Body> {
    let mut request = Request::builder().method(method.clone()).uri(path);
    if method != Method::GET {
        request = request.header(ORIGIN, APP);
    }
    if let Some(id) = session_id {
        request = request.header(COOKIE, format!("theme=dark; auth_session={id}"));
    }
    request.body(Body::empty()).unwrap()
}

fn header(headers: &axum::http::HeaderMap, name: axum::http::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let set_cookies = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let location = header(response.headers(), LOCATION);
    let cache_control = header(response.headers(), CACHE_CONTROL);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Reply {
        status,
        set_cookies,
        cache_control,
        location,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

impl App {
    async fn get(&self, path: &str, session_id: Option<&str>) -> Reply {
        send(&self.router, request(Method::GET, path, session_id)).await
    }

    async fn post(&self, path: &str, session_id: Option<&str>) -> Reply {
        send(&self.router, request(Method::POST, path, session_id)).await
    }

    /// Signs `user_id` in and returns the session id from the cookie.
    async fn sign_in(&self, user_id: &str, session_id: Option<&str>) -> String {
        let reply = self.post(&format!("/sign-in/{user_id}"), session_id).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let expires = expires_in_15_days(self.clock.now_millis());
        let id = reply.new_session_id(&expires);
        assert_eq!(reply.body, id, "the cookie holds the session signed in");
        id
    }
}

/// The `Expires` of a session created at `now`, as an HTTP date, for the two instants the tests
/// sign in at.
fn expires_in_15_days(now: i64) -> String {
    match now - NOW {
        0 => EXPIRES_AT_NOW.to_owned(),
        offset if offset == DAY + 1 => "Thu, 30 Nov 2023 22:13:20 GMT".to_owned(),
        offset => panic!("no expected date for NOW + {offset} ms"),
    }
}

// Signing in, being signed in, renewal

async fn sign_in_sets_the_session_cookie_with_exactly_lucias_attributes(db: DatabaseConnection) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let id = app.sign_in(&ada.id, None).await;
    let sessions = tables::sessions(&db).await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        (sessions[0].id.as_str(), sessions[0].user_id.as_str()),
        (id.as_str(), ada.id.as_str())
    );
    assert_eq!(sessions[0].idle_expires, NOW + 15 * DAY);
}

async fn a_request_with_the_cookie_is_signed_in_and_its_response_sets_no_cookie(
    db: DatabaseConnection,
) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let id = app.sign_in(&ada.id, None).await;
    for path in ["/me", "/maybe"] {
        let reply = app.get(path, Some(&id)).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert!(reply.body.ends_with("ada"), "{reply:?}");
        reply.assert_no_cookie();
    }
    let reply = app.get("/maybe", None).await;
    assert_eq!(reply.body, "signed out");
    reply.assert_no_cookie();
}

async fn an_idle_session_is_renewed_with_a_new_cookie_after_which_the_old_id_is_refused(
    db: DatabaseConnection,
) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let old = app.sign_in(&ada.id, None).await;
    app.clock.advance(Duration::from_millis(DAY as u64 + 1));

    let reply = app.get("/me", Some(&old)).await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "ada"));
    let new = reply.new_session_id(&expires_in_15_days(app.clock.now_millis()));
    assert_ne!(new, old);

    let reply = app.get("/me", Some(&new)).await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "ada"));
    reply.assert_no_cookie();

    // Well past any grace period for requests already in flight with the old cookie.
    app.clock.advance(Duration::from_secs(10 * 60));
    let reply = app.get("/me", Some(&old)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    reply.assert_cleared();
    assert_eq!(tables::session_ids(&db).await, [new]);
}

async fn a_renewed_sessions_cookie_is_sent_even_when_the_handler_fails(db: DatabaseConnection) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let old = app.sign_in(&ada.id, None).await;
    app.clock.advance(Duration::from_millis(DAY as u64 + 1));
    let reply = app.get("/fail", Some(&old)).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let new = reply.new_session_id(&expires_in_15_days(app.clock.now_millis()));
    assert_eq!(app.get("/me", Some(&new)).await.body, "ada");
}

async fn concurrent_requests_with_an_idle_cookie_are_all_served_and_one_sets_the_new_cookie(
    db: DatabaseConnection,
) {
    racing_renewals(&db, app(&db)).await;
}

async fn under_two_layers_concurrent_requests_with_an_idle_cookie_renew_once(
    db: DatabaseConnection,
) {
    racing_renewals(&db, app_layered_twice(&db, APP)).await;
}

/// 32 requests at once with the cookie of an idle session: every one served, one renewal.
async fn racing_renewals(db: &DatabaseConnection, app: App) {
    let app = Arc::new(app);
    let ada = insert_user(db, "ada").await;
    let old = app.sign_in(&ada.id, None).await;
    app.clock.advance(Duration::from_millis(DAY as u64 + 1));

    let requests = (0..32).map(|_| {
        let app = Arc::clone(&app);
        let old = old.clone();
        tokio::spawn(async move { app.get("/me", Some(&old)).await })
    });
    let mut renewed = Vec::new();
    for reply in futures_join(requests).await {
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, "ada"),
            "{reply:?}"
        );
        if !reply.set_cookies.is_empty() {
            renewed.push(reply.new_session_id(&expires_in_15_days(app.clock.now_millis())));
        }
    }
    assert_eq!(
        renewed.len(),
        1,
        "exactly one response carries the new cookie"
    );
    assert_eq!(
        tables::sessions(db).await.len(),
        2,
        "the old session, in its grace period, and one successor"
    );
    let reply = app.get("/me", Some(&renewed[0])).await;
    assert_eq!(reply.status, StatusCode::OK);
}

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut outcomes = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        outcomes.push(handle.await.unwrap());
    }
    outcomes
}

// Signing out, fixation

async fn sign_out_clears_the_cookie_with_an_epoch_expiry_and_deletes_the_session(
    db: DatabaseConnection,
) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let id = app.sign_in(&ada.id, None).await;
    let reply = app.post("/sign-out", Some(&id)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.assert_cleared();
    assert!(tables::sessions(&db).await.is_empty());

    let reply = app.get("/me", Some(&id)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    reply.assert_cleared();
}

async fn signing_in_ends_the_session_the_request_came_with(db: DatabaseConnection) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let mallory = insert_user(&db, "mallory").await;
    // An attacker's own session, planted in the victim's browser, or the visitor's earlier one.
    let planted = app.sign_in(&mallory.id, None).await;
    let id = app.sign_in(&ada.id, Some(&planted)).await;
    assert_ne!(id, planted);
    assert_eq!(tables::session_ids(&db).await, [id.as_str()]);
    let reply = app.get("/me", Some(&planted)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    assert_eq!(app.get("/me", Some(&id)).await.body, "ada");
}

async fn sign_out_everywhere_deletes_every_session_of_the_user_only(db: DatabaseConnection) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    let laptop = app.sign_in(&ada.id, None).await;
    let phone = app.sign_in(&ada.id, None).await;
    let other = app.sign_in(&grace.id, None).await;

    let reply = app.post("/sign-out-everywhere", Some(&phone)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.assert_cleared();
    assert_eq!(tables::session_ids(&db).await, [other.as_str()]);
    assert_eq!(
        app.get("/me", Some(&laptop)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/me", Some(&other)).await.body, "grace");
}

async fn signing_in_on_a_request_that_renewed_ends_both_the_old_and_the_renewed_session(
    db: DatabaseConnection,
) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let old = app.sign_in(&ada.id, None).await;
    app.clock.advance(Duration::from_millis(DAY as u64 + 1));
    // The layer renews the idle session, then the handler signs in: one cookie, the sign-in's.
    let id = app.sign_in(&ada.id, Some(&old)).await;
    assert_eq!(tables::session_ids(&db).await, [id.as_str()]);
}

async fn racing_sign_ins_with_one_planted_cookie_each_get_a_session_and_end_the_planted_one(
    db: DatabaseConnection,
) {
    let app = Arc::new(app(&db));
    let ada = insert_user(&db, "ada").await;
    let mallory = insert_user(&db, "mallory").await;
    let planted = app.sign_in(&mallory.id, None).await;
    let requests = (0..32).map(|_| {
        let (app, planted, ada) = (Arc::clone(&app), planted.clone(), ada.id.clone());
        tokio::spawn(async move { app.sign_in(&ada, Some(&planted)).await })
    });
    let mut ids = futures_join(requests).await;
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 32, "32 distinct sessions");
    let mut stored = tables::session_ids(&db).await;
    stored.sort();
    assert_eq!(
        stored, ids,
        "the planted session is gone, the 32 are stored"
    );
}

async fn racing_sign_outs_of_one_session_all_clear_the_cookie_and_none_fails(
    db: DatabaseConnection,
) {
    let app = Arc::new(app(&db));
    let ada = insert_user(&db, "ada").await;
    let id = app.sign_in(&ada.id, None).await;
    let requests = (0..32).map(|_| {
        let (app, id) = (Arc::clone(&app), id.clone());
        tokio::spawn(async move { app.post("/sign-out", Some(&id)).await })
    });
    for reply in futures_join(requests).await {
        // Each request validated the session, or found it already gone: signed out either way.
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        reply.assert_cleared();
    }
    assert!(tables::sessions(&db).await.is_empty());
}

// The cross-site check

async fn a_post_from_a_foreign_origin_is_403_before_any_handler_and_writes_nothing(
    db: DatabaseConnection,
) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let id = app.sign_in(&ada.id, None).await;
    let sessions = tables::sessions(&db).await;
    for origin in [
        "https://evil.example",
        "null",
        "http://app.example",
        "https://app.example:444",
    ] {
        for path in [
            format!("/sign-in/{}", ada.id),
            "/sign-out".to_owned(),
            "/write".to_owned(),
        ] {
            let mut request = request(Method::POST, &path, Some(&id));
            request
                .headers_mut()
                .insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
            let reply = send(&app.router, request).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{origin} {path}: {reply:?}"
            );
            reply.assert_no_cookie();
        }
    }
    assert_eq!(app.writes.0.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(
        tables::sessions(&db).await,
        sessions,
        "no session written or deleted"
    );
}

/// The app's router with a second layer over it, on the same `Auth`, as when a router with its
/// own layer is nested in one that has one; the outer layer also allows `extra_origin`.
fn app_layered_twice(db: &DatabaseConnection, extra_origin: &str) -> App {
    app_layered_twice_with(db, extra_origin, |inner| inner)
}

fn app_layered_twice_with(
    db: &DatabaseConnection,
    extra_origin: &str,
    configure_inner: impl FnOnce(AuthLayer<Adapter>) -> AuthLayer<Adapter>,
) -> App {
    app_layered_around(db, extra_origin, configure_inner, |router| router)
}

/// [`app_layered_twice_with`], with `between` applied to the router between the two layers.
fn app_layered_around(
    db: &DatabaseConnection,
    extra_origin: &str,
    configure_inner: impl FnOnce(AuthLayer<Adapter>) -> AuthLayer<Adapter>,
    between: impl FnOnce(Router) -> Router,
) -> App {
    let (auth, clock) = auth_at_now(db);
    let inner = configure_inner(AuthLayer::new(
        auth.clone(),
        AllowedOrigins::new([APP]).unwrap(),
    ));
    let outer = AuthLayer::new(auth, AllowedOrigins::new([APP, extra_origin]).unwrap());
    let writes = Writes::default();
    App {
        router: between(router(inner, writes.clone())).layer(outer),
        clock,
        writes,
    }
}

/// A layer over another `Auth`, reading the cookie `admin_session`.
fn admin_layer<D: lucia_sea_orm_auth::Adapter + 'static>(auth: Auth<D>) -> AuthLayer<D> {
    let cookie = SessionCookie::builder()
        .name("admin_session")
        .build()
        .unwrap();
    AuthLayer::new(auth, AllowedOrigins::new([APP]).unwrap()).session_cookie(cookie)
}

async fn two_layers_validate_once_so_handlers_see_the_renewed_session_and_sign_out_ends_it(
    db: DatabaseConnection,
) {
    let app = app_layered_twice(&db, APP);
    validated_once_renewed_and_signed_out(&db, &app).await;
}

/// The layers differ in a cookie setting, not in the cookie's name: the browser sends the one
/// cookie to both.
async fn two_layers_on_one_cookie_name_with_other_settings_validate_once(db: DatabaseConnection) {
    let strict = || {
        SessionCookie::builder()
            .same_site(SameSite::Strict)
            .build()
            .unwrap()
    };
    let app = app_layered_twice_with(&db, APP, |inner| inner.session_cookie(strict()));
    validated_once_renewed_and_signed_out(&db, &app).await;
}

/// Two layers over one `Auth` with a layer over another `Auth` and cookie between them.
fn app_with_another_auth_between(db: &DatabaseConnection) -> App {
    let other = Auth::builder(SeaOrmAdapter::<Profile>::new(db.clone())).build();
    app_layered_around(
        db,
        APP,
        |inner| inner,
        |router| router.layer(admin_layer(other)),
    )
}

/// A layer over another `Auth` and cookie in between does not make the inner one validate
/// again, nor hand the inner routes its session.
async fn a_layer_over_another_auth_in_between_leaves_the_inner_on_the_outer_session(
    db: DatabaseConnection,
) {
    let app = app_with_another_auth_between(&db);
    validated_once_renewed_and_signed_out(&db, &app).await;
}

async fn under_three_layers_concurrent_requests_with_an_idle_cookie_renew_once(
    db: DatabaseConnection,
) {
    racing_renewals(&db, app_with_another_auth_between(&db)).await;
}

/// The same with the layer in between over another adapter type with the same attributes, so
/// that its session would fit the inner routes' extractors.
async fn a_layer_over_another_adapter_type_in_between_signs_no_one_in_beneath_the_inner(
    db: DatabaseConnection,
) {
    let other = Auth::builder(Delegate(SeaOrmAdapter::<Profile>::new(db.clone()))).build();
    let admin_session = other
        .create_session(&insert_user(&db, "grace").await.id)
        .await
        .unwrap();
    let app = app_layered_around(
        &db,
        APP,
        |inner| inner,
        |router| router.layer(admin_layer(other)),
    );
    let mut request = request(Method::GET, "/session-id", None);
    request.headers_mut().insert(
        COOKIE,
        HeaderValue::from_str(&format!("admin_session={}", admin_session.id)).unwrap(),
    );
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    validated_once_renewed_and_signed_out(&db, &app).await;
}

/// Signs a user in through `app`, renews the session on a request and signs out on one that
/// renews: each request validated once, so that the handler sees the renewed session and the
/// sign-out's blank cookie is the response's only one.
async fn validated_once_renewed_and_signed_out(db: &DatabaseConnection, app: &App) {
    let ada = insert_user(db, "ada").await;
    let sessions_before = tables::session_ids(db).await;
    let old = app.sign_in(&ada.id, None).await;
    app.clock.advance(Duration::from_millis(DAY as u64 + 1));

    let reply = app.get("/session-id", Some(&old)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let new = reply.new_session_id(&expires_in_15_days(app.clock.now_millis()));
    assert_eq!(
        reply.body, new,
        "the handler sees the session the cookie now holds"
    );
    let mut expected = [sessions_before.clone(), vec![old.clone(), new.clone()]].concat();
    expected.sort();
    let mut stored = tables::session_ids(db).await;
    stored.sort();
    assert_eq!(stored, expected, "one renewal, one successor");

    // Signing out on a request that renews: the one cookie the response carries is the blank
    // one, and no session of the cookie's lives on.
    app.clock.advance(Duration::from_millis(DAY as u64 + 1));
    let reply = app.post("/sign-out", Some(&new)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.assert_cleared();
    for id in [&old, &new] {
        assert_eq!(
            app.get("/me", Some(id)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert!(
        tables::session_ids(db)
            .await
            .iter()
            .all(|id| *id == old || sessions_before.contains(id)),
        "of the cookie's sessions only the dead predecessor's row may remain"
    );
}

async fn the_inner_of_two_layers_still_refuses_origins_only_the_outer_allows(
    db: DatabaseConnection,
) {
    let app = app_layered_twice(&db, "https://other.example");
    let ada = insert_user(&db, "ada").await;
    let id = app.sign_in(&ada.id, None).await;
    let mut request = request(Method::POST, "/write", Some(&id));
    request
        .headers_mut()
        .insert(ORIGIN, HeaderValue::from_static("https://other.example"));
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    assert_eq!(app.writes.0.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(app.post("/write", Some(&id)).await.status, StatusCode::OK);
    assert_eq!(app.writes.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}

async fn the_inner_of_two_layers_sends_signed_out_pages_to_its_own_sign_in_path(
    db: DatabaseConnection,
) {
    let app = app_layered_twice_with(&db, APP, |inner| inner.sign_in_redirect("/inner/sign-in"));
    let mut page = request(Method::GET, "/me", None);
    page.headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("text/html"));
    let reply = send(&app.router, page).await;
    assert_eq!(
        (reply.status, reply.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/inner/sign-in")),
        "{reply:?}"
    );
}

async fn layers_over_different_auths_and_cookies_each_read_their_own_cookie(
    db: DatabaseConnection,
) {
    let origins = || AllowedOrigins::new([APP]).unwrap();
    let auth = || Auth::builder(SeaOrmAdapter::<Profile>::new(db.clone())).build();
    let admin_cookie = SessionCookie::builder()
        .name("admin_session")
        .build()
        .unwrap();
    let inner = AuthLayer::new(auth(), origins()).session_cookie(admin_cookie);
    let router = router(inner, Writes::default()).layer(AuthLayer::new(auth(), origins()));
    let ada = insert_user(&db, "ada").await;

    let reply = send(
        &router,
        request(Method::POST, &format!("/sign-in/{}", ada.id), None),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.set_cookies.len(), 1, "{reply:?}");
    let id = reply.set_cookies[0]
        .strip_prefix("admin_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("the inner layer's cookie: {reply:?}"));
    assert_eq!(reply.body, id);

    let with_cookie = |cookie: String| {
        let mut request = request(Method::GET, "/session-id", None);
        request
            .headers_mut()
            .insert(COOKIE, HeaderValue::from_str(&cookie).unwrap());
        request
    };
    let reply = send(&router, with_cookie(format!("admin_session={id}"))).await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, id));
    reply.assert_no_cookie();
    // The outer layer's cookie, naming a live session, does not sign in beneath the inner one.
    let reply = send(&router, with_cookie(format!("auth_session={id}"))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
}

async fn a_post_without_origin_is_403_even_with_sec_fetch_site_same_origin(db: DatabaseConnection) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        for sec_fetch_site in [None, Some("same-origin")] {
            let mut request = request(method.clone(), &format!("/sign-in/{}", ada.id), None);
            request.headers_mut().remove(ORIGIN);
            if let Some(value) = sec_fetch_site {
                request
                    .headers_mut()
                    .insert("sec-fetch-site", HeaderValue::from_static(value));
            }
            let reply = send(&app.router, request).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {reply:?}");
        }
    }
    assert!(tables::sessions(&db).await.is_empty());
}

async fn a_get_from_anywhere_is_served(db: DatabaseConnection) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let id = app.sign_in(&ada.id, None).await;
    for origin in [None, Some("https://evil.example"), Some("null")] {
        for method in [Method::GET, Method::HEAD] {
            let mut request = request(method.clone(), "/me", Some(&id));
            if let Some(origin) = origin {
                request
                    .headers_mut()
                    .insert(ORIGIN, HeaderValue::from_static(origin));
            }
            let reply = send(&app.router, request).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{method} from {origin:?}: {reply:?}"
            );
        }
    }
    assert_eq!(app.get("/public", None).await.body, "public");
}

// Hostile cookies

async fn garbage_cookies_are_signed_out_and_never_a_500(db: DatabaseConnection) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let live = app.sign_in(&ada.id, None).await;
    let thousand: String = (0..1000).map(|i| format!("c{i}=v{i}; ")).collect();
    let thousand_of_ours: String = (0..1000).map(|i| format!("auth_session=x{i}; ")).collect();
    // (the Cookie header, whether the response clears our cookie)
    let cases: Vec<(Vec<u8>, bool)> = vec![
        (b"auth_session=".to_vec(), false),
        (b"auth_session".to_vec(), false),
        (b";;;=;=x; auth_session = ;".to_vec(), false),
        (
            format!("auth_session={}", "a".repeat(10 * 1024)).into_bytes(),
            true,
        ),
        (
            format!("auth_session={}", live.repeat(256)).into_bytes(),
            true,
        ),
        ("auth_session=séance-éternelle".as_bytes().to_vec(), true),
        (b"auth_session=\xff\xfe\xfd".to_vec(), true),
        (b"auth_session=\"quoted\"".to_vec(), true),
        (
            format!("auth_session={}", "A".repeat(40)).into_bytes(),
            true,
        ),
        (format!("auth_session={} ", &live[..39]).into_bytes(), true),
        // Ids are compared byte for byte on every database (MariaDB's default collation would not).
        (
            format!("auth_session={}", live.to_uppercase()).into_bytes(),
            true,
        ),
        (
            format!("auth_session={}", live.to_lowercase()).into_bytes(),
            true,
        ),
        (
            b"auth_session='; DROP TABLE user_session; --".to_vec(),
            true,
        ),
        (thousand.clone().into_bytes(), false),
        (
            format!("{thousand}auth_session={}", "b".repeat(40)).into_bytes(),
            true,
        ),
        (thousand_of_ours.into_bytes(), true),
    ];
    for (cookie, cleared) in cases {
        let shown = String::from_utf8_lossy(&cookie[..cookie.len().min(60)]).into_owned();
        for path in ["/maybe", "/me", "/public"] {
            let mut request = request(Method::GET, path, None);
            request
                .headers_mut()
                .insert(COOKIE, HeaderValue::from_bytes(&cookie).unwrap());
            let reply = send(&app.router, request).await;
            let expected = match path {
                "/me" => StatusCode::UNAUTHORIZED,
                _ => StatusCode::OK,
            };
            assert_eq!(reply.status, expected, "{path} with {shown:?}: {reply:?}");
            if path == "/maybe" {
                assert_eq!(reply.body, "signed out", "{shown:?}");
            }
            if cleared {
                reply.assert_cleared();
            } else {
                reply.assert_no_cookie();
            }
        }
    }
    assert_eq!(
        tables::session_ids(&db).await,
        [live.as_str()],
        "the live session is untouched"
    );
    assert_eq!(app.get("/me", Some(&live)).await.body, "ada");
}

async fn a_dead_sessions_cookie_is_signed_out_cleared_and_its_row_deleted(db: DatabaseConnection) {
    let app = app(&db);
    let ada = insert_user(&db, "ada").await;
    let id = app.sign_in(&ada.id, None).await;
    app.clock
        .advance(Duration::from_millis(15 * DAY as u64 + 1));
    let reply = app.get("/maybe", Some(&id)).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (StatusCode::OK, "signed out")
    );
    reply.assert_cleared();
    assert!(tables::sessions(&db).await.is_empty());
}

async fn the_required_extractor_redirects_pages_to_the_sign_in_path_and_answers_apis_401(
    db: DatabaseConnection,
) {
    let redirecting = app_with(&db, |layer| layer.sign_in_redirect("/sign-in"));
    let mut page = request(Method::GET, "/me", None);
    page.headers_mut().insert(
        ACCEPT,
        HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
    );
    let reply = send(&redirecting.router, page).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert_eq!(reply.location.as_deref(), Some("/sign-in"));

    let reply = redirecting.get("/me", None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    // Without the setting, pages get 401 too.
    let mut page = request(Method::GET, "/me", None);
    page.headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("text/html"));
    let plain = app(&db);
    assert_eq!(
        send(&plain.router, page).await.status,
        StatusCode::UNAUTHORIZED
    );
}

// A real socket and a cookie-keeping client

/// The router served on a free loopback port; the address and the server task.
async fn serve(db: &DatabaseConnection) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let auth = Auth::builder(SeaOrmAdapter::new(db.clone())).build();
    let layer = AuthLayer::new(auth, AllowedOrigins::new([&origin]).unwrap());
    let app = router(layer, Writes::default());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (origin, server)
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn post_from(client: &reqwest::Client, origin: &str, path: &str) -> reqwest::Response {
    client
        .post(format!("{origin}{path}"))
        .header(ORIGIN, origin)
        .send()
        .await
        .unwrap()
}

async fn body_of(client: &reqwest::Client, origin: &str, path: &str) -> (StatusCode, String) {
    let response = client.get(format!("{origin}{path}")).send().await.unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (status, response.text().await.unwrap())
}

async fn a_browser_over_a_socket_signs_in_stays_signed_in_and_signs_out(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let (origin, server) = serve(&db).await;
    let client = browser();
    assert_eq!(body_of(&client, &origin, "/maybe").await.1, "signed out");
    let response = post_from(&client, &origin, &format!("/sign-in/{}", ada.id)).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        body_of(&client, &origin, "/me").await,
        (StatusCode::OK, "ada".to_owned())
    );
    assert_eq!(
        body_of(&client, &origin, "/maybe").await.1,
        "signed in as ada"
    );
    // The same request from a page on another site.
    let forged = client
        .post(format!("{origin}/sign-out"))
        .header(ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(body_of(&client, &origin, "/me").await.1, "ada");

    assert_eq!(
        post_from(&client, &origin, "/sign-out")
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(body_of(&client, &origin, "/maybe").await.1, "signed out");
    assert!(tables::sessions(&db).await.is_empty());
    server.abort();
}

on_every_database!(Schema::Migrated =>
    sign_in_sets_the_session_cookie_with_exactly_lucias_attributes,
    a_request_with_the_cookie_is_signed_in_and_its_response_sets_no_cookie,
    an_idle_session_is_renewed_with_a_new_cookie_after_which_the_old_id_is_refused,
    concurrent_requests_with_an_idle_cookie_are_all_served_and_one_sets_the_new_cookie,
    under_two_layers_concurrent_requests_with_an_idle_cookie_renew_once,
    under_three_layers_concurrent_requests_with_an_idle_cookie_renew_once,
    a_renewed_sessions_cookie_is_sent_even_when_the_handler_fails,
    sign_out_clears_the_cookie_with_an_epoch_expiry_and_deletes_the_session,
    signing_in_ends_the_session_the_request_came_with,
    sign_out_everywhere_deletes_every_session_of_the_user_only,
    signing_in_on_a_request_that_renewed_ends_both_the_old_and_the_renewed_session,
    racing_sign_ins_with_one_planted_cookie_each_get_a_session_and_end_the_planted_one,
    racing_sign_outs_of_one_session_all_clear_the_cookie_and_none_fails,
    a_post_from_a_foreign_origin_is_403_before_any_handler_and_writes_nothing,
    a_post_without_origin_is_403_even_with_sec_fetch_site_same_origin,
    two_layers_validate_once_so_handlers_see_the_renewed_session_and_sign_out_ends_it,
    two_layers_on_one_cookie_name_with_other_settings_validate_once,
    a_layer_over_another_auth_in_between_leaves_the_inner_on_the_outer_session,
    a_layer_over_another_adapter_type_in_between_signs_no_one_in_beneath_the_inner,
    the_inner_of_two_layers_still_refuses_origins_only_the_outer_allows,
    the_inner_of_two_layers_sends_signed_out_pages_to_its_own_sign_in_path,
    layers_over_different_auths_and_cookies_each_read_their_own_cookie,
    a_get_from_anywhere_is_served,
    garbage_cookies_are_signed_out_and_never_a_500,
    a_dead_sessions_cookie_is_signed_out_cleared_and_its_row_deleted,
    the_required_extractor_redirects_pages_to_the_sign_in_path_and_answers_apis_401,
    a_browser_over_a_socket_signs_in_stays_signed_in_and_signs_out,
);

// The database down

/// How long a request waits for the database before failing, during the outage.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the pool may take to serve requests again once the database is back.
const RECOVERY_BOUND: Duration = Duration::from_secs(30);

/// A database that can be made unavailable and available again.
enum Outage {
    /// A private PostgreSQL or MariaDB server, stopped and started.
    Server(PrivateServer),
    /// An SQLite file that another connection locks exclusively (with the rollback journal,
    /// which every connection here uses, that keeps all others from even reading it); the
    /// test's connections give up after a short busy timeout. SQLite has no server to stop.
    SqliteLock {
        database: Option<ScratchDatabase>,
        holder: Option<DatabaseConnection>,
    },
}

impl Outage {
    async fn url(&self) -> String {
        match self {
            Outage::Server(server) => server.url(),
            Outage::SqliteLock { database, .. } => database.as_ref().unwrap().url().to_owned(),
        }
    }

    async fn connect(&self) -> DatabaseConnection {
        let mut options = ConnectOptions::new(self.url().await);
        options
            .max_connections(4)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_timeout(ACQUIRE_TIMEOUT)
            .map_sqlx_sqlite_opts(|options| {
                // Rollback journal, whatever the file says: in WAL mode an exclusive lock would
                // not keep readers out, and the outage would not be one.
                options
                    .busy_timeout(Duration::from_millis(300))
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Delete)
            });
        Database::connect(options).await.unwrap()
    }

    async fn begin(&mut self) {
        match self {
            Outage::Server(server) => server.stop().await,
            Outage::SqliteLock { database, holder } => {
                let mut options = ConnectOptions::new(database.as_ref().unwrap().url());
                options.max_connections(1).map_sqlx_sqlite_opts(|options| {
                    options.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Delete)
                });
                let connection = Database::connect(options).await.unwrap();
                connection
                    .execute_unprepared("BEGIN EXCLUSIVE")
                    .await
                    .expect("the exclusive lock is taken");
                *holder = Some(connection);
            }
        }
    }

    async fn end(&mut self) {
        match self {
            Outage::Server(server) => server.start_again().await,
            Outage::SqliteLock { holder, .. } => {
                let connection = holder.take().unwrap();
                connection.execute_unprepared("ROLLBACK").await.unwrap();
                connection.close().await.unwrap();
            }
        }
    }
}

async fn the_database_down_is_503_without_detail_then_the_same_client_is_signed_in_again(
    mut outage: Outage,
) {
    let db = outage.connect().await;
    AppMigrator::up(&db, None).await.expect("migrations run");
    let ada = insert_user(&db, "ada").await;
    let (origin, server) = serve(&db).await;
    let client = browser();
    let response = post_from(&client, &origin, &format!("/sign-in/{}", ada.id)).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(body_of(&client, &origin, "/me").await.1, "ada");

    outage.begin().await;
    for path in ["/me", "/maybe"] {
        let response = client.get(format!("{origin}{path}")).send().await.unwrap();
        let status = response.status().as_u16();
        assert!(
            response.headers().get(SET_COOKIE).is_none(),
            "the cookie is kept during an outage"
        );
        let body = response.text().await.unwrap();
        assert!(
            status == 503 || status == 500,
            "{path} during the outage: {status} {body}"
        );
        let lower = body.to_lowercase();
        for word in [
            "database",
            "sql",
            "postgres",
            "maria",
            "pool",
            "connection",
            "timed out",
            "error:",
        ] {
            assert!(
                !lower.contains(word),
                "{path}: the body names {word:?}: {body}"
            );
        }
    }
    // A page that does not need the visitor is still served.
    assert_eq!(body_of(&client, &origin, "/public").await.1, "public");
    // Signing in fails the same way, and keeps the cookie.
    let response = post_from(&client, &origin, &format!("/sign-in/{}", ada.id)).await;
    let status = response.status().as_u16();
    assert!(response.headers().get(SET_COOKIE).is_none());
    let body = response.text().await.unwrap();
    assert!(
        status == 503 || status == 500,
        "sign-in during the outage: {status} {body}"
    );
    assert!(!body.to_lowercase().contains("database"), "{body}");

    outage.end().await;
    let back = Instant::now();
    loop {
        let (status, body) = body_of(&client, &origin, "/me").await;
        if status == StatusCode::OK {
            assert_eq!(body, "ada", "the same client is signed in as before");
            break;
        }
        assert!(
            status.is_server_error() && back.elapsed() < RECOVERY_BOUND,
            "after the outage: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.abort();
    let _ = server.await;
    db.close().await.unwrap();
    if let Outage::SqliteLock { database, .. } = &mut outage {
        database.take().unwrap().drop().await;
    }
}

mod sqlite_outage {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_database_down_is_503_without_detail_then_the_same_client_is_signed_in_again() {
        let database = ScratchDatabase::create(Backend::Sqlite, "lucia_test").await;
        super::the_database_down_is_503_without_detail_then_the_same_client_is_signed_in_again(
            Outage::SqliteLock {
                database,
                holder: None,
            },
        )
        .await;
    }
}

mod postgres_outage {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_database_down_is_503_without_detail_then_the_same_client_is_signed_in_again() {
        let Some(server) = PrivateServer::start(Engine::Postgres).await else {
            return;
        };
        super::the_database_down_is_503_without_detail_then_the_same_client_is_signed_in_again(
            Outage::Server(server),
        )
        .await;
    }
}

mod mysql_outage {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_database_down_is_503_without_detail_then_the_same_client_is_signed_in_again() {
        let Some(server) = PrivateServer::start(Engine::MariaDb).await else {
            return;
        };
        super::the_database_down_is_503_without_detail_then_the_same_client_is_signed_in_again(
            Outage::Server(server),
        )
        .await;
    }
}
