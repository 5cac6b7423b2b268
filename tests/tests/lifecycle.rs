//! The auth lifecycle (contract.md §4) over the SeaORM adapter, on every database.

use std::time::Duration;

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{
    Auth, DEFAULT_ACTIVE_PERIOD, DEFAULT_IDLE_PERIOD, DEFAULT_RENEWAL_GRACE_PERIOD, Error,
    HashFormat, KeyRow, ManualClock, NewKey, PasswordHasher, SessionRow, SessionState, UserRow,
};
use lucia_sea_orm_tests::on_every_database;
use lucia_sea_orm_tests::tables::{
    self, NOW, Profile, insert_key, insert_session, insert_session_row, insert_user, new_user_id,
};
use sea_orm::DatabaseConnection;
use serde_json::json;
use sha2::Digest;

const DAY: i64 = 24 * 60 * 60 * 1000;
const S2_PASSWORD123: &str = "s2:aaaaaaaaaaaaaaaa:bab296283a05f26201be69cb8b00eacc7c51358285910686ec2ef685fbf0f6fa7d6c7e16c02d58d8624e4c72f7a44acaf39e28ce24877f8cfc9e6e3091518cb5";
const LEGACY_PASSWORD123: &str = "bbbbbbbbbbbbbbbb:e5113dba2b5957a922946d29d21d7b02b05481e5d8d83a8e5a79372febc4e8206ff30de8ca47aec8a10c698e0dd3ba0dc9dac5b0e91b229340eceae175a09cba";
const BCRYPT: &str = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

fn auth(db: &DatabaseConnection) -> (Auth<SeaOrmAdapter<Profile>>, ManualClock) {
    let clock = ManualClock::new(NOW);
    let auth = Auth::builder(SeaOrmAdapter::new(db.clone()))
        .clock(clock.clone())
        .build();
    (auth, clock)
}

fn profile(username: &str) -> Profile {
    Profile {
        username: username.to_owned(),
    }
}

fn email<'a>(address: &'a str, password: &'a str) -> NewKey<'a> {
    NewKey::with_password("email", address, password)
}

async fn ada_with_password(auth: &Auth<SeaOrmAdapter<Profile>>) -> UserRow<Profile> {
    auth.create_user(
        profile("ada"),
        Some(email("ada@example.com", "correct horse")),
    )
    .await
    .unwrap()
}

// Users

async fn create_user_stores_the_user_and_its_primary_key_with_an_argon2id_hash(
    db: DatabaseConnection,
) {
    let (auth, _) = auth(&db);
    let user = ada_with_password(&auth).await;
    assert_eq!(uuid_version(&user.id), 4);
    assert_eq!(
        tables::users(&db).await,
        [(user.id.clone(), Some("ada".to_owned()))]
    );
    let keys = tables::keys(&db).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (
            keys[0].id.as_str(),
            keys[0].user_id.as_str(),
            keys[0].primary
        ),
        ("email:ada@example.com", user.id.as_str(), true)
    );
    let hash = keys[0].hashed_password.as_deref().unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

async fn create_user_without_a_key_stores_only_the_user(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let user = auth.create_user(profile("ada"), None).await.unwrap();
    assert_eq!(auth.get_user(&user.id).await.unwrap(), user);
    assert!(tables::keys(&db).await.is_empty());
}

async fn create_user_with_an_empty_password_stores_a_key_without_password(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    auth.create_user(profile("ada"), Some(email("ada@example.com", "")))
        .await
        .unwrap();
    assert_eq!(tables::keys(&db).await[0].hashed_password, None);
    let key = auth
        .use_key("email", "ada@example.com", None)
        .await
        .unwrap();
    assert!(!key.has_password);
}

async fn create_user_with_a_colon_in_the_provider_id_is_invalid_provider_id(
    db: DatabaseConnection,
) {
    let (auth, _) = auth(&db);
    let key = NewKey::without_password("e:mail", "ada@example.com");
    let err = auth
        .create_user(profile("ada"), Some(key))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidProviderId), "{err:?}");
    assert!(tables::users(&db).await.is_empty());
}

async fn create_user_with_a_taken_key_is_duplicate_key_id_and_stores_nothing(
    db: DatabaseConnection,
) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let err = auth
        .create_user(profile("grace"), Some(email("ada@example.com", "other")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateKeyId), "{err:?}");
    assert_eq!(tables::users(&db).await, [(ada.id, Some("ada".to_owned()))]);
}

