//! Rows written by Lucia (JavaScript) 0.6.2 itself, on each database (`../shared/fixtures/
//! lucia-js/`, described by its README): loaded into a fresh database, adopted by
//! `migrate up`, then read through `Auth` at the README's instant NOW. Every statement of the
//! README is asserted; where this crate differs from the JS library on purpose (renewal, NFKC,
//! listing sessions, case-sensitive ids on MariaDB), the assertion is of our documented
//! behaviour and says so.
//!
//! Also the sharing mode (`AuthBuilder::sharing_with_lucia_js`): what Rust writes under it is
//! what the JS schema and library expect, and switching back to the defaults is one line.

use std::collections::BTreeMap;

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{
    Adapter, Auth, DEFAULT_RENEWAL_GRACE_PERIOD, Error, Key, ManualClock, NewKey, Session,
    SessionState,
};
use lucia_sea_orm_migration::Migrator;
use lucia_sea_orm_tests::lucia_js::{self, NOW, fixtures_dir};
use lucia_sea_orm_tests::{Backend, Schema, on_every_database};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sea_orm_migration::MigratorTrait;
use serde::{Deserialize, Serialize};

const HOUR: i64 = 60 * 60 * 1000;
const DAY: i64 = 24 * HOUR;

fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).expect("a short duration")
}

/// The fixture's one application column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct JsProfile {
    username: Option<String>,
}

type JsAuth = Auth<SeaOrmAdapter<JsProfile>>;

/// The README's users: name, username, and id on SQLite, PostgreSQL, MariaDB.
#[rustfmt::skip]
const USERS: [(&str, Option<&str>, [&str; 3]); 7] = [
    ("alice", Some("alice"),   ["8ZvpXXnl7onlUPg", "3cfd0e4c-b337-49a5-b3a7-fb426e3ed8bf", "ZQksHKhfXRYRYZ5"]),
    ("bob",   Some("bob"),     ["pArfJ3E30VCQVZp", "bf1159cb-7abb-4159-95da-f223edb7d93d", "3G613Z5I5WR4Cov"]),
    ("carol", Some("Çarol"),   ["vRSHgGo46C9R1CR", "4621bc85-8c0d-4cc1-b0c7-360c6f1a6bac", "nFPxlwnRBsHfhb6"]),
    ("dave",  Some("dave 🐟"), ["kWmYK30Z39HeL4a", "8aaf8782-c5c1-474c-845c-e050716cb8cc", "4TtEqkqfdQq9I2v"]),
    ("erin",  Some("erin"),    ["OJSu3pW1cd6ymFg", "ebcc543d-3517-4b8d-aa14-4cb02d078a5c", "GHJnyDt3cgXcqBS"]),
    ("frank", Some("frank"),   ["NHD8VSKZSfZS2HW", "2064ec14-7eac-421f-9df2-30b352aa3a5f", "JM8WnL9UOwE7NLP"]),
    ("grace", None,            ["l7T8RAFVxmowG8V", "c47d5eec-5d33-41a2-aa2d-f46a843f97d4", "coFHHtjYeSJgcoB"]),
];

/// The README's keys: provider id, provider user id, user, primary, has a password.
#[rustfmt::skip]
const KEYS: [(&str, &str, &str, bool, bool); 9] = [
    ("email",  "alice@example.com",               "alice", true,  true),
    ("github", "12345",                           "alice", false, false),
    ("oidc",   "https://issuer.example:8443/u/1", "alice", false, false),
    ("email",  "bob@example.com",                 "bob",   true,  true),
    ("email",  "carol@example.com",               "carol", true,  true),
    ("ldap",   "uid=carol:ou=people",             "carol", false, true),
    ("email",  "dave@example.com",                "dave",  true,  true),
    ("email",  "erin@example.com",                "erin",  true,  true),
    ("google", "109876543210",                    "frank", true,  false),
];

