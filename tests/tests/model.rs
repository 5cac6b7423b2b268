//! The adapter against a model of contract.md §2: random sequences of adapter calls run on a real
//! database and on a few in-memory maps, and every result and the final tables must agree.
//!
//! Ids come from small pools so that duplicates, missing rows and rows of other users are
//! frequent. A failure is shrunk to a short sequence of [`Op`]s and printed with the seed that
//! found it (`PROPTEST_RNG_SEED` reruns it); `LUCIA_PROPTEST_CASES` sets the number of cases.

use std::collections::{BTreeMap, BTreeSet};

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Adapter, Error, KeyRow, SessionRow, UserRow, ValueProblem};
use lucia_sea_orm_entity::{key, session, user};
use lucia_sea_orm_tests::on_every_database;
use lucia_sea_orm_tests::tables::{self, NOW, Profile};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use sea_orm::{DatabaseConnection, DbBackend, EntityTrait};
use serde::Serialize;
use tokio::runtime::Handle;

// The pools. Each is an enum so that a shrunk sequence reads as `SetKey(NewKey { id: K1, … })`
// rather than as UUIDs.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum UserId {
    U1,
    U2,
    U3,
    U4,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Username {
    Ada,
    Grace,
    Edsger,
    Barbara,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyId {
    K1,
    K2,
    K3,
    K4,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SessionId {
    S1,
    S2,
    S3,
    S4,
    S5,
    S6,
}

/// An expiry or a `now`, around [`NOW`] and at the ends of the range every database stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Time {
    Zero,
    BeforeNow,
    Now,
    AfterNow,
    Year2100,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Password {
    None,
    Hashed,
    Rehashed,
}

impl UserId {
    fn as_str(self) -> &'static str {
        match self {
            UserId::U1 => "0b9f8c3e-6d2a-4f51-9a8e-2c1d7e5f4a3b",
            UserId::U2 => "5d6a1f0c-2b3e-4c7d-8e9f-a0b1c2d3e4f5",
            UserId::U3 => "9e8d7c6b-5a49-4837-a625-140f1e2d3c4b",
            UserId::U4 => "f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f",
        }
    }
}

impl UserId {
    /// The username this id mostly comes with.
    fn username(self) -> Username {
        match self {
            UserId::U1 => Username::Ada,
            UserId::U2 => Username::Grace,
            UserId::U3 => Username::Edsger,
            UserId::U4 => Username::Barbara,
        }
    }
}

impl Username {
    fn as_str(self) -> &'static str {
        match self {
            Username::Ada => "ada",
            Username::Grace => "grace",
            Username::Edsger => "edsger",
            Username::Barbara => "barbara",
        }
    }
}

impl KeyId {
    fn as_str(self) -> &'static str {
        match self {
            KeyId::K1 => "email:ada@example.com",
            KeyId::K2 => "email:grace@example.com",
            KeyId::K3 => "github:1",
            KeyId::K4 => "github:2",
        }
    }
}

impl SessionId {
    // Short enough that `SessionRow`'s redacted `Debug` still shows them whole.
    fn as_str(self) -> &'static str {
        match self {
            SessionId::S1 => "s1",
            SessionId::S2 => "s2",
            SessionId::S3 => "s3",
            SessionId::S4 => "s4",
            SessionId::S5 => "s5",
            SessionId::S6 => "s6",
        }
    }
}

impl Time {
    fn millis(self) -> i64 {
        match self {
            Time::Zero => 0,
            Time::BeforeNow => NOW - 1,
            Time::Now => NOW,
            Time::AfterNow => NOW + 1,
            Time::Year2100 => 4_102_444_800_000,
        }
    }
}

impl Password {
    fn as_str(self) -> Option<&'static str> {
        match self {
            Password::None => None,
            Password::Hashed => Some("HASHED"),
            Password::Rehashed => Some("REHASHED"),
        }
    }
}

/// A key to store, with `set_user` or `set_key`.
#[derive(Clone, Copy, Debug)]
struct NewKey {
    id: KeyId,
    user: UserId,
    primary: bool,
    password: Password,
}

