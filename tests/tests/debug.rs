//! `Auth` and `SeaOrmAdapter` implement `Debug` without showing what their connection knows:
//! the database URL's password, the connect options.

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::Auth;
use lucia_sea_orm_tests::tables::Profile;
use lucia_sea_orm_tests::{Backend, ScratchDatabase, on_every_database};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, TransactionTrait};

/// A password no test database has; PostgreSQL's trust authentication accepts any.
const CANARY: &str = "debug-canary-password";

async fn debug_of_auth_and_adapter_shows_the_backend_but_not_the_connection(
    db: DatabaseConnection,
) {
    let connection = format!("{db:?}");
    let adapter = SeaOrmAdapter::<Profile>::new(db.clone());
    let shown = format!("{adapter:?}");
    assert!(shown.starts_with("SeaOrmAdapter {"), "{shown}");
    assert!(
        shown.contains(&format!("{:?}", db.get_database_backend())),
        "{shown}"
    );
    assert!(!shown.contains(&connection), "{shown}");

    let auth = Auth::builder(adapter).build();
    let shown = format!("{auth:?}");
    assert!(
        shown.starts_with("Auth { adapter: SeaOrmAdapter {"),
        "{shown}"
    );
    assert!(shown.contains("hash_session_ids: false"), "{shown}");

    let txn = db.begin().await.unwrap();
    let within = format!("{:?}", SeaOrmAdapter::<Profile, _>::within(&txn));
    assert!(within.contains("within_transaction: true"), "{within}");
    txn.rollback().await.unwrap();
}

on_every_database!(Schema::Migrated =>
    debug_of_auth_and_adapter_shows_the_backend_but_not_the_connection);

/// The password of the URL the pool was made from appears nowhere (PostgreSQL, whose trust
/// authentication lets the test use any password).
#[tokio::test]
#[cfg_attr(
    lucia_sea_orm_unset = "TEST_POSTGRES_URL",
    ignore = "set TEST_POSTGRES_URL to run it"
)]
async fn debug_does_not_show_the_password_of_the_database_url() {
    let Some(database) = ScratchDatabase::create(Backend::Postgres, "lucia_test").await else {
        return;
    };
    let (scheme, rest) = database.url().split_once("://").expect("a URL");
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    let url = format!("{scheme}://postgres:{CANARY}@{host}");
    let db = Database::connect(ConnectOptions::new(url))
        .await
        .expect("trust authentication accepts any password");
    let auth = Auth::builder(SeaOrmAdapter::<()>::new(db.clone())).build();
    let shown = format!("{auth:?} {:?}", auth.adapter());
    db.close().await.unwrap();
    database.drop().await;
    assert!(!shown.contains(CANARY), "{shown}");
}