/// The README's sessions: name, user, state at NOW, and (id, active_expires, idle_expires) on
/// SQLite, PostgreSQL, MariaDB.
type SessionFixture = (
    &'static str,
    &'static str,
    SessionState,
    [(&'static str, i64, i64); 3],
);

#[rustfmt::skip]
const SESSIONS: [SessionFixture; 8] = [
    ("alice-active", "alice", SessionState::Active, [
        ("20MqFugqjtsncPjOG6ShnNhr4u61NIA1XRTxw4QI", 1795984525342, 1797194125342),
        ("9eCw6JdrZURPyfOWZ0dmkt9qIBbh9mJTKY1vV03o", 1795984525848, 1797194125848),
        ("oRRhA9NFPxYX3x75KonmFMFHdnQyQBokz3QmoQzu", 1795984526476, 1797194126476),
    ]),
    ("alice-idle", "alice", SessionState::Idle, [
        ("6VuAP8KLTRoaT2zBXq4d2eZk2ZLUc74GG0wv44oU", 1795894525343, 1797104125343),
        ("BKHkBlwSf0wIU5xBWs6lmDI2Qcf2JGvsnGXuiCFA", 1795894525857, 1797104125857),
        ("fmjmXD1HXq9Hqma6ir34BIsTLdWAU9lhyktrfrnW", 1795894526479, 1797104126479),
    ]),
    ("bob-active", "bob", SessionState::Active, [
        ("BiE78KRq9k3uBY59TxG62EQBytP2HWU2WLENzyHX", 1795984525344, 1797194125344),
        ("Djx0heEp1IbD5v4kCNxfOK2fhVixcDwvSQ1Zcc5P", 1795984525858, 1797194125858),
        ("8RNnhXlFG9yvChE2urBjJpoGokZjYQtVjwRvNlZp", 1795984526480, 1797194126480),
    ]),
    ("carol-idle", "carol", SessionState::Idle, [
        ("5AWw0LfVvfnfellfxlEv3PPfs5WmXsMtdMpQkAJY", 1795894525345, 1797104125345),
        ("1dXBCLTyMRWD2wqvv5jcQURN6hebY2Cc7EKeW0Gs", 1795894525859, 1797104125859),
        ("e8b0lgCWOX30NaDM0vTaKbHauW9kF1XgkV7Jke33", 1795894526481, 1797104126481),
    ]),
    ("frank-active", "frank", SessionState::Active, [
        ("1Q0gAYlm0DfxQNQVaGxQcsJcleZqkY3iTYKLejBm", 1795984525346, 1797194125346),
        ("sPaAfK8NhMgPm8K3WsdQNkw0hDF3ZTQZlCgtYJKW", 1795984525863, 1797194125863),
        ("IQq6muWeyJyvByl5Oc3EWgEJp6eMtLbP1oaMSK1K", 1795984526481, 1797194126481),
    ]),
    ("grace-active", "grace", SessionState::Active, [
        ("G3BdW7sUiVyhcSTUu4z3qFM6RmIpEudCfvB3lFKa", 1795984525347, 1797194125347),
        ("sZUeMwGMNuGJWZj8d6LmWHFWrWT0WSF53Piy1tRp", 1795984525867, 1797194125867),
        ("3L1dsmfSAZdXEPj6iw4gjWJLnYy7hXo5hIoKSU6w", 1795984526482, 1797194126482),
    ]),
    ("alice-dead", "alice", SessionState::Dead, [
        ("Z7ElssD8jQuMxNsQWE8mFIQQRhXqeA8HNeo5MhzC", 1795638925348, 1795725325348),
        ("onwLOhIzX41X6WXFhQCE7AYydSzehzkpRoHW3EIw", 1795638925868, 1795725325868),
        ("ZYhub0rMCeIgH8X3oWbeB5runvEfkzAyYORq5dgu", 1795638926482, 1795725326482),
    ]),
    ("dave-dead", "dave", SessionState::Dead, [
        ("856SoiYHAR41avDi5vPP2ej1PduQ7QkhcINL7prg", 1795638925348, 1795725325348),
        ("iCqy4BX8nlo0maRVXC4xZyEtaaUL2FWXPGHNtE8h", 1795638925868, 1795725325868),
        ("Hpq9sSsLOA6ZOVZ4ZYk94T9VJI4nXz1dupw72Y4H", 1795638926483, 1795725326483),
    ]),
];

/// The fixture's values on one database.
struct Fixture {
    backend: Backend,
}

/// A session of the fixture on one database.
struct JsSession {
    user: &'static str,
    state: SessionState,
    id: &'static str,
    active_expires: i64,
    idle_expires: i64,
}

impl Fixture {
    fn of(db: &DatabaseConnection) -> Self {
        Self {
            backend: lucia_js::backend_of(db),
        }
    }

    fn column(&self) -> usize {
        match self.backend {
            Backend::Sqlite => 0,
            Backend::Postgres => 1,
            Backend::MySql | Backend::Galera => 2,
        }
    }

    fn user_id(&self, name: &str) -> &'static str {
        USERS
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|(.., ids)| ids[self.column()])
            .expect("a fixture user")
    }

    fn session(&self, name: &str) -> JsSession {
        let (_, user, state, values) = SESSIONS
            .iter()
            .find(|(n, ..)| *n == name)
            .expect("a fixture session");
        let (id, active_expires, idle_expires) = values[self.column()];
        JsSession {
            user,
            state: *state,
            id,
            active_expires,
            idle_expires,
        }
    }
}

/// Loads the fixture into `db`, adopts it, and returns an `Auth` with the default settings at
/// NOW; `None` (the test skipped) without the fixtures.
async fn adopted(db: &DatabaseConnection) -> Option<(JsAuth, ManualClock, Fixture)> {
    let dir = fixtures_dir()?;
    lucia_js::load(db, &dir).await;
    Migrator::up(db, None)
        .await
        .expect("Lucia's tables adopted");
    let clock = ManualClock::new(NOW);
    let auth = Auth::builder(SeaOrmAdapter::new(db.clone()))
        .clock(clock.clone())
        .build();
    Some((auth, clock, Fixture::of(db)))
}