async fn create_user_with_a_too_long_password_is_password_too_long(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let long = "p".repeat(1_000_000);
    let key = NewKey::with_password("email", "ada@example.com", &long);
    let err = auth
        .create_user(profile("ada"), Some(key))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::PasswordTooLong { max_bytes: 4096 }),
        "{err:?}"
    );
    assert!(tables::users(&db).await.is_empty());
}

async fn get_user_of_an_unknown_id_is_invalid_user_id(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let err = auth.get_user(&new_user_id()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidUserId), "{err:?}");
}

async fn update_user_attributes_returns_the_updated_user(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let updated = auth
        .update_user_attributes(&ada.id, &json!({ "username": "lovelace" }))
        .await
        .unwrap();
    assert_eq!(updated.attributes, profile("lovelace"));
    assert_eq!(
        tables::users(&db).await,
        [(ada.id, Some("lovelace".to_owned()))]
    );
}

async fn delete_user_removes_its_sessions_keys_and_itself_only(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    auth.create_session(&ada.id).await.unwrap();
    auth.create_key(&ada.id, NewKey::without_password("github", "1"))
        .await
        .unwrap();
    let grace = auth
        .create_user(profile("grace"), Some(email("grace@example.com", "pw")))
        .await
        .unwrap();
    let grace_session = auth.create_session(&grace.id).await.unwrap();
    auth.delete_user(&ada.id).await.unwrap();
    assert_eq!(
        tables::users(&db).await,
        [(grace.id.clone(), Some("grace".to_owned()))]
    );
    assert_eq!(
        tables::keys(&db)
            .await
            .iter()
            .map(|k| k.id.as_str())
            .collect::<Vec<_>>(),
        ["email:grace@example.com"]
    );
    assert_eq!(tables::session_ids(&db).await, [grace_session.id.as_str()]);
}

async fn deleting_a_user_while_sessions_are_being_created_leaves_no_orphan(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let creators: Vec<_> = (0..16)
        .map(|_| {
            let (auth, id) = (auth.clone(), ada.id.clone());
            tokio::spawn(async move { auth.create_session(&id).await })
        })
        .collect();
    let deleter = {
        let (auth, id) = (auth.clone(), ada.id.clone());
        tokio::spawn(async move { auth.delete_user(&id).await })
    };
    for creator in creators {
        match creator.await.expect("no panic") {
            Ok(_) | Err(Error::InvalidUserId) => {}
            Err(err) => panic!("unexpected {err:?}"),
        }
    }
    deleter.await.expect("no panic").unwrap();
    // Sessions created before the delete went with the user; those after found no user.
    assert!(tables::users(&db).await.is_empty());
    assert!(tables::sessions(&db).await.is_empty());
    assert!(tables::keys(&db).await.is_empty());
}

// Keys and passwords

async fn use_key_with_the_right_password_returns_the_key(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let before = tables::keys(&db).await;
    let key = auth
        .use_key("email", "ada@example.com", Some("correct horse"))
        .await
        .unwrap();
    assert_eq!(
        (key.provider_id.as_str(), key.provider_user_id.as_str()),
        ("email", "ada@example.com")
    );
    assert_eq!(
        (key.user_id, key.primary, key.has_password),
        (ada.id, true, true)
    );
    // A current hash is not rewritten.
    assert_eq!(tables::keys(&db).await, before);
}

async fn use_key_with_a_wrong_or_missing_password_is_invalid_password(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    ada_with_password(&auth).await;
    for password in [Some("battery staple"), None, Some("")] {
        let err = auth
            .use_key("email", "ada@example.com", password)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidPassword),
            "{password:?}: {err:?}"
        );
    }
}

async fn use_key_of_an_unknown_key_is_invalid_key_id(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    ada_with_password(&auth).await;
    let err = auth
        .use_key("email", "nobody@example.com", Some("correct horse"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidKeyId), "{err:?}");
    let err = auth
        .use_key("email", "nobody@example.com", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidKeyId), "{err:?}");
}

async fn use_key_of_a_passwordless_key_takes_no_password(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = auth
        .create_user(
            profile("ada"),
            Some(NewKey::without_password("github", "42")),
        )
        .await
        .unwrap();
    let key = auth.use_key("github", "42", None).await.unwrap();
    assert_eq!((key.user_id, key.has_password), (ada.id, false));
    let err = auth
        .use_key("github", "42", Some("anything"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPassword), "{err:?}");
}

