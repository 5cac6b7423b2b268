//! axum integration of lucia-sea-orm: a layer that validates the session cookie once per request
//! and refuses cross-site writes, extractors for the signed-in visitor, and a handle to sign in
//! and out.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod layer;
mod rejection;
mod session;
mod settings;
mod signed_in;

pub use error::AuthError;
pub use layer::{AuthLayer, AuthService};
pub use rejection::AuthRejection;
pub use session::AuthSession;
pub use signed_in::SignedIn;