/// The `session` table: id → (user id, active_expires, idle_expires).
async fn session_table(db: &DatabaseConnection) -> BTreeMap<String, (String, i64, i64)> {
    lucia_sea_orm_tests::tables::sessions(db)
        .await
        .into_iter()
        .map(|s| (s.id, (s.user_id, s.active_expires, s.idle_expires)))
        .collect()
}

async fn stored_hash(db: &DatabaseConnection, key_id: &str) -> Option<String> {
    lucia_sea_orm_tests::tables::keys(db)
        .await
        .into_iter()
        .find(|k| k.id == key_id)
        .expect("the key exists")
        .hashed_password
}

fn key(fixture: &Fixture, provider_id: &str, provider_user_id: &str) -> Key {
    let (_, _, user, primary, has_password) = KEYS
        .iter()
        .find(|(p, u, ..)| *p == provider_id && *u == provider_user_id)
        .expect("a fixture key");
    Key {
        provider_id: provider_id.to_owned(),
        provider_user_id: provider_user_id.to_owned(),
        user_id: fixture.user_id(user).to_owned(),
        primary: *primary,
        has_password: *has_password,
    }
}

// Users

async fn every_user_reads_back_with_its_username(db: DatabaseConnection) {
    let Some((auth, _, fixture)) = adopted(&db).await else {
        return;
    };
    for (name, username, _) in USERS {
        let user = auth.get_user(fixture.user_id(name)).await.unwrap();
        assert_eq!(user.id, fixture.user_id(name));
        assert_eq!(user.attributes.username.as_deref(), username, "{name}");
    }
    // carol's has U+00C7, dave's the 4-byte U+1F41F.
    let dave = auth.get_user(fixture.user_id("dave")).await.unwrap();
    assert_eq!(dave.attributes.username.unwrap().len(), "dave ".len() + 4);
}

/// PostgreSQL's `uuid` reads an upper-case, braced or unhyphenated UUID: the JS library finds
/// alice by any of them, and so do we, with the id in its stored lower-case form.
async fn postgres_finds_a_user_by_any_uuid_form_and_returns_the_stored_one(db: DatabaseConnection) {
    let Some((auth, _, fixture)) = adopted(&db).await else {
        return;
    };
    let alice = fixture.user_id("alice");
    for form in [
        alice.to_uppercase(),
        format!("{{{alice}}}"),
        alice.replace('-', ""),
    ] {
        let user = auth.get_user(&form).await.unwrap();
        assert_eq!(user.id, alice, "{form}");
        assert_eq!(auth.get_user_keys(&form).await.unwrap().len(), 3, "{form}");
        assert_eq!(
            auth.get_user_sessions(&form).await.unwrap().len(),
            2,
            "{form}"
        );
    }
    let session = auth.create_session(&alice.to_uppercase()).await.unwrap();
    let (stored_user_id, ..) = session_table(&db).await[&session.id].clone();
    assert_eq!(stored_user_id, alice);
}

// Keys

async fn every_users_keys_are_listed_as_lucia_wrote_them(db: DatabaseConnection) {
    let Some((auth, _, fixture)) = adopted(&db).await else {
        return;
    };
    for (name, ..) in USERS {
        let mut listed = auth.get_user_keys(fixture.user_id(name)).await.unwrap();
        listed.sort_by(|a, b| {
            (&a.provider_id, &a.provider_user_id).cmp(&(&b.provider_id, &b.provider_user_id))
        });
        let mut expected: Vec<Key> = KEYS
            .iter()
            .filter(|(.., user, _, _)| *user == name)
            .map(|(p, u, ..)| key(&fixture, p, u))
            .collect();
        expected.sort_by(|a, b| {
            (&a.provider_id, &a.provider_user_id).cmp(&(&b.provider_id, &b.provider_user_id))
        });
        assert_eq!(listed, expected, "{name}");
    }
    assert!(
        auth.get_user_keys(fixture.user_id("grace"))
            .await
            .unwrap()
            .is_empty()
    );
    for (provider_id, provider_user_id, ..) in KEYS {
        assert_eq!(
            auth.get_key(provider_id, provider_user_id).await.unwrap(),
            key(&fixture, provider_id, provider_user_id),
            "{provider_id}:{provider_user_id}"
        );
    }
    let unknown = auth
        .get_key("email", "nobody@example.com")
        .await
        .unwrap_err();
    assert!(matches!(unknown, Error::InvalidKeyId), "{unknown:?}");
    // A key id is split at its first ':': the rest may hold more.
    let oidc = auth
        .get_key("oidc", "https://issuer.example:8443/u/1")
        .await
        .unwrap();
    assert_eq!(oidc.provider_user_id, "https://issuer.example:8443/u/1");
}

/// What `use_key` answers for a password, as the README's table has it for lucia, except where
/// noted.
#[derive(Debug)]
enum Outcome {
    Valid,
    Invalid,
    Outdated,
}