async fn lucia_s2_hashes_verify_and_are_rehashed_to_argon2id_on_login(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = insert_user(&db, "ada").await;
    insert_key(&db, &ada, true, Some(S2_PASSWORD123)).await;
    let err = auth
        .use_key("test", "ada@example.com", Some("password124"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPassword), "{err:?}");
    assert_eq!(
        tables::keys(&db).await[0].hashed_password.as_deref(),
        Some(S2_PASSWORD123)
    );
    auth.use_key("test", "ada@example.com", Some("password123"))
        .await
        .unwrap();
    let rehashed = tables::keys(&db).await[0].hashed_password.clone().unwrap();
    assert!(rehashed.starts_with("$argon2id$"), "{rehashed}");
    auth.use_key("test", "ada@example.com", Some("password123"))
        .await
        .unwrap();
}

async fn legacy_lucia_hashes_verify_and_are_rehashed_on_login(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = insert_user(&db, "ada").await;
    insert_key(&db, &ada, true, Some(LEGACY_PASSWORD123)).await;
    auth.use_key("test", "ada@example.com", Some("password123"))
        .await
        .unwrap();
    let rehashed = tables::keys(&db).await[0].hashed_password.clone().unwrap();
    assert!(rehashed.starts_with("$argon2id$"), "{rehashed}");
}

async fn rehash_on_login_can_be_turned_off(db: DatabaseConnection) {
    let hasher = PasswordHasher::builder()
        .rehash_outdated(false)
        .build()
        .unwrap();
    let auth = Auth::builder(SeaOrmAdapter::<Profile>::new(db.clone()))
        .password_hasher(hasher)
        .build();
    let ada = insert_user(&db, "ada").await;
    insert_key(&db, &ada, true, Some(S2_PASSWORD123)).await;
    auth.use_key("test", "ada@example.com", Some("password123"))
        .await
        .unwrap();
    assert_eq!(
        tables::keys(&db).await[0].hashed_password.as_deref(),
        Some(S2_PASSWORD123)
    );
}

async fn bcrypt_hashes_are_outdated_password(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = insert_user(&db, "ada").await;
    insert_key(&db, &ada, true, Some(BCRYPT)).await;
    let err = auth
        .use_key("test", "ada@example.com", Some("password123"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutdatedPassword), "{err:?}");
}

async fn the_lucia_scrypt_option_writes_hashes_the_js_library_reads(db: DatabaseConnection) {
    let hasher = PasswordHasher::builder()
        .format(HashFormat::LuciaScrypt)
        .build()
        .unwrap();
    let auth = Auth::builder(SeaOrmAdapter::<Profile>::new(db.clone()))
        .password_hasher(hasher)
        .build();
    auth.create_user(
        profile("ada"),
        Some(email("ada@example.com", "password123")),
    )
    .await
    .unwrap();
    let hash = tables::keys(&db).await[0].hashed_password.clone().unwrap();
    assert!(
        hash.starts_with("s2:") && hash.len() == 3 + 16 + 1 + 128,
        "{hash}"
    );
    auth.use_key("email", "ada@example.com", Some("password123"))
        .await
        .unwrap();
    assert_eq!(tables::keys(&db).await[0].hashed_password, Some(hash));
}

async fn passwords_are_the_same_after_nfkc_normalisation(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    auth.create_user(profile("ada"), Some(email("ada@example.com", "\u{FB01}sh")))
        .await
        .unwrap();
    auth.use_key("email", "ada@example.com", Some("fish"))
        .await
        .unwrap();
    auth.use_key("email", "ada@example.com", Some("\u{FB01}sh"))
        .await
        .unwrap();
}

async fn create_key_adds_a_non_primary_key_listed_with_the_users_keys(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let github = auth
        .create_key(&ada.id, NewKey::without_password("github", "a:b"))
        .await
        .unwrap();
    assert_eq!(
        (github.provider_user_id.as_str(), github.primary),
        ("a:b", false)
    );
    assert_eq!(auth.get_key("github", "a:b").await.unwrap(), github);
    let mut keys = auth.get_user_keys(&ada.id).await.unwrap();
    keys.sort_by(|a, b| a.provider_id.cmp(&b.provider_id));
    assert_eq!(
        keys.iter()
            .map(|k| (k.provider_id.as_str(), k.primary))
            .collect::<Vec<_>>(),
        [("email", true), ("github", false)]
    );
}

async fn create_key_for_an_unknown_user_is_invalid_user_id(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let err = auth
        .create_key(&new_user_id(), NewKey::without_password("github", "1"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUserId), "{err:?}");
    assert!(tables::keys(&db).await.is_empty());
}

async fn get_key_of_an_unknown_key_is_invalid_key_id(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let err = auth.get_key("github", "1").await.unwrap_err();
    assert!(matches!(err, Error::InvalidKeyId), "{err:?}");
}

