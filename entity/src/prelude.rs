//! The three entities under the names `sea-orm-cli` gives them.

pub use super::key::Entity as Key;
pub use super::session::Entity as Session;
pub use super::user::Entity as User;
