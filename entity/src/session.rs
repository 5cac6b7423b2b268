//! The `session` table.

use sea_orm::entity::prelude::*;

use crate::Millis;

/// A row of `session`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
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