async fn update_key_password_changes_which_password_signs_in(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    ada_with_password(&auth).await;
    auth.update_key_password("email", "ada@example.com", Some("new password"))
        .await
        .unwrap();
    let err = auth
        .use_key("email", "ada@example.com", Some("correct horse"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPassword), "{err:?}");
    auth.use_key("email", "ada@example.com", Some("new password"))
        .await
        .unwrap();
    let key = auth
        .update_key_password("email", "ada@example.com", None)
        .await
        .unwrap();
    assert!(!key.has_password);
    assert_eq!(tables::keys(&db).await[0].hashed_password, None);
    let err = auth
        .update_key_password("email", "nobody@example.com", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidKeyId), "{err:?}");
}

async fn delete_key_deletes_a_non_primary_key_and_keeps_the_primary_one(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    auth.create_key(&ada.id, NewKey::without_password("github", "1"))
        .await
        .unwrap();
    auth.delete_key("github", "1").await.unwrap();
    auth.delete_key("email", "ada@example.com").await.unwrap();
    let keys: Vec<KeyRow> = tables::keys(&db).await;
    assert_eq!(
        keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
        ["email:ada@example.com"]
    );
}

// Sessions

async fn create_session_is_active_for_a_day_then_idle_for_fourteen(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let session = auth.create_session(&ada.id).await.unwrap();
    assert_eq!(session.id.len(), 40);
    assert!(session.id.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!((session.state, session.fresh), (SessionState::Active, true));
    assert_eq!(DEFAULT_ACTIVE_PERIOD.as_millis(), DAY as u128);
    assert_eq!(DEFAULT_IDLE_PERIOD.as_millis(), 14 * DAY as u128);
    let row = SessionRow {
        id: session.id.clone(),
        user_id: ada.id,
        active_expires: NOW + DAY,
        idle_expires: NOW + 15 * DAY,
    };
    assert_eq!(tables::sessions(&db).await, [row]);
}

async fn create_session_for_an_unknown_user_is_invalid_user_id(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    for user_id in [new_user_id(), "not-a-uuid".to_owned()] {
        let err = auth.create_session(&user_id).await.unwrap_err();
        assert!(matches!(err, Error::InvalidUserId), "{err:?}");
    }
    assert!(tables::sessions(&db).await.is_empty());
}

async fn create_session_deletes_the_users_dead_sessions(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let dead = SessionRow {
        id: "d".repeat(40),
        user_id: ada.id.clone(),
        active_expires: NOW - 2,
        idle_expires: NOW - 1,
    };
    insert_session_row(&db, &dead).await;
    let session = auth.create_session(&ada.id).await.unwrap();
    assert_eq!(tables::session_ids(&db).await, [session.id]);
}

async fn validate_session_keeps_an_active_session_up_to_its_last_active_millisecond(
    db: DatabaseConnection,
) {
    let (auth, clock) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let session = auth.create_session(&ada.id).await.unwrap();
    clock.set(session.active_expires);
    let valid = auth.validate_session(&session.id).await.unwrap();
    assert_eq!(
        (valid.id.as_str(), valid.state, valid.fresh),
        (session.id.as_str(), SessionState::Active, false)
    );
    assert_eq!(tables::sessions(&db).await.len(), 1);
}

async fn validate_session_renews_an_idle_session_and_ends_the_old_one_after_the_grace_period(
    db: DatabaseConnection,
) {
    let (auth, clock) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let old = auth.create_session(&ada.id).await.unwrap();
    let renewed_at = old.active_expires + 1;
    clock.set(renewed_at);
    let renewed = auth.validate_session(&old.id).await.unwrap();
    assert_ne!(renewed.id, old.id);
    assert_eq!((renewed.state, renewed.fresh), (SessionState::Active, true));
    assert_eq!(renewed.active_expires, renewed_at + DAY);

    let grace_ends = renewed_at + millis(DEFAULT_RENEWAL_GRACE_PERIOD);
    let mut ids = vec![old.id.clone(), renewed.id.clone()];
    ids.sort();
    assert_eq!(tables::session_ids(&db).await, ids);
    clock.set(grace_ends);
    let in_grace = auth.validate_session(&old.id).await.unwrap();
    assert_eq!(
        (in_grace.id.as_str(), in_grace.state, in_grace.fresh),
        (old.id.as_str(), SessionState::Active, false)
    );
    assert_eq!(
        (in_grace.active_expires, in_grace.idle_expires),
        (grace_ends, grace_ends)
    );
    clock.set(grace_ends + 1);
    let err = auth.validate_session(&old.id).await.unwrap_err();
    assert!(matches!(err, Error::InvalidSessionId), "{err:?}");
    assert_eq!(tables::session_ids(&db).await, [renewed.id]);
}

async fn a_zero_grace_period_ends_the_old_id_at_once(db: DatabaseConnection) {
    let clock = ManualClock::new(NOW);
    let auth = Auth::builder(SeaOrmAdapter::<Profile>::new(db.clone()))
        .clock(clock.clone())
        .renewal_grace_period(Duration::ZERO)
        .build();
    let ada = ada_with_password(&auth).await;
    let old = auth.create_session(&ada.id).await.unwrap();
    clock.set(old.active_expires + 1);
    assert!(auth.validate_session(&old.id).await.unwrap().fresh);
    clock.advance(Duration::from_millis(1));
    let err = auth.validate_session(&old.id).await.unwrap_err();
    assert!(matches!(err, Error::InvalidSessionId), "{err:?}");
}

async fn a_session_signed_out_while_idle_is_not_renewed(db: DatabaseConnection) {
    let (auth, clock) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let old = auth.create_session(&ada.id).await.unwrap();
    clock.set(old.active_expires + 1);
    auth.invalidate_session(&old.id).await.unwrap();
    let err = auth.validate_session(&old.id).await.unwrap_err();
    assert!(matches!(err, Error::InvalidSessionId), "{err:?}");
    assert!(tables::sessions(&db).await.is_empty());
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap()
}

async fn validate_session_still_accepts_a_session_at_its_last_idle_millisecond(
    db: DatabaseConnection,
) {
    let (auth, clock) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let session = auth.create_session(&ada.id).await.unwrap();
    clock.set(session.idle_expires);
    let renewed = auth.validate_session(&session.id).await.unwrap();
    assert!(renewed.fresh);
}

async fn validate_session_rejects_and_deletes_a_dead_session(db: DatabaseConnection) {
    let (auth, clock) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let session = auth.create_session(&ada.id).await.unwrap();
    clock.set(session.idle_expires + 1);
    let err = auth.validate_session(&session.id).await.unwrap_err();
    assert!(matches!(err, Error::InvalidSessionId), "{err:?}");
    assert!(tables::sessions(&db).await.is_empty());
}

async fn validate_session_rejects_unknown_and_malformed_ids(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    for id in [
        "a".repeat(40),
        "short".to_owned(),
        "x".repeat(10_000),
        format!("{}'", "a".repeat(39)),
    ] {
        let err = auth.validate_session(&id).await.unwrap_err();
        assert!(matches!(err, Error::InvalidSessionId), "{id}: {err:?}");
        let err = auth.validate_session_user(&id).await.unwrap_err();
        assert!(matches!(err, Error::InvalidSessionId), "{id}: {err:?}");
    }
}

async fn get_session_does_not_renew_an_idle_session(db: DatabaseConnection) {
    let (auth, clock) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let session = auth.create_session(&ada.id).await.unwrap();
    clock.set(session.active_expires + 1);
    let idle = auth.get_session(&session.id).await.unwrap();
    assert_eq!(
        (idle.id.as_str(), idle.state, idle.fresh),
        (session.id.as_str(), SessionState::Idle, false)
    );
    assert_eq!(tables::sessions(&db).await.len(), 1);
}

async fn validate_session_user_returns_the_user_with_its_attributes(db: DatabaseConnection) {
    let (auth, clock) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let session = auth.create_session(&ada.id).await.unwrap();
    let (valid, user) = auth.validate_session_user(&session.id).await.unwrap();
    assert_eq!(
        (valid.id.as_str(), valid.fresh),
        (session.id.as_str(), false)
    );
    assert_eq!(user, ada);
    clock.set(session.active_expires + 1);
    let (renewed, user) = auth.validate_session_user(&session.id).await.unwrap();
    assert!(renewed.fresh && renewed.id != session.id);
    assert_eq!(user, ada);
    // The new session, and the old one for its grace period.
    assert_eq!(tables::sessions(&db).await.len(), 2);
}

async fn renew_session_replaces_the_session_and_invalidates_the_old_one(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let old = auth.create_session(&ada.id).await.unwrap();
    let renewed = auth.renew_session(&old.id).await.unwrap();
    assert_ne!(renewed.id, old.id);
    assert!(matches!(
        auth.get_session(&old.id).await,
        Err(Error::InvalidSessionId)
    ));
    assert_eq!(auth.get_session(&renewed.id).await.unwrap().user_id, ada.id);
}

async fn invalidate_session_and_invalidate_all_user_sessions_delete_their_targets(
    db: DatabaseConnection,
) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let grace = auth.create_user(profile("grace"), None).await.unwrap();
    let first = auth.create_session(&ada.id).await.unwrap();
    let second = auth.create_session(&ada.id).await.unwrap();
    let third = auth.create_session(&ada.id).await.unwrap();
    let graces = auth.create_session(&grace.id).await.unwrap();
    auth.invalidate_session(&first.id).await.unwrap();
    assert!(matches!(
        auth.validate_session(&first.id).await,
        Err(Error::InvalidSessionId)
    ));
    assert_eq!(tables::sessions(&db).await.len(), 3);
    auth.invalidate_all_user_sessions(&ada.id).await.unwrap();
    for gone in [&second, &third] {
        assert!(matches!(
            auth.validate_session(&gone.id).await,
            Err(Error::InvalidSessionId)
        ));
    }
    assert_eq!(tables::session_ids(&db).await, [graces.id]);
}

