//! The `key` table: one row per way a user can sign in (`provider_id:provider_user_id`).

use sea_orm::entity::prelude::*;

/// A row of `key`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key")]
pub struct Model {
    /// The key id, `provider_id:provider_user_id`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The user the key belongs to.
    #[sea_orm(
        column_type = "Enum { name: sea_orm::sea_query::IntoIden::into_iden(crate::USER_ID_TYPE), variants: Vec::new() }"
    )]
    pub user_id: String,
    /// Whether this is the key the user was created with.
    pub primary: bool,
    /// The password hash, if the key has a password.
    #[sea_orm(column_type = "Text", nullable)]
    pub hashed_password: Option<String>,
    /// The user the key belongs to.
    #[sea_orm(belongs_to, from = "user_id", to = "id")]
    pub user: BelongsTo<super::user::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