impl NewKey {
    fn row(self) -> KeyRow {
        KeyRow {
            id: self.id.as_str().to_owned(),
            user_id: self.user.as_str().to_owned(),
            primary: self.primary,
            hashed_password: self.password.as_str().map(str::to_owned),
        }
    }
}

/// One adapter call.
#[derive(Clone, Debug)]
enum Op {
    SetUser {
        id: UserId,
        username: Username,
        key: Option<NewKey>,
    },
    GetUser(UserId),
    /// `None`: an empty patch, which changes nothing and returns the row.
    UpdateUsername(UserId, Option<Username>),
    DeleteUser(UserId),
    DeleteUserWithSessionsAndKeys(UserId),
    SetKey(NewKey),
    GetKey(KeyId),
    GetKeysByUserId(UserId),
    UpdateKeyPassword(KeyId, Password),
    DeleteNonPrimaryKey(KeyId),
    DeleteKeysByUserId(UserId),
    SetSession {
        id: SessionId,
        user: UserId,
        active_expires: Time,
        idle_expires: Time,
    },
    GetSession(SessionId),
    GetSessionsByUserId(UserId),
    DeleteSessions(Vec<SessionId>),
    DeleteSessionsByUserId(UserId),
    DeleteDeadSessionsByUserId(UserId, Time),
    DeleteExpiredSessions(Time),
    GetSessionAndUser(SessionId),
}

// Strategies. `select` shrinks towards the first element of each pool.

fn user_id() -> impl Strategy<Value = UserId> {
    prop::sample::select(vec![UserId::U1, UserId::U2, UserId::U3, UserId::U4])
}

fn username() -> impl Strategy<Value = Username> {
    prop::sample::select(vec![
        Username::Ada,
        Username::Grace,
        Username::Edsger,
        Username::Barbara,
    ])
}

fn key_id() -> impl Strategy<Value = KeyId> {
    prop::sample::select(vec![KeyId::K1, KeyId::K2, KeyId::K3, KeyId::K4])
}

fn session_id() -> impl Strategy<Value = SessionId> {
    prop::sample::select(vec![
        SessionId::S1,
        SessionId::S2,
        SessionId::S3,
        SessionId::S4,
        SessionId::S5,
        SessionId::S6,
    ])
}

fn time() -> impl Strategy<Value = Time> {
    prop::sample::select(vec![
        Time::Zero,
        Time::BeforeNow,
        Time::Now,
        Time::AfterNow,
        Time::Year2100,
    ])
}

fn password() -> impl Strategy<Value = Password> {
    prop::sample::select(vec![Password::None, Password::Hashed, Password::Rehashed])
}

fn new_key(user: impl Strategy<Value = UserId>) -> impl Strategy<Value = NewKey> {
    (key_id(), user, any::<bool>(), password()).prop_map(|(id, user, primary, password)| NewKey {
        id,
        user,
        primary,
        password,
    })
}

