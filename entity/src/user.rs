//! The `user` table. Applications add their own columns to it with their own migrations; this
//! entity knows only the id.

use sea_orm::entity::prelude::*;

/// A row of `user`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user")]
pub struct Model {
    /// The user's id: a UUID on PostgreSQL, at most 36 characters elsewhere.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "Enum { name: sea_orm::sea_query::IntoIden::into_iden(crate::USER_ID_TYPE), variants: Vec::new() }"
    )]
    pub id: String,
    /// The user's sessions.
    #[sea_orm(has_many)]
    pub sessions: HasMany<super::session::Entity>,
    /// The user's keys.
    #[sea_orm(has_many)]
    pub keys: HasMany<super::key::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
