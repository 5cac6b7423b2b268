//! The `session` table.

use sea_orm::entity::prelude::*;

use crate::Millis;

/// A row of `session`.
#[sea_orm::model]
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session")]
pub struct Model {
    /// The session id.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The user the session belongs to.
    #[sea_orm(
        column_type = "Enum { name: sea_orm::sea_query::IntoIden::into_iden(crate::USER_ID_TYPE), variants: Vec::new() }"
    )]
    pub user_id: String,
    /// When the session stops being active.
    #[sea_orm(column_type = "BigInteger")]
    pub active_expires: Millis,
    /// When the session stops being usable at all.
    #[sea_orm(column_type = "BigInteger")]
    pub idle_expires: Millis,
    /// The user the session belongs to.
    #[sea_orm(belongs_to, from = "user_id", to = "id")]
    pub user: BelongsTo<super::user::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}

/// Shows only the start of the session id: the whole id is the bearer secret.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_session(
            f,
            "Model",
            &self.id,
            &self.user_id,
            self.active_expires,
            self.idle_expires,
        )
    }
}

/// Shows only the start of the session id, as [`Model`] does.
impl std::fmt::Debug for ModelEx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_session(
            f,
            "ModelEx",
            &self.id,
            &self.user_id,
            self.active_expires,
            self.idle_expires,
        )
    }
}

fn debug_session(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    id: &str,
    user_id: &str,
    active_expires: Millis,
    idle_expires: Millis,
) -> std::fmt::Result {
    f.debug_struct(name)
        .field("id", &crate::Redacted(id))
        .field("user_id", &user_id)
        .field("active_expires", &active_expires)
        .field("idle_expires", &idle_expires)
        .finish_non_exhaustive()
}