fn set_user() -> impl Strategy<Value = Op> {
    // Each id mostly comes with a username of its own, so that several users coexist; sometimes
    // with any, which may be taken. The key mostly belongs to the new user; sometimes to
    // another, which `set_user` refuses.
    let username = (username(), prop::bool::weighted(0.75));
    let key = (new_key(user_id()), prop::bool::weighted(0.9));
    (user_id(), username, prop::option::of(key)).prop_map(|(id, (username, own_name), key)| {
        Op::SetUser {
            id,
            username: if own_name { id.username() } else { username },
            key: key.map(|(key, own_key)| NewKey {
                user: if own_key { id } else { key.user },
                ..key
            }),
        }
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        // Writes that add rows are weighted up, so that sequences reach interesting states.
        4 => set_user(),
        1 => user_id().prop_map(Op::GetUser),
        2 => (user_id(), prop::option::of(username()))
            .prop_map(|(id, username)| Op::UpdateUsername(id, username)),
        1 => user_id().prop_map(Op::DeleteUser),
        1 => user_id().prop_map(Op::DeleteUserWithSessionsAndKeys),
        3 => new_key(user_id()).prop_map(Op::SetKey),
        1 => key_id().prop_map(Op::GetKey),
        1 => user_id().prop_map(Op::GetKeysByUserId),
        2 => (key_id(), password()).prop_map(|(id, password)| Op::UpdateKeyPassword(id, password)),
        2 => key_id().prop_map(Op::DeleteNonPrimaryKey),
        1 => user_id().prop_map(Op::DeleteKeysByUserId),
        6 => (session_id(), user_id(), time(), time()).prop_map(
            |(id, user, active_expires, idle_expires)| Op::SetSession {
                id,
                user,
                active_expires,
                idle_expires,
            }
        ),
        1 => session_id().prop_map(Op::GetSession),
        1 => user_id().prop_map(Op::GetSessionsByUserId),
        2 => vec(session_id(), 0..=3).prop_map(Op::DeleteSessions),
        1 => user_id().prop_map(Op::DeleteSessionsByUserId),
        1 => (user_id(), time()).prop_map(|(id, now)| Op::DeleteDeadSessionsByUserId(id, now)),
        1 => time().prop_map(Op::DeleteExpiredSessions),
        2 => session_id().prop_map(Op::GetSessionAndUser),
    ]
}

/// The most calls after the first users (exclusive).
const MAX_OPS: usize = 40;

fn ops() -> impl Strategy<Value = Vec<Op>> {
    // A few users first, so that most later calls find rows to act on; shrinking removes them
    // like any other op.
    (vec(set_user(), 0..=4), vec(op(), 1..MAX_OPS)).prop_map(|(mut ops, more)| {
        ops.extend(more);
        ops
    })
}

/// What a call returned, in a form both sides produce. Lists are sorted by id: the contract
/// leaves their order open.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    Count(u64),
    User(Option<UserRow<Profile>>),
    Updated(UserRow<Profile>),
    Key(Option<KeyRow>),
    UpdatedKey(KeyRow),
    Keys(Vec<KeyRow>),
    Session(Option<SessionRow>),
    Sessions(Vec<SessionRow>),
    SessionAndUser(Option<(SessionRow, UserRow<Profile>)>),
}

/// An error's variant: what the model can predict.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    DuplicateUserId,
    DuplicateKeyId,
    DuplicateSessionId,
    InvalidUserId,
    InvalidKeyId,
    KeyBelongsToAnotherUser,
    /// `idle_expires` before `active_expires`.
    IdleBeforeActive,
    /// Any database error: the model does not say which.
    Database,
    /// A variant the model never predicts, shown whole.
    Other(String),
}

fn failure(err: &Error) -> Failure {
    match err {
        Error::DuplicateUserId => Failure::DuplicateUserId,
        Error::DuplicateKeyId => Failure::DuplicateKeyId,
        Error::DuplicateSessionId => Failure::DuplicateSessionId,
        Error::InvalidUserId => Failure::InvalidUserId,
        Error::InvalidKeyId => Failure::InvalidKeyId,
        Error::KeyBelongsToAnotherUser { .. } => Failure::KeyBelongsToAnotherUser,
        Error::InvalidValue {
            problem: ValueProblem::BeforeActiveExpires,
            ..
        } => Failure::IdleBeforeActive,
        Error::Database(_) => Failure::Database,
        other => Failure::Other(format!("{other:?}")),
    }
}

/// The tables as contract.md §2 describes them: `user` (id → username), `session` and `key`.
#[derive(Debug, Default)]
struct Model {
    users: BTreeMap<UserId, Username>,
    sessions: BTreeMap<&'static str, SessionRow>,
    keys: BTreeMap<&'static str, KeyRow>,
}

impl Model {
    fn user_row(&self, id: UserId) -> Option<UserRow<Profile>> {
        self.users.get(&id).map(|username| user_row(id, *username))
    }