async fn get_user_sessions_lists_live_sessions_only(db: DatabaseConnection) {
    let (auth, clock) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let dead = SessionRow {
        id: "d".repeat(40),
        user_id: ada.id.clone(),
        active_expires: NOW - 2,
        idle_expires: NOW - 1,
    };
    let idle = SessionRow {
        id: "i".repeat(40),
        user_id: ada.id.clone(),
        active_expires: NOW - 1,
        idle_expires: NOW + DAY,
    };
    insert_session_row(&db, &dead).await;
    insert_session_row(&db, &idle).await;
    clock.set(NOW);
    let mut sessions = auth.get_user_sessions(&ada.id).await.unwrap();
    sessions.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        sessions
            .iter()
            .map(|s| (s.id.as_str(), s.state))
            .collect::<Vec<_>>(),
        [(idle.id.as_str(), SessionState::Idle)]
    );
}

async fn delete_dead_user_sessions_and_delete_expired_sessions_keep_live_ones(
    db: DatabaseConnection,
) {
    let (auth, _) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let grace = auth.create_user(profile("grace"), None).await.unwrap();
    let live = auth.create_session(&ada.id).await.unwrap();
    for (user, id) in [(&ada, "a"), (&grace, "g")] {
        let dead = SessionRow {
            id: id.repeat(40),
            user_id: user.id.clone(),
            active_expires: NOW - 2,
            idle_expires: NOW - 1,
        };
        insert_session_row(&db, &dead).await;
    }
    assert_eq!(auth.delete_dead_user_sessions(&ada.id).await.unwrap(), 1);
    assert_eq!(tables::sessions(&db).await.len(), 2);
    assert_eq!(auth.delete_expired_sessions().await.unwrap(), 1);
    assert_eq!(tables::session_ids(&db).await, [live.id]);
}

