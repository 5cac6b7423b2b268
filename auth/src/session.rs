//! Sessions as the application sees them: live, with their state.

use std::fmt;
use std::time::Duration;

use crate::SessionRow;
use crate::row::Redacted;

/// Where a session is in its life at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Before `active_expires` (inclusive): valid as it is.
    Active,
    /// After `active_expires`, up to `idle_expires` (inclusive): valid, and renewed on
    /// validation.
    Idle,
    /// After `idle_expires`: gone.
    Dead,
}

impl SessionState {
    /// The state at `now` of a session with these expiry times (milliseconds).
    pub fn at(now: i64, active_expires: i64, idle_expires: i64) -> Self {
        if now > idle_expires {
            Self::Dead
        } else if now > active_expires {
            Self::Idle
        } else {
            Self::Active
        }
    }
}

/// A live session.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The session id: the bearer secret to put in a cookie. `Debug` shows only its start.
    pub id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// Milliseconds since the Unix epoch until which the session is active.
    pub active_expires: i64,
    /// Milliseconds since the Unix epoch until which the session is usable.
    pub idle_expires: i64,
    /// [`SessionState::Active`] or [`SessionState::Idle`] when it was read.
    pub state: SessionState,
    /// Whether the session was created by this call (a renewal): the caller must send the new
    /// id to the client.
    pub fresh: bool,
}

impl Session {
    pub(crate) fn from_row(row: SessionRow, state: SessionState, fresh: bool) -> Self {
        Self {
            id: row.id,
            user_id: row.user_id,
            active_expires: row.active_expires,
            idle_expires: row.idle_expires,
            state,
            fresh,
        }
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &Redacted(&self.id))
            .field("user_id", &self.user_id)
            .field("active_expires", &self.active_expires)
            .field("idle_expires", &self.idle_expires)
            .field("state", &self.state)
            .field("fresh", &self.fresh)
            .finish()
    }
}

/// `duration` in whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::SessionState::{self, *};

    #[test]
    fn a_session_is_active_up_to_and_including_active_expires() {
        assert_eq!(SessionState::at(100, 100, 200), Active);
        assert_eq!(SessionState::at(101, 100, 200), Idle);
    }

    #[test]
    fn a_session_is_idle_up_to_and_including_idle_expires() {
        assert_eq!(SessionState::at(200, 100, 200), Idle);
        assert_eq!(SessionState::at(201, 100, 200), Dead);
    }
}
