//! SQLite's prepared statements after `ANALYZE`. Built with `SQLITE_ENABLE_STAT4`, as sqlx
//! bundles it, SQLite recompiles a statement before running it with new values whenever the
//! value bound to a parameter might change the plan under the statistics `ANALYZE` gathered: in
//! a join, compared with a column whose index is not unique, in a range. A bound `LIMIT` is
//! recompiled for on every call, statistics or not. For `get_session_and_user` the
//! recompilation cost more than the rest of the call together (86,000 instructions under
//! callgrind, per call). SQLite counts each statement's recompilations
//! (`sqlite3_stmt_status(…, SQLITE_STMTSTATUS_REPREPARE, …)`); the test reads the counts of the
//! statements cached on the one connection the adapter runs on.

use std::ffi::CStr;
use std::time::{SystemTime, UNIX_EPOCH};

use libsqlite3_sys as ffi;
use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Adapter, KeyRow, SessionRow, UserRow};
use lucia_sea_orm_tests::tables::Profile;
use lucia_sea_orm_tests::{AppMigrator, Backend, ScratchDatabase};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use serde_json::json;
use uuid::Uuid;

const USERS: usize = 40;
const DAY: i64 = 24 * 60 * 60 * 1000;

/// A user with a password key and two live sessions.
struct Seeded {
    user: UserRow<Profile>,
    key: KeyRow,
    sessions: [SessionRow; 2],
}

fn now() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since_epoch.as_millis()).unwrap()
}

fn session_of(user_id: &str) -> SessionRow {
    let now = now();
    SessionRow {
        id: Uuid::new_v4().simple().to_string(),
        user_id: user_id.to_owned(),
        active_expires: now + DAY,
        idle_expires: now + 2 * DAY,
    }
}

fn key_of(user_id: &str, name: &str, primary: bool) -> KeyRow {
    KeyRow {
        id: format!("email:{name}@example.com"),
        user_id: user_id.to_owned(),
        primary,
        hashed_password: Some(format!("s2:salt:{name}")),
    }
}

async fn seed(adapter: &SeaOrmAdapter<Profile>) -> Vec<Seeded> {
    let mut seeded = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let user = UserRow {
            id: Uuid::new_v4().to_string(),
            attributes: Profile {
                username: format!("user{i}"),
            },
        };
        let key = key_of(&user.id, &format!("user{i}"), true);
        adapter.set_user(&user, Some(&key)).await.unwrap();
        let sessions = [session_of(&user.id), session_of(&user.id)];
        for session in &sessions {
            adapter.set_session(session).await.unwrap();
        }
        seeded.push(Seeded {
            user,
            key,
            sessions,
        });
    }
    seeded
}

/// Every operation of the adapter, on each of `users`, with values no call has bound before.
async fn every_operation(adapter: &SeaOrmAdapter<Profile>, users: &[Seeded]) {
    for (i, seeded) in users.iter().enumerate() {
        let user_id = seeded.user.id.as_str();
        let session_id = seeded.sessions[0].id.as_str();
        assert!(adapter.get_user(user_id).await.unwrap().is_some());
        assert!(adapter.get_key(&seeded.key.id).await.unwrap().is_some());
        assert_eq!(adapter.get_keys_by_user_id(user_id).await.unwrap().len(), 1);
        assert!(adapter.get_session(session_id).await.unwrap().is_some());
        assert!(
            adapter
                .get_session_and_user(session_id)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            adapter
                .get_sessions_by_user_id(user_id)
                .await
                .unwrap()
                .len(),
            2
        );
        let renamed = json!({ "username": format!("renamed{}", seeded.user.attributes.username) });
        adapter
            .update_user_attributes(user_id, &renamed)
            .await
            .unwrap();

        let fresh = session_of(user_id);
        adapter.set_session(&fresh).await.unwrap();
        let now = now();
        adapter
            .expire_idle_session(&fresh.id, now, now + 1_000)
            .await
            .unwrap();
        assert_eq!(adapter.delete_sessions(&[&fresh.id]).await.unwrap(), 1);
        // Several at once: a plain `IN` list, left out of the check below.
        let (one, two) = (session_of(user_id), session_of(user_id));
        adapter.set_session(&one).await.unwrap();
        adapter.set_session(&two).await.unwrap();
        assert_eq!(
            adapter.delete_sessions(&[&one.id, &two.id]).await.unwrap(),
            2
        );
        adapter
            .delete_dead_sessions_by_user_id(user_id, now)
            .await
            .unwrap();
        adapter.delete_expired_sessions(now).await.unwrap();

        let hash = seeded.key.hashed_password.as_deref().unwrap();
        let replaced = format!("{hash}:replaced");
        assert!(
            adapter
                .replace_key_password(&seeded.key.id, hash, &replaced)
                .await
                .unwrap()
        );
        adapter
            .update_key_password(&seeded.key.id, Some(hash))
            .await
            .unwrap();
        let second = key_of(user_id, &format!("second{i}"), false);
        adapter.set_key(&second).await.unwrap();
        adapter.delete_non_primary_key(&second.id).await.unwrap();

        let other = UserRow {
            id: Uuid::new_v4().to_string(),
            attributes: Profile {
                username: format!("other{}", seeded.user.attributes.username),
            },
        };
        adapter.set_user(&other, None).await.unwrap();
        adapter.delete_user(&other.id).await.unwrap();

        // Half the users end one way, half the other.
        if i % 2 == 0 {
            adapter.delete_sessions_by_user_id(user_id).await.unwrap();
            adapter.delete_keys_by_user_id(user_id).await.unwrap();
            adapter.delete_user(user_id).await.unwrap();
        } else {
            adapter
                .delete_user_with_sessions_and_keys(user_id)
                .await
                .unwrap();
        }
    }
}

