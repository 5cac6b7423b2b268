//! The example's pages over HTTP without a browser, on SQLite, PostgreSQL and MariaDB: races,
//! throttling with the default limits, and form posts without an `Origin`.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::header::{CONTENT_TYPE, ORIGIN, RETRY_AFTER, SET_COOKIE};
use axum::http::{Request, StatusCode};
use axum::response::Response;
use lucia_sea_orm_entity::{key, session, user};
use lucia_sea_orm_example::{Options, app};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use tower::ServiceExt;

const ORIGIN_URL: &str = "http://127.0.0.1:3000";

async fn router(db: &DatabaseConnection) -> Router {
    let options = Options::new([ORIGIN_URL]).insecure_cookies(true);
    app(db.clone(), options)
        .await
        .expect("the app starts")
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50_000))))
}

fn form_post(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(ORIGIN, ORIGIN_URL)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn body_text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn counts(db: &DatabaseConnection) -> (u64, u64, u64) {
    (
        user::Entity::find().count(db).await.unwrap(),
        key::Entity::find().count(db).await.unwrap(),
        session::Entity::find().count(db).await.unwrap(),
    )
}

async fn thirty_two_sign_ups_of_one_email_at_once_make_one_account(db: DatabaseConnection) {
    let app = router(&db).await;
    let attempts = (0..32).map(|_| {
        let app = app.clone();
        tokio::spawn(async move {
            let body = "email=race%40example.com&password=correct+horse+battery";
            let response = app.oneshot(form_post("/sign-up", body)).await.unwrap();
            let status = response.status();
            (status, body_text(response).await)
        })
    });
    let mut created = 0;
    for attempt in attempts {
        let (status, body) = attempt.await.unwrap();
        match status {
            StatusCode::SEE_OTHER => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => assert!(body.contains("already exists"), "{body}"),
            other => panic!("a sign-up answered {other}: {body}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(counts(&db).await, (1, 1, 1));
}

async fn failed_sign_ins_beyond_the_default_burst_are_429_with_retry_after(db: DatabaseConnection) {
    let app = router(&db).await;
    let body = "email=ada%40example.com&password=not+the+password";
    let (burst, _) = lucia_sea_orm_example::throttle::EMAIL_QUOTA;
    for _ in 0..burst {
        let response = app
            .clone()
            .oneshot(form_post("/sign-in", body))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let text = body_text(response).await;
        assert!(
            text.contains("That email and password do not match an account."),
            "{text}"
        );
    }
    let response = app
        .clone()
        .oneshot(form_post("/sign-in", body))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(RETRY_AFTER));
    assert!(
        body_text(response)
            .await
            .contains("Too many sign-in attempts")
    );
}

async fn form_posts_without_an_origin_are_refused_with_nothing_changed(db: DatabaseConnection) {
    let app = router(&db).await;
    let before = counts(&db).await;
    for path in [
        "/sign-up",
        "/sign-in",
        "/sign-out",
        "/account/sign-out-others",
        "/account/password",
    ] {
        let request = Request::post(path)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                "email=eve%40example.com&password=correct+horse+battery",
            ))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(response.headers().get(SET_COOKIE).is_none());
        assert!(body_text(response).await.contains("Request refused"));
    }
    assert_eq!(counts(&db).await, before);
}

lucia_sea_orm_tests::on_every_database!(
    Schema::Empty =>
    thirty_two_sign_ups_of_one_email_at_once_make_one_account,
    failed_sign_ins_beyond_the_default_burst_are_429_with_retry_after,
    form_posts_without_an_origin_are_refused_with_nothing_changed,
);
