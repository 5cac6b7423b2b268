//! The `key` table: one row per way a user can sign in (`provider_id:provider_user_id`).

use sea_orm::entity::prelude::*;

/// A row of `key`.
#[sea_orm::model]
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
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

/// Hides the password hash.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_key(
            f,
            "Model",
            &self.id,
            &self.user_id,
            self.primary,
            &self.hashed_password,
        )
    }
}

/// Hides the password hash, as [`Model`] does.
impl std::fmt::Debug for ModelEx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_key(
            f,
            "ModelEx",
            &self.id,
            &self.user_id,
            self.primary,
            &self.hashed_password,
        )
    }
}

fn debug_key(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    id: &str,
    user_id: &str,
    primary: bool,
    hashed_password: &Option<String>,
) -> std::fmt::Result {
    f.debug_struct(name)
        .field("id", &id)
        .field("user_id", &user_id)
        .field("primary", &primary)
        .field(
            "hashed_password",
            &hashed_password.as_ref().map(|_| "<redacted>"),
        )
        .finish_non_exhaustive()
}