    fn has_rows_of(&self, id: UserId) -> bool {
        let id = id.as_str();
        self.sessions.values().any(|s| s.user_id == id)
            || self.keys.values().any(|k| k.user_id == id)
    }

    fn username_taken_by_another(&self, id: UserId, username: Username) -> bool {
        self.users
            .iter()
            .any(|(other, taken)| *other != id && *taken == username)
    }

    /// Whether any user has this id, as the foreign keys see it.
    fn has_user(&self, user_id: &str) -> bool {
        self.users.keys().any(|id| id.as_str() == user_id)
    }

    fn apply(&mut self, op: &Op) -> Result<Outcome, Failure> {
        match op {
            Op::SetUser { id, username, key } => {
                if let Some(key) = key
                    && key.user != *id
                {
                    return Err(Failure::KeyBelongsToAnotherUser);
                }
                if self.users.contains_key(id) {
                    return Err(Failure::DuplicateUserId);
                }
                // A unique violation on the application's own column is not ours to name.
                if self.username_taken_by_another(*id, *username) {
                    return Err(Failure::Database);
                }
                if let Some(key) = key {
                    if self.keys.contains_key(key.id.as_str()) {
                        return Err(Failure::DuplicateKeyId);
                    }
                    self.keys.insert(key.id.as_str(), key.row());
                }
                self.users.insert(*id, *username);
                Ok(Outcome::Done)
            }
            Op::GetUser(id) => Ok(Outcome::User(self.user_row(*id))),
            Op::UpdateUsername(id, username) => {
                if !self.users.contains_key(id) {
                    return Err(Failure::InvalidUserId);
                }
                if let Some(username) = username {
                    if self.username_taken_by_another(*id, *username) {
                        return Err(Failure::Database);
                    }
                    self.users.insert(*id, *username);
                }
                Ok(Outcome::Updated(user_row(*id, self.users[id])))
            }
            Op::DeleteUser(id) => {
                // The foreign keys refuse, and the statement changes nothing.
                if self.users.contains_key(id) && self.has_rows_of(*id) {
                    return Err(Failure::Database);
                }
                self.users.remove(id);
                Ok(Outcome::Done)
            }
            Op::DeleteUserWithSessionsAndKeys(id) => {
                self.sessions.retain(|_, s| s.user_id != id.as_str());
                self.keys.retain(|_, k| k.user_id != id.as_str());
                self.users.remove(id);
                Ok(Outcome::Done)
            }
            Op::SetKey(key) => {
                // A taken id wins over an unknown user: the unique index is checked first.
                if self.keys.contains_key(key.id.as_str()) {
                    return Err(Failure::DuplicateKeyId);
                }
                if !self.users.contains_key(&key.user) {
                    return Err(Failure::InvalidUserId);
                }
                self.keys.insert(key.id.as_str(), key.row());
                Ok(Outcome::Done)
            }
            Op::GetKey(id) => Ok(Outcome::Key(self.keys.get(id.as_str()).cloned())),
            Op::GetKeysByUserId(id) => Ok(Outcome::Keys(
                self.keys
                    .values()
                    .filter(|k| k.user_id == id.as_str())
                    .cloned()
                    .collect(),
            )),
            Op::UpdateKeyPassword(id, password) => {
                let key = self
                    .keys
                    .get_mut(id.as_str())
                    .ok_or(Failure::InvalidKeyId)?;
                key.hashed_password = password.as_str().map(str::to_owned);
                Ok(Outcome::UpdatedKey(key.clone()))
            }
            Op::DeleteNonPrimaryKey(id) => {
                if self.keys.get(id.as_str()).is_some_and(|k| !k.primary) {
                    self.keys.remove(id.as_str());
                }
                Ok(Outcome::Done)
            }
            Op::DeleteKeysByUserId(id) => {
                self.keys.retain(|_, k| k.user_id != id.as_str());
                Ok(Outcome::Done)
            }
            Op::SetSession {
                id,
                user,
                active_expires,
                idle_expires,
            } => {
                if idle_expires.millis() < active_expires.millis() {
                    return Err(Failure::IdleBeforeActive);
                }
                if self.sessions.contains_key(id.as_str()) {
                    return Err(Failure::DuplicateSessionId);
                }
                if !self.users.contains_key(user) {
                    return Err(Failure::InvalidUserId);
                }
                let row = session_row(*id, *user, *active_expires, *idle_expires);
                self.sessions.insert(id.as_str(), row);
                Ok(Outcome::Done)
            }
            Op::GetSession(id) => Ok(Outcome::Session(self.sessions.get(id.as_str()).cloned())),
            Op::GetSessionsByUserId(id) => Ok(Outcome::Sessions(
                self.sessions
                    .values()
                    .filter(|s| s.user_id == id.as_str())
                    .cloned()
                    .collect(),
            )),
            Op::DeleteSessions(ids) => {
                let ids: BTreeSet<&str> = ids.iter().map(|id| id.as_str()).collect();
                let before = self.sessions.len();
                self.sessions.retain(|id, _| !ids.contains(id));
                Ok(Outcome::Count((before - self.sessions.len()) as u64))
            }
            Op::DeleteSessionsByUserId(id) => {
                self.sessions.retain(|_, s| s.user_id != id.as_str());
                Ok(Outcome::Done)
            }
            Op::DeleteDeadSessionsByUserId(id, now) => {
                let before = self.sessions.len();
                self.sessions
                    .retain(|_, s| s.user_id != id.as_str() || s.idle_expires >= now.millis());
                Ok(Outcome::Count((before - self.sessions.len()) as u64))
            }
            Op::DeleteExpiredSessions(now) => {
                let before = self.sessions.len();
                self.sessions.retain(|_, s| s.idle_expires >= now.millis());
                Ok(Outcome::Count((before - self.sessions.len()) as u64))
            }
            Op::GetSessionAndUser(id) => {
                let found = self.sessions.get(id.as_str()).and_then(|session| {
                    let user = self.users.keys().find(|u| u.as_str() == session.user_id)?;
                    Some((session.clone(), self.user_row(*user)?))
                });
                Ok(Outcome::SessionAndUser(found))
            }
        }
    }