async fn every_password_verifies_as_the_readme_says(db: DatabaseConnection) {
    let Some((auth, _, fixture)) = adopted(&db).await else {
        return;
    };
    use Outcome::*;
    // The stored hashes are what the README says, recomputed here: s2 of the NFKC password
    // (dave's of `fish`), and bob's legacy two-part form with r = 8.
    for (key_id, password) in [
        ("email:alice@example.com", "correct horse battery staple"),
        ("email:carol@example.com", "p\u{e4}ssw\u{f6}rd \u{2713}"),
        ("ldap:uid=carol:ou=people", "colon:in:password"),
        ("email:dave@example.com", "fish"),
    ] {
        let hash = stored_hash(&db, key_id).await.unwrap();
        assert!(is_lucia_s2_of(&hash, password), "{key_id}: {hash}");
    }
    let bob = stored_hash(&db, "email:bob@example.com").await.unwrap();
    let (salt, hex_digest) = bob.split_once(':').unwrap();
    assert_eq!(
        scrypt_hex("legacy hash from an older lucia", salt, 8),
        hex_digest
    );
    for (provider_id, provider_user_id, _, _, has_password) in KEYS {
        let key_id = format!("{provider_id}:{provider_user_id}");
        let hash = stored_hash(&db, &key_id).await;
        // NULL where there is no password, never an empty string.
        assert_eq!(hash.is_some(), has_password, "{key_id}");
        assert_ne!(hash.as_deref(), Some(""), "{key_id}");
    }
    let nfd = "pa\u{308}sswo\u{308}rd \u{2713}";
    assert_eq!(nfd.chars().count(), 12);
    #[rustfmt::skip]
    let cases: [(&str, &str, Option<&str>, Outcome); 24] = [
        ("email",  "alice@example.com",   Some("correct horse battery staple"), Valid),
        ("email",  "alice@example.com",   Some("Correct horse battery staple"), Invalid),
        // An empty password is no password here, and this key has one: refused, as by lucia.
        ("email",  "alice@example.com",   Some(""), Invalid),
        ("email",  "alice@example.com",   None, Invalid),
        ("github", "12345",               Some("anything"), Invalid),
        // lucia refuses "" too; here "" is no password, and a key without one signs in
        // without one (an OAuth key): the documented difference.
        ("github", "12345",               Some(""), Valid),
        ("github", "12345",               None, Valid),
        ("oidc",   "https://issuer.example:8443/u/1", Some("x"), Invalid),
        ("email",  "bob@example.com",     Some("legacy hash from an older lucia"), Valid),
        ("email",  "bob@example.com",     Some("legacy hash from an older Lucia"), Invalid),
        ("email",  "carol@example.com",   Some("p\u{e4}ssw\u{f6}rd \u{2713}"), Valid),
        // NFKC turns the NFD form into the NFC one: valid here, refused by lucia (which hashes
        // what it is given): the documented difference.
        ("email",  "carol@example.com",   Some(nfd), Valid),
        ("email",  "carol@example.com",   Some("passwort \u{2713}"), Invalid),
        ("ldap",   "uid=carol:ou=people", Some("colon:in:password"), Valid),
        ("ldap",   "uid=carol:ou=people", Some("colon:in:passwort"), Invalid),
        // lucia refuses the ligature as typed (it hashed NFKC at sign-up, not at sign-in); we
        // normalise both, so the password the user chose works: the documented difference.
        ("email",  "dave@example.com",    Some("\u{fb01}sh"), Valid),
        ("email",  "dave@example.com",    Some("fish"), Valid),
        ("email",  "dave@example.com",    Some("FISH"), Invalid),
        ("email",  "erin@example.com",    Some("bcrypt era password"), Outdated),
        ("email",  "erin@example.com",    Some("not erin's password"), Outdated),
        ("google", "109876543210",        Some("x"), Invalid),
        ("google", "109876543210",        None, Valid),
        // Again, after any rehash of the first sign-ins: the same answers.
        ("email",  "bob@example.com",     Some("legacy hash from an older lucia"), Valid),
        ("email",  "dave@example.com",    Some("\u{fb01}sh"), Valid),
    ];
    for (provider_id, provider_user_id, password, expected) in cases {
        let result = auth.use_key(provider_id, provider_user_id, password).await;
        let what = format!("{provider_id}:{provider_user_id} with {password:?}");
        match expected {
            Valid => assert_eq!(
                result.unwrap(),
                key(&fixture, provider_id, provider_user_id),
                "{what}"
            ),
            Invalid => assert!(
                matches!(result, Err(Error::InvalidPassword)),
                "{what}: {result:?}"
            ),
            Outdated => assert!(
                matches!(result, Err(Error::OutdatedPassword)),
                "{what}: {result:?}"
            ),
        }
    }
    let unknown = auth
        .use_key("email", "nobody@example.com", Some("x"))
        .await
        .unwrap_err();
    assert!(matches!(unknown, Error::InvalidKeyId), "{unknown:?}");
    // The bcrypt hash is left for the user to reset.
    assert!(
        stored_hash(&db, "email:erin@example.com")
            .await
            .unwrap()
            .starts_with("$2a$10$")
    );
}

