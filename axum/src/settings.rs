//! What the layer hands every request: the [`Auth`] and the web settings beside it.

use std::sync::Arc;

use lucia_sea_orm_auth::{AllowedOrigins, Auth, SessionCookie};

/// The [`Auth`], the cookie settings, the application's origins and where signed-out visitors
/// of HTML pages are sent.
pub(crate) struct Settings<D> {
    pub(crate) auth: Auth<D>,
    pub(crate) cookie: SessionCookie,
    pub(crate) origins: AllowedOrigins,
    pub(crate) sign_in_path: Option<Arc<str>>,
}

impl<D> Clone for Settings<D> {
    fn clone(&self) -> Self {
        Self {
            auth: self.auth.clone(),
            cookie: self.cookie.clone(),
            origins: self.origins.clone(),
            sign_in_path: self.sign_in_path.clone(),
        }
    }
}