    /// The model's tables as [`tables`] reads the database's, sorted by id.
    fn tables(&self) -> Tables {
        let mut users: Vec<_> = self
            .users
            .iter()
            .map(|(id, username)| (id.as_str().to_owned(), Some(username.as_str().to_owned())))
            .collect();
        users.sort();
        debug_assert!(
            self.sessions.values().all(|s| self.has_user(&s.user_id))
                && self.keys.values().all(|k| self.has_user(&k.user_id)),
            "the model keeps its own foreign keys"
        );
        Tables {
            users,
            sessions: self.sessions.values().cloned().collect(),
            keys: self.keys.values().cloned().collect(),
        }
    }
}

fn user_row(id: UserId, username: Username) -> UserRow<Profile> {
    UserRow {
        id: id.as_str().to_owned(),
        attributes: Profile {
            username: username.as_str().to_owned(),
        },
    }
}

fn session_row(
    id: SessionId,
    user: UserId,
    active_expires: Time,
    idle_expires: Time,
) -> SessionRow {
    SessionRow {
        id: id.as_str().to_owned(),
        user_id: user.as_str().to_owned(),
        active_expires: active_expires.millis(),
        idle_expires: idle_expires.millis(),
    }
}

/// A patch that names no column.
#[derive(Serialize)]
struct NoChanges {}