// Sessions

async fn sessions_are_active_idle_or_dead_at_the_readme_instants(db: DatabaseConnection) {
    let Some((auth, clock, fixture)) = adopted(&db).await else {
        return;
    };
    for (name, ..) in SESSIONS {
        let js = fixture.session(name);
        clock.set(NOW);
        match js.state {
            SessionState::Dead => {}
            state => {
                let session = auth.get_session(js.id).await.unwrap();
                assert_eq!(
                    (
                        session.state,
                        session.fresh,
                        session.active_expires,
                        session.idle_expires
                    ),
                    (state, false, js.active_expires, js.idle_expires),
                    "{name}"
                );
                assert_eq!(session.user_id, fixture.user_id(js.user), "{name}");
                // lucia's getSessionUser: the session with its user, never renewed.
                let (_, user) = auth
                    .adapter()
                    .get_session_and_user(js.id)
                    .await
                    .unwrap()
                    .expect("the session and its user");
                assert_eq!(user.id, fixture.user_id(js.user), "{name}");
                assert_eq!(user.attributes.username.is_some(), js.user != "grace");
                // Validating renews an idle session: that has its own test.
                if state == SessionState::Active {
                    let (session, user) = auth.validate_session_user(js.id).await.unwrap();
                    assert_eq!((session.id.as_str(), session.fresh), (js.id, false));
                    assert_eq!(user.id, fixture.user_id(js.user), "{name}");
                }
            }
        }
    }
    // The boundaries, read without renewal: active at active_expires, idle just after it and at
    // idle_expires, dead just after (and then deleted, as lucia does).
    for (name, ..) in SESSIONS {
        let js = fixture.session(name);
        for (at, state) in [
            (js.active_expires, SessionState::Active),
            (js.active_expires + 1, SessionState::Idle),
            (js.idle_expires, SessionState::Idle),
        ] {
            clock.set(at);
            assert_eq!(
                auth.get_session(js.id).await.unwrap().state,
                state,
                "{name} at {at}"
            );
        }
        clock.set(js.idle_expires + 1);
        let dead = auth.get_session(js.id).await.unwrap_err();
        assert!(matches!(dead, Error::InvalidSessionId), "{name}: {dead:?}");
        assert!(
            !session_table(&db).await.contains_key(js.id),
            "{name} deleted"
        );
    }
}

async fn session_ids_of_another_length_or_case_find_nothing(db: DatabaseConnection) {
    let Some((auth, _, fixture)) = adopted(&db).await else {
        return;
    };
    let before = session_table(&db).await;
    let id = fixture.session("alice-active").id;
    let swapped: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    // lucia on MariaDB finds alice-active by its swapped-case id (the JS schema's collation is
    // case-insensitive); once adopted, ids compare byte for byte on every database.
    for other in [
        &id[..39],
        &format!("{id}x"),
        &swapped,
        &format!("{id} "),
        &format!(" {id}"),
    ] {
        let err = auth.validate_session(other).await.unwrap_err();
        assert!(matches!(err, Error::InvalidSessionId), "{other:?}: {err:?}");
        let err = auth.get_session(other).await.unwrap_err();
        assert!(matches!(err, Error::InvalidSessionId), "{other:?}: {err:?}");
    }
    // lucia on MariaDB finds alice's key by `ALICE@example.com`; not once adopted.
    for other in [
        "ALICE@example.com",
        "alice@example.com ",
        " alice@example.com",
    ] {
        let err = auth.get_key("email", other).await.unwrap_err();
        assert!(matches!(err, Error::InvalidKeyId), "{other:?}: {err:?}");
    }
    assert_eq!(session_table(&db).await, before);
}