async fn the_cleanup_task_deletes_expired_sessions_periodically(db: DatabaseConnection) {
    let (auth, clock) = auth(&db);
    let ada = ada_with_password(&auth).await;
    let session = auth.create_session(&ada.id).await.unwrap();
    let cleanup = auth.spawn_expired_session_cleanup(Duration::from_millis(20));
    // The session outlives a few runs while live, then goes once the clock passes its end.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(tables::sessions(&db).await.len(), 1);
    clock.set(session.idle_expires + 1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !tables::sessions(&db).await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "cleanup never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cleanup.abort();
}

async fn custom_periods_set_the_expiry_times(db: DatabaseConnection) {
    let clock = ManualClock::new(NOW);
    let auth = Auth::builder(SeaOrmAdapter::<Profile>::new(db.clone()))
        .active_period(Duration::from_secs(60))
        .idle_period(Duration::from_secs(120))
        .clock(clock)
        .build();
    let ada = auth.create_user(profile("ada"), None).await.unwrap();
    let session = auth.create_session(&ada.id).await.unwrap();
    assert_eq!(
        (session.active_expires, session.idle_expires),
        (NOW + 60_000, NOW + 180_000)
    );
}

fn uuid_version(id: &str) -> usize {
    uuid::Uuid::parse_str(id).expect("a UUID").get_version_num()
}

on_every_database!(Schema::Migrated =>
    create_user_stores_the_user_and_its_primary_key_with_an_argon2id_hash,
    create_user_without_a_key_stores_only_the_user,
    create_user_with_an_empty_password_stores_a_key_without_password,
    create_user_with_a_colon_in_the_provider_id_is_invalid_provider_id,
    create_user_with_a_taken_key_is_duplicate_key_id_and_stores_nothing,
    create_user_with_a_too_long_password_is_password_too_long,
    get_user_of_an_unknown_id_is_invalid_user_id,
    update_user_attributes_returns_the_updated_user,
    delete_user_removes_its_sessions_keys_and_itself_only,
    deleting_a_user_while_sessions_are_being_created_leaves_no_orphan,
    use_key_with_the_right_password_returns_the_key,
    use_key_with_a_wrong_or_missing_password_is_invalid_password,
    use_key_of_an_unknown_key_is_invalid_key_id,
    use_key_of_a_passwordless_key_takes_no_password,
    lucia_s2_hashes_verify_and_are_rehashed_to_argon2id_on_login,
    legacy_lucia_hashes_verify_and_are_rehashed_on_login,
    rehash_on_login_can_be_turned_off,
    bcrypt_hashes_are_outdated_password,
    the_lucia_scrypt_option_writes_hashes_the_js_library_reads,
    passwords_are_the_same_after_nfkc_normalisation,
    create_key_adds_a_non_primary_key_listed_with_the_users_keys,
    create_key_for_an_unknown_user_is_invalid_user_id,
    get_key_of_an_unknown_key_is_invalid_key_id,
    update_key_password_changes_which_password_signs_in,
    delete_key_deletes_a_non_primary_key_and_keeps_the_primary_one,
    create_session_is_active_for_a_day_then_idle_for_fourteen,
    create_session_for_an_unknown_user_is_invalid_user_id,
    create_session_deletes_the_users_dead_sessions,
    validate_session_keeps_an_active_session_up_to_its_last_active_millisecond,
    validate_session_renews_an_idle_session_and_ends_the_old_one_after_the_grace_period,
    a_zero_grace_period_ends_the_old_id_at_once,
    a_session_signed_out_while_idle_is_not_renewed,
    a_rehash_never_overwrites_a_password_reset_during_sign_in,
    an_empty_stored_hash_means_no_password,
    a_malformed_stored_hash_is_an_invalid_password,
    concurrent_user_deletes_and_session_writes_all_succeed,
    validate_session_still_accepts_a_session_at_its_last_idle_millisecond,
    validate_session_rejects_and_deletes_a_dead_session,
    validate_session_rejects_unknown_and_malformed_ids,
    get_session_does_not_renew_an_idle_session,
    validate_session_user_returns_the_user_with_its_attributes,
    renew_session_replaces_the_session_and_invalidates_the_old_one,
    invalidate_session_and_invalidate_all_user_sessions_delete_their_targets,
    get_user_sessions_lists_live_sessions_only,
    delete_dead_user_sessions_and_delete_expired_sessions_keep_live_ones,
    the_cleanup_task_deletes_expired_sessions_periodically,
    custom_periods_set_the_expiry_times,
    hashed_session_ids_store_only_a_sha256_digest,
    concurrent_validations_of_an_idle_session_renew_it_once_and_serve_all,
);

async fn hashed_session_ids_store_only_a_sha256_digest(db: DatabaseConnection) {
    let clock = ManualClock::new(NOW);
    let auth = Auth::builder(SeaOrmAdapter::<Profile>::new(db.clone()))
        .hash_session_ids(true)
        .clock(clock.clone())
        .build();
    let ada = ada_with_password(&auth).await;
    let session = auth.create_session(&ada.id).await.unwrap();
    let digest = |id: &str| hex::encode(sha2::Sha256::digest(id.as_bytes()));
    assert_eq!(tables::session_ids(&db).await, [digest(&session.id)]);
    let (valid, user) = auth.validate_session_user(&session.id).await.unwrap();
    assert_eq!(
        (valid.id.as_str(), user.id.as_str()),
        (session.id.as_str(), ada.id.as_str())
    );
    // The stored value is not a session id: a leaked table gives no way in.
    let err = auth
        .validate_session(&digest(&session.id))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSessionId), "{err:?}");

    clock.set(session.active_expires + 1);
    let renewed = auth.validate_session(&session.id).await.unwrap();
    assert!(renewed.fresh);
    let mut digests = vec![digest(&session.id), digest(&renewed.id)];
    digests.sort();
    assert_eq!(tables::session_ids(&db).await, digests);
    // Within the grace period the old cookie still works, by its digest too.
    let in_grace = auth.validate_session(&session.id).await.unwrap();
    assert_eq!(
        (in_grace.id.as_str(), in_grace.fresh),
        (session.id.as_str(), false)
    );
    auth.invalidate_session(&renewed.id).await.unwrap();
    auth.invalidate_session(&session.id).await.unwrap();
    assert!(tables::sessions(&db).await.is_empty());
}