/// Runs `op` on the database through the adapter.
async fn apply(adapter: &SeaOrmAdapter<Profile>, op: &Op) -> Result<Outcome, Error> {
    Ok(match op {
        Op::SetUser { id, username, key } => {
            let key = key.map(NewKey::row);
            adapter
                .set_user(&user_row(*id, *username), key.as_ref())
                .await?;
            Outcome::Done
        }
        Op::GetUser(id) => Outcome::User(adapter.get_user(id.as_str()).await?),
        Op::UpdateUsername(id, Some(username)) => Outcome::Updated(
            adapter
                .update_user_attributes(
                    id.as_str(),
                    &Profile {
                        username: username.as_str().to_owned(),
                    },
                )
                .await?,
        ),
        Op::UpdateUsername(id, None) => Outcome::Updated(
            adapter
                .update_user_attributes(id.as_str(), &NoChanges {})
                .await?,
        ),
        Op::DeleteUser(id) => {
            adapter.delete_user(id.as_str()).await?;
            Outcome::Done
        }
        Op::DeleteUserWithSessionsAndKeys(id) => {
            adapter
                .delete_user_with_sessions_and_keys(id.as_str())
                .await?;
            Outcome::Done
        }
        Op::SetKey(key) => {
            adapter.set_key(&key.row()).await?;
            Outcome::Done
        }
        Op::GetKey(id) => Outcome::Key(adapter.get_key(id.as_str()).await?),
        Op::GetKeysByUserId(id) => {
            let mut keys = adapter.get_keys_by_user_id(id.as_str()).await?;
            keys.sort_by(|a, b| a.id.cmp(&b.id));
            Outcome::Keys(keys)
        }
        Op::UpdateKeyPassword(id, password) => Outcome::UpdatedKey(
            adapter
                .update_key_password(id.as_str(), password.as_str())
                .await?,
        ),
        Op::DeleteNonPrimaryKey(id) => {
            adapter.delete_non_primary_key(id.as_str()).await?;
            Outcome::Done
        }
        Op::DeleteKeysByUserId(id) => {
            adapter.delete_keys_by_user_id(id.as_str()).await?;
            Outcome::Done
        }
        Op::SetSession {
            id,
            user,
            active_expires,
            idle_expires,
        } => {
            adapter
                .set_session(&session_row(*id, *user, *active_expires, *idle_expires))
                .await?;
            Outcome::Done
        }
        Op::GetSession(id) => Outcome::Session(adapter.get_session(id.as_str()).await?),
        Op::GetSessionsByUserId(id) => {
            let mut sessions = adapter.get_sessions_by_user_id(id.as_str()).await?;
            sessions.sort_by(|a, b| a.id.cmp(&b.id));
            Outcome::Sessions(sessions)
        }
        Op::DeleteSessions(ids) => {
            let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
            Outcome::Count(adapter.delete_sessions(&ids).await?)
        }
        Op::DeleteSessionsByUserId(id) => {
            adapter.delete_sessions_by_user_id(id.as_str()).await?;
            Outcome::Done
        }
        Op::DeleteDeadSessionsByUserId(id, now) => Outcome::Count(
            adapter
                .delete_dead_sessions_by_user_id(id.as_str(), now.millis())
                .await?,
        ),
        Op::DeleteExpiredSessions(now) => {
            Outcome::Count(adapter.delete_expired_sessions(now.millis()).await?)
        }
        Op::GetSessionAndUser(id) => {
            Outcome::SessionAndUser(adapter.get_session_and_user(id.as_str()).await?)
        }
    })
}

/// All three tables, each sorted by id (in Rust: collations differ between databases).
#[derive(Debug, PartialEq, Eq)]
struct Tables {
    users: Vec<(String, Option<String>)>,
    sessions: Vec<SessionRow>,
    keys: Vec<KeyRow>,
}

async fn read_tables(db: &DatabaseConnection) -> Tables {
    let mut users = tables::users(db).await;
    users.sort();
    let mut sessions = tables::sessions(db).await;
    sessions.sort_by(|a, b| a.id.cmp(&b.id));
    let mut keys = tables::keys(db).await;
    keys.sort_by(|a, b| a.id.cmp(&b.id));
    Tables {
        users,
        sessions,
        keys,
    }
}

/// Empties the tables, children first, so that each case starts from nothing.
async fn reset(db: &DatabaseConnection) {
    session::Entity::delete_many()
        .exec(db)
        .await
        .expect("sessions deleted");
    key::Entity::delete_many()
        .exec(db)
        .await
        .expect("keys deleted");
    user::Entity::delete_many()
        .exec(db)
        .await
        .expect("users deleted");
}