/// Dead sessions first, then active, then idle, as the README lists lucia's calls.
async fn validation_at_now_is_lucias_except_that_renewal_invalidates_the_old_session(
    db: DatabaseConnection,
) {
    let Some((auth, clock, fixture)) = adopted(&db).await else {
        return;
    };
    for name in ["alice-dead", "dave-dead"] {
        let js = fixture.session(name);
        let err = auth.validate_session(js.id).await.unwrap_err();
        assert!(matches!(err, Error::InvalidSessionId), "{name}: {err:?}");
        assert!(
            !session_table(&db).await.contains_key(js.id),
            "{name} deleted"
        );
    }
    for name in ["alice-active", "bob-active", "frank-active", "grace-active"] {
        let js = fixture.session(name);
        let before = session_table(&db).await;
        let session = auth.validate_session(js.id).await.unwrap();
        assert_eq!(
            (session.id.as_str(), session.state, session.fresh),
            (js.id, SessionState::Active, false),
            "{name}"
        );
        assert_eq!(
            (session.active_expires, session.idle_expires),
            (js.active_expires, js.idle_expires)
        );
        let (again, user) = auth.validate_session_user(js.id).await.unwrap();
        assert_eq!(
            (again.id.as_str(), user.id.as_str()),
            (js.id, fixture.user_id(js.user))
        );
        assert_eq!(session_table(&db).await, before, "{name}: nothing written");
    }
    let mut renewed: Vec<Session> = Vec::new();
    for name in ["alice-idle", "carol-idle"] {
        let js = fixture.session(name);
        let session = auth.validate_session(js.id).await.unwrap();
        assert_ne!(session.id, js.id, "{name}");
        assert_eq!(session.id.len(), 40);
        assert!(session.id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(
            (
                session.state,
                session.fresh,
                session.active_expires,
                session.idle_expires
            ),
            (
                SessionState::Active,
                true,
                1_795_984_526_485,
                1_797_194_126_485
            ),
            "{name}"
        );
        assert_eq!(session.user_id, fixture.user_id(js.user));
        assert_eq!(
            session_table(&db).await[&session.id].0,
            fixture.user_id(js.user)
        );
        // Here (unlike lucia, which keeps the old row idle and renews it again on every use) a
        // second validation of the old id within the grace period is served with the old
        // session, active and not fresh, and makes no other session.
        let sessions_of_user = auth
            .get_user_sessions(&session.user_id)
            .await
            .unwrap()
            .len();
        let again = auth.validate_session(js.id).await.unwrap();
        assert_eq!(
            (again.id.as_str(), again.state, again.fresh),
            (js.id, SessionState::Active, false),
            "{name}"
        );
        assert_eq!(
            auth.get_user_sessions(&session.user_id)
                .await
                .unwrap()
                .len(),
            sessions_of_user,
            "{name}: no second renewal"
        );
        renewed.push(session);
    }
    // Once the grace period for requests already in flight is over, the old ids are invalid.
    clock.set(NOW + millis(DEFAULT_RENEWAL_GRACE_PERIOD) + 1);
    for name in ["alice-idle", "carol-idle"] {
        let err = auth
            .validate_session(fixture.session(name).id)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidSessionId), "{name}: {err:?}");
    }
    for session in &renewed {
        assert_eq!(
            auth.validate_session(&session.id).await.unwrap().id,
            session.id
        );
    }
    clock.set(NOW + HOUR);
    auth.delete_expired_sessions().await.unwrap();
    // lucia ends with 8 rows (8 − 2 dead + 2 renewals, the idle ones kept); here the 2 idle
    // ones are gone too.
    let mut ids: Vec<String> = session_table(&db).await.into_keys().collect();
    ids.sort();
    let mut expected: Vec<String> = ["alice-active", "bob-active", "frank-active", "grace-active"]
        .iter()
        .map(|n| fixture.session(n).id.to_owned())
        .chain(renewed.iter().map(|s| s.id.clone()))
        .collect();
    expected.sort();
    assert_eq!(ids, expected);
}

async fn creating_a_session_deletes_only_that_users_dead_sessions(db: DatabaseConnection) {
    let Some((auth, _, fixture)) = adopted(&db).await else {
        return;
    };
    let alice_dead = fixture.session("alice-dead").id;
    let dave_dead = fixture.session("dave-dead").id;
    // Renewing alice-idle is a session creation for alice.
    auth.validate_session(fixture.session("alice-idle").id)
        .await
        .unwrap();
    let table = session_table(&db).await;
    assert!(!table.contains_key(alice_dead));
    assert!(table.contains_key(dave_dead));
    auth.create_session(fixture.user_id("dave")).await.unwrap();
    assert!(!session_table(&db).await.contains_key(dave_dead));
}

async fn listing_a_users_sessions_gives_its_live_ones_and_deletes_nothing(db: DatabaseConnection) {
    let Some((auth, _, fixture)) = adopted(&db).await else {
        return;
    };
    let before = session_table(&db).await;
    // lucia lists dead sessions as `null` (alice: 3 entries, 1 null; dave: [null]); we list
    // live ones only.
    let mut expected: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, user, state, _) in SESSIONS {
        if state != SessionState::Dead {
            expected
                .entry(user)
                .or_default()
                .push(fixture.session(name).id);
        }
    }
    for (name, ..) in USERS {
        let mut listed: Vec<String> = auth
            .get_user_sessions(fixture.user_id(name))
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        listed.sort();
        let mut want: Vec<String> = expected
            .get(name)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();
        want.sort();
        assert_eq!(listed, want, "{name}");
    }
    assert_eq!(session_table(&db).await, before, "nothing deleted");
}