async fn concurrent_validations_of_an_idle_session_renew_it_once_and_serve_all(
    db: DatabaseConnection,
) {
    let (auth, clock) = auth(&pooled(&db).await);
    let ada = ada_with_password(&auth).await;
    let idle = auth.create_session(&ada.id).await.unwrap();
    clock.set(idle.active_expires + 1);
    let validations = (0..RACERS).map(|i| {
        let auth = auth.clone();
        let id = idle.id.clone();
        // Half through each entry point: a page and its resources may use either.
        tokio::spawn(async move {
            if i % 2 == 0 {
                auth.validate_session(&id).await
            } else {
                auth.validate_session_user(&id)
                    .await
                    .map(|(session, _)| session)
            }
        })
    });
    let mut renewed = Vec::new();
    for validation in validations.collect::<Vec<_>>() {
        let session = validation.await.unwrap().unwrap();
        assert_eq!(session.state, SessionState::Active);
        if session.fresh {
            renewed.push(session.id);
        } else {
            assert_eq!(session.id, idle.id);
        }
    }
    assert_eq!(renewed.len(), 1, "exactly one renewal");
    let mut ids = vec![idle.id.clone(), renewed[0].clone()];
    ids.sort();
    assert_eq!(tables::session_ids(&db).await, ids);
}