/// One case: `ops` on an empty database and on an empty model; the first disagreement.
async fn check(db: &DatabaseConnection, ops: &[Op]) -> Result<(), String> {
    reset(db).await;
    let adapter = SeaOrmAdapter::<Profile>::new(db.clone());
    let mut model = Model::default();
    for (step, op) in ops.iter().enumerate() {
        let expected = model.apply(op);
        let actual = apply(&adapter, op).await;
        let agrees = match (&actual, &expected) {
            (Ok(actual), Ok(expected)) => actual == expected,
            (Err(actual), Err(expected)) => failure(actual) == *expected,
            _ => false,
        };
        if !agrees {
            return Err(format!(
                "step {step}, {op:?}: the adapter returned {actual:?}, the model {expected:?}"
            ));
        }
    }
    let (actual, expected) = (read_tables(db).await, model.tables());
    if actual != expected {
        return Err(format!(
            "after the last step the tables hold {actual:#?}\nthe model {expected:#?}"
        ));
    }
    Ok(())
}

/// Deletes ops from a failing sequence one at a time for as long as it still fails.
///
/// proptest deletes elements in one pass and then shrinks them; ops that became redundant only
/// after that (two identical `SetUser`s, say) are removed here.
async fn minimise(
    db: &DatabaseConnection,
    mut ops: Vec<Op>,
    mut reason: String,
) -> (Vec<Op>, String) {
    let mut shorter = true;
    while shorter {
        shorter = false;
        for ix in (0..ops.len()).rev() {
            if ops.len() == 1 {
                break;
            }
            let mut candidate = ops.clone();
            candidate.remove(ix);
            if let Err(why) = check(db, &candidate).await {
                (ops, reason, shorter) = (candidate, why, true);
            }
        }
    }
    (ops, reason)
}

/// `LUCIA_PROPTEST_CASES`, or a default that keeps each database under a minute in debug builds.
fn cases(backend: DbBackend) -> u32 {
    if let Ok(cases) = std::env::var("LUCIA_PROPTEST_CASES") {
        return cases
            .parse()
            .unwrap_or_else(|_| panic!("LUCIA_PROPTEST_CASES={cases} is not a number"));
    }
    match backend {
        DbBackend::Sqlite => 256,
        _ => 32,
    }
}

async fn adapter_agrees_with_the_model(db: DatabaseConnection) {
    let mut config = Config {
        cases: cases(db.get_database_backend()),
        // Shrinking replays whole sequences on the server; this bounds a failing run.
        max_shrink_iters: 2_000,
        failure_persistence: None,
        ..Config::default()
    };
    // Config::default() reads PROPTEST_RNG_SEED; otherwise pick the seed here, to print it.
    let seed = match config.rng_seed {
        RngSeed::Fixed(seed) => seed,
        RngSeed::Random => uuid::Uuid::new_v4().as_u64_pair().0,
    };
    config.rng_seed = RngSeed::Fixed(seed);
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let handle = Handle::current();
    // TestRunner calls a synchronous closure; this test runs on a multi-thread runtime, so a
    // worker can block on each case.
    let outcome = runner.run(&ops(), |ops| {
        tokio::task::block_in_place(|| handle.block_on(check(&db, &ops)))
            .map_err(TestCaseError::fail)
    });
    match outcome {
        Ok(()) => eprintln!("{cases} cases agree with the model"),
        Err(TestError::Fail(reason, ops)) => {
            let (ops, reason) = minimise(&db, ops, reason.message().to_owned()).await;
            panic!(
                "the adapter disagrees with the model: {reason}\n\
                 minimal failing sequence ({} ops, PROPTEST_RNG_SEED={seed}): {ops:#?}",
                ops.len()
            )
        }
        Err(TestError::Abort(reason)) => panic!("proptest aborted: {reason}"),
    }
}

on_every_database!(Schema::Migrated => adapter_agrees_with_the_model);