async fn a_password_key_created_without_a_password_stores_null(db: DatabaseConnection) {
    let Some((auth, _, fixture)) = adopted(&db).await else {
        return;
    };
    let grace = fixture.user_id("grace");
    for (provider_user_id, password) in [("grace-empty", Some("")), ("grace-none", None)] {
        auth.create_key(
            grace,
            NewKey {
                provider_id: "email",
                provider_user_id,
                password,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            stored_hash(&db, &format!("email:{provider_user_id}")).await,
            None
        );
    }
}

// The sharing mode

/// One raw value as text, the way the driver hands it over, with its SQLite storage class.
async fn raw(db: &DatabaseConnection, sql: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .expect("a row");
    row.try_get_by_index::<String>(0).expect("text")
}

/// Whether `hash` is `s2:<16 alphanumerics>:<128 lower-case hex>` and scrypt(N=16384, r=16,
/// p=1, 64 bytes) of `password` with that salt, recomputed here independently.
fn is_lucia_s2_of(hash: &str, password: &str) -> bool {
    let parts: Vec<&str> = hash.split(':').collect();
    let [prefix, salt, hex_digest] = parts[..] else {
        return false;
    };
    if prefix != "s2"
        || salt.len() != 16
        || !salt.bytes().all(|b| b.is_ascii_alphanumeric())
        || hex_digest.len() != 128
        || !hex_digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return false;
    }
    scrypt_hex(password, salt, 16) == hex_digest
}

/// Lucia's scrypt: N = 16384, r = `block_size`, p = 1, 64 bytes, the salt as UTF-8, in hex.
fn scrypt_hex(password: &str, salt: &str, block_size: u32) -> String {
    let params = scrypt::Params::new(14, block_size, 1).unwrap();
    let mut digest = [0u8; 64];
    scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut digest).unwrap();
    hex::encode(digest)
}

fn sharing(db: &DatabaseConnection, clock: &ManualClock) -> JsAuth {
    Auth::builder(SeaOrmAdapter::new(db.clone()))
        .sharing_with_lucia_js()
        .clock(clock.clone())
        .build()
}

async fn the_sharing_mode_writes_rows_the_js_library_reads(db: DatabaseConnection) {
    let Some((_, clock, fixture)) = adopted(&db).await else {
        return;
    };
    let auth = sharing(&db, &clock);
    let backend = db.get_database_backend();

    let user = auth
        .create_user(
            JsProfile {
                username: Some("heidi".into()),
            },
            Some(NewKey::with_password(
                "email",
                "heidi@example.com",
                "heidi's password",
            )),
        )
        .await
        .unwrap();
    let hash = stored_hash(&db, "email:heidi@example.com").await.unwrap();
    assert!(is_lucia_s2_of(&hash, "heidi's password"), "{hash}");
    // NFKC at sign-up, as lucia does.
    auth.create_key(
        &user.id,
        NewKey::with_password("ldap", "heidi", "\u{fb01}sh"),
    )
    .await
    .unwrap();
    assert!(is_lucia_s2_of(
        &stored_hash(&db, "ldap:heidi").await.unwrap(),
        "fish"
    ));

    // `primary` as the JS adapter writes and reads it (its `Boolean(x)`): true/false on
    // PostgreSQL, integers 1/0 elsewhere.
    let (primary, key_table) = match backend {
        DbBackend::MySql => ("CAST(`primary` AS CHAR)", "`key`"),
        DbBackend::Postgres => ("CAST(\"primary\" AS TEXT)", "\"key\""),
        _ => ("typeof(\"primary\") || ' ' || \"primary\"", "\"key\""),
    };
    let primaries = [
        ("email:heidi@example.com", ["integer 1", "true", "1"]),
        ("ldap:heidi", ["integer 0", "false", "0"]),
    ];
    for (id, expected) in primaries {
        let value = raw(
            &db,
            &format!("SELECT {primary} FROM {key_table} WHERE id = '{id}'"),
        )
        .await;
        assert_eq!(value, expected[fixture.column()], "{id}");
    }

    let session = auth.create_session(&user.id).await.unwrap();
    assert_eq!(session.id.len(), 40);
    assert!(session.id.bytes().all(|b| b.is_ascii_alphanumeric()));
    let (user_id, active_expires, idle_expires) = session_table(&db).await[&session.id].clone();
    assert_eq!(
        user_id, user.id,
        "the session id is stored as the cookie holds it"
    );
    assert_eq!(
        (active_expires, idle_expires),
        (NOW + DAY, NOW + DAY + 14 * DAY)
    );
    if backend == DbBackend::Sqlite {
        let class = raw(
            &db,
            &format!(
                "SELECT typeof(active_expires) || ' ' || typeof(idle_expires) FROM session \
                 WHERE id = '{}'",
                session.id
            ),
        )
        .await;
        assert_eq!(class, "integer integer");
    }

    // A user id the JS schema holds: a lower-case UUID on PostgreSQL, at most 36 characters
    // elsewhere.
    assert_eq!(user.id.len(), 36);
    assert_eq!(user.id, user.id.to_lowercase());

    // Signing in keeps lucia's own s2 hashes as they are, and turns the legacy one into s2.
    let alice_hash = stored_hash(&db, "email:alice@example.com").await;
    auth.use_key(
        "email",
        "alice@example.com",
        Some("correct horse battery staple"),
    )
    .await
    .unwrap();
    assert_eq!(
        stored_hash(&db, "email:alice@example.com").await,
        alice_hash
    );
    auth.use_key(
        "email",
        "bob@example.com",
        Some("legacy hash from an older lucia"),
    )
    .await
    .unwrap();
    let bob = stored_hash(&db, "email:bob@example.com").await.unwrap();
    assert!(
        is_lucia_s2_of(&bob, "legacy hash from an older lucia"),
        "{bob}"
    );
}