async fn a_rehash_never_overwrites_a_password_reset_during_sign_in(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    for round in 0..5 {
        let user = insert_user(&db, &format!("user{round}")).await;
        let address = format!("user{round}@example.com");
        insert_key(&db, &user, true, Some(S2_PASSWORD123)).await;
        // The sign-in verifies the slow scrypt hash while the reset writes the new password;
        // its rehash then finds a hash it did not verify and must leave it alone.
        let (signed_in, reset) =
            tokio::join!(auth.use_key("test", &address, Some("password123")), async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                auth.update_key_password("test", &address, Some("new password"))
                    .await
            });
        signed_in.unwrap();
        reset.unwrap();
        auth.use_key("test", &address, Some("new password"))
            .await
            .unwrap();
        let err = auth
            .use_key("test", &address, Some("password123"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidPassword), "{err:?}");
    }
}

async fn an_empty_stored_hash_means_no_password(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let ada = insert_user(&db, "ada").await;
    insert_key(&db, &ada, true, Some("")).await;
    let key = auth.get_key("test", "ada@example.com").await.unwrap();
    assert!(!key.has_password);
    auth.use_key("test", "ada@example.com", None).await.unwrap();
    let err = auth
        .use_key("test", "ada@example.com", Some("anything"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPassword), "{err:?}");
}

async fn a_malformed_stored_hash_is_an_invalid_password(db: DatabaseConnection) {
    let (auth, _) = auth(&db);
    let truncated = &S2_PASSWORD123[..40];
    for (i, stored) in ["HASHED", truncated, "s2:", "$argon2id$v=19$m=19456"]
        .into_iter()
        .enumerate()
    {
        let user = insert_user(&db, &format!("user{i}")).await;
        insert_key(&db, &user, true, Some(stored)).await;
        let address = format!("user{i}@example.com");
        let key = auth.get_key("test", &address).await.unwrap();
        assert!(key.has_password, "{stored}");
        let err = auth
            .use_key("test", &address, Some("password123"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidPassword), "{stored}: {err:?}");
    }
}

const RACERS: usize = 64;

/// The same database through a pool of several connections, set up as the README recommends:
/// SeaORM gives SQLite a single connection by default, which would serialise every call.
async fn pooled(db: &DatabaseConnection) -> DatabaseConnection {
    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};

    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return db.clone();
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let mut pooled =
        sea_orm::ConnectOptions::new(format!("sqlite://{}", options.get_filename().display()));
    pooled.max_connections(8).map_sqlx_sqlite_opts(|o| {
        o.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
    });
    sea_orm::Database::connect(pooled).await.unwrap()
}

async fn concurrent_user_deletes_and_session_writes_all_succeed(db: DatabaseConnection) {
    let (auth, _) = auth(&pooled(&db).await);
    let mut doomed = Vec::new();
    let mut kept = Vec::new();
    for i in 0..RACERS {
        let user = insert_user(&db, &format!("doomed{i}")).await;
        insert_session(&db, &user.id).await;
        doomed.push(user.id);
        kept.push(insert_user(&db, &format!("kept{i}")).await.id);
    }
    let deletes = doomed.iter().map(|id| {
        let (auth, id) = (auth.clone(), id.clone());
        tokio::spawn(async move { auth.delete_user(&id).await })
    });
    let sessions = kept.iter().map(|id| {
        let (auth, id) = (auth.clone(), id.clone());
        tokio::spawn(async move { auth.create_session(&id).await.map(drop) })
    });
    let tasks: Vec<_> = deletes.chain(sessions).collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let users: Vec<String> = tables::users(&db)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut expected = kept.clone();
    expected.sort();
    assert_eq!(users, expected);
    assert_eq!(tables::sessions(&db).await.len(), kept.len());
}