/// The SQL of each statement cached on the connection and how often SQLite recompiled it;
/// with `reset`, the counts start again from zero.
async fn recompilations(db: &DatabaseConnection, reset: bool) -> Vec<(String, i32)> {
    let mut connection = db.get_sqlite_connection_pool().acquire().await.unwrap();
    let mut handle = connection.lock_handle().await.unwrap();
    let raw = handle.as_raw_handle().as_ptr();
    let mut counts = Vec::new();
    // SAFETY: `raw` is the open connection, locked for this thread by `handle` until it drops;
    // SQLite's list of its statements and their counters are read without changing a statement.
    unsafe {
        let mut statement = ffi::sqlite3_next_stmt(raw, std::ptr::null_mut());
        while !statement.is_null() {
            let text = ffi::sqlite3_sql(statement);
            let sql = if text.is_null() {
                String::new()
            } else {
                CStr::from_ptr(text).to_string_lossy().into_owned()
            };
            let count = ffi::sqlite3_stmt_status(
                statement,
                ffi::SQLITE_STMTSTATUS_REPREPARE,
                i32::from(reset),
            );
            counts.push((sql, count));
            statement = ffi::sqlite3_next_stmt(raw, statement);
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_analyze_no_statement_of_the_adapter_is_recompiled_for_each_call() {
    let database = ScratchDatabase::create(Backend::Sqlite, "lucia_test")
        .await
        .expect("SQLite needs no server");
    // One connection: the one whose statements are read.
    let db = Database::connect(
        ConnectOptions::new(database.url())
            .max_connections(1)
            .to_owned(),
    )
    .await
    .unwrap();
    AppMigrator::up(&db, None).await.unwrap();
    let adapter = SeaOrmAdapter::<Profile>::new(db.clone());
    let users = seed(&adapter).await;
    db.execute_unprepared("ANALYZE").await.unwrap();

    // A statement written the usual way is recompiled for each new value: the check can fail.
    for seeded in &users {
        db.query_all_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Sqlite,
            r#"SELECT id FROM "session" WHERE user_id = ?"#,
            [seeded.user.id.as_str().into()],
        ))
        .await
        .unwrap();
    }
    let control = recompilations(&db, false).await;
    let control = control
        .iter()
        .find(|(sql, _)| sql.ends_with("WHERE user_id = ?"))
        .expect("the control statement is cached");
    assert!(control.1 >= 2, "{control:?}");

    // `ANALYZE` changed the schema, so statements prepared before are recompiled once.
    let (first, second) = users.split_at(USERS / 2);
    every_operation(&adapter, first).await;
    recompilations(&db, true).await;
    every_operation(&adapter, second).await;
    let counts = recompilations(&db, false).await;

    // The delete of several sessions at once keeps a plain `IN` list (see `compare.rs` in the
    // adapter), and the control statement is recompiled by design.
    let recompiled: Vec<_> = counts
        .iter()
        .filter(|(sql, count)| {
            *count > 0 && !sql.ends_with("WHERE user_id = ?") && !sql.contains(" IN (")
        })
        .collect();
    assert!(
        recompiled.is_empty(),
        "recompiled on each call: {recompiled:#?}"
    );
    for shape in [
        r#""user"."id" AS "lucia_user_id""#,
        r#"FROM "session" WHERE "session"."user_id" ="#,
        r#"FROM "key" WHERE "key"."user_id" ="#,
        r#"FROM "key" WHERE "key"."id" ="#,
        r#"DELETE FROM "session" WHERE "session"."user_id" ="#,
        r#"AND "session"."idle_expires" <"#,
        r#"DELETE FROM "session" WHERE "session"."idle_expires" <"#,
        r#"DELETE FROM "key" WHERE "key"."user_id" ="#,
    ] {
        assert!(
            counts.iter().any(|(sql, _)| sql.contains(shape)),
            "no statement like {shape} was read: {counts:#?}"
        );
    }
    db.close().await.unwrap();
    database.drop().await;
}