/// The way back for a user whose hash the default settings rewrote as argon2id (which the JS
/// library cannot verify): one sign-in under the sharing mode makes it s2 again.
async fn the_sharing_mode_turns_an_argon2id_hash_back_into_s2(db: DatabaseConnection) {
    let Some((defaults, clock, _)) = adopted(&db).await else {
        return;
    };
    defaults
        .use_key(
            "email",
            "alice@example.com",
            Some("correct horse battery staple"),
        )
        .await
        .unwrap();
    let argon2 = stored_hash(&db, "email:alice@example.com").await.unwrap();
    assert!(argon2.starts_with("$argon2id$"), "{argon2}");

    sharing(&db, &clock)
        .use_key(
            "email",
            "alice@example.com",
            Some("correct horse battery staple"),
        )
        .await
        .unwrap();
    let hash = stored_hash(&db, "email:alice@example.com").await.unwrap();
    assert!(
        is_lucia_s2_of(&hash, "correct horse battery staple"),
        "{hash}"
    );
}

/// Switching from the sharing mode to the defaults is deleting one line: every session stays
/// valid, every password still verifies, and s2 hashes become argon2id at the next sign-in.
async fn switching_from_the_sharing_mode_to_the_defaults_signs_nobody_out(db: DatabaseConnection) {
    let Some((_, clock, fixture)) = adopted(&db).await else {
        return;
    };
    let shared = sharing(&db, &clock);
    let user = shared
        .create_user(
            JsProfile {
                username: Some("ivan".into()),
            },
            Some(NewKey::with_password(
                "email",
                "ivan@example.com",
                "ivan's password",
            )),
        )
        .await
        .unwrap();
    let session = shared.create_session(&user.id).await.unwrap();

    let defaults: JsAuth = Auth::builder(SeaOrmAdapter::new(db.clone()))
        .clock(clock.clone())
        .build();
    assert_eq!(
        defaults.validate_session(&session.id).await.unwrap().id,
        session.id
    );
    let js_session = fixture.session("alice-active").id;
    assert_eq!(
        defaults.validate_session(js_session).await.unwrap().id,
        js_session
    );
    defaults
        .use_key("email", "ivan@example.com", Some("ivan's password"))
        .await
        .unwrap();
    let hash = stored_hash(&db, "email:ivan@example.com").await.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    defaults
        .use_key("email", "ivan@example.com", Some("ivan's password"))
        .await
        .unwrap();
}

/// 32 sign-ins at once under the sharing mode on lucia's legacy hash: each succeeds, and the
/// hash ends as one s2 hash of the password.
async fn concurrent_sign_ins_under_the_sharing_mode_all_succeed(db: DatabaseConnection) {
    let Some((_, clock, _)) = adopted(&db).await else {
        return;
    };
    let auth = sharing(&db, &clock);
    let sign_ins = (0..32).map(|_| {
        let auth = auth.clone();
        tokio::spawn(async move {
            auth.use_key(
                "email",
                "bob@example.com",
                Some("legacy hash from an older lucia"),
            )
            .await
        })
    });
    for sign_in in sign_ins.collect::<Vec<_>>() {
        sign_in.await.unwrap().unwrap();
    }
    let bob = stored_hash(&db, "email:bob@example.com").await.unwrap();
    assert!(
        is_lucia_s2_of(&bob, "legacy hash from an older lucia"),
        "{bob}"
    );
}

on_every_database!(Schema::Empty =>
    every_user_reads_back_with_its_username,
    every_users_keys_are_listed_as_lucia_wrote_them,
    every_password_verifies_as_the_readme_says,
    sessions_are_active_idle_or_dead_at_the_readme_instants,
    session_ids_of_another_length_or_case_find_nothing,
    validation_at_now_is_lucias_except_that_renewal_invalidates_the_old_session,
    creating_a_session_deletes_only_that_users_dead_sessions,
    listing_a_users_sessions_gives_its_live_ones_and_deletes_nothing,
    a_password_key_created_without_a_password_stores_null,
    the_sharing_mode_writes_rows_the_js_library_reads,
    the_sharing_mode_turns_an_argon2id_hash_back_into_s2,
    switching_from_the_sharing_mode_to_the_defaults_signs_nobody_out,
    concurrent_sign_ins_under_the_sharing_mode_all_succeed,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_finds_a_user_by_any_uuid_form() {
    lucia_sea_orm_tests::run(
        Backend::Postgres,
        Schema::Empty,
        postgres_finds_a_user_by_any_uuid_form_and_returns_the_stored_one,
    )
    .await;
}
