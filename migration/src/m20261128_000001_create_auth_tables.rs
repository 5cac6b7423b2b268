use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Creates `user`, `session` and `key` with the column types Lucia's adapters expect on each
/// database, plus the indexes that keep lookups by user and expired-session cleanup off full
/// scans.
#[derive(DeriveMigrationName)]
pub struct Migration;

// The tables are written out per database because their column types are the contract shared
// with Lucia's own adapters (PostgreSQL's UUID user ids, MySQL's unsigned integers, SQLite's
// declared types), which a portable schema builder would blur.
const POSTGRES: [&str; 3] = [
    r#"CREATE TABLE "user" (
        id UUID DEFAULT gen_random_uuid() PRIMARY KEY
    )"#,
    r#"CREATE TABLE "session" (
        id TEXT PRIMARY KEY,
        user_id UUID NOT NULL CONSTRAINT fk_session_user_id REFERENCES "user"(id),
        active_expires BIGINT NOT NULL,
        idle_expires BIGINT NOT NULL
    )"#,
    r#"CREATE TABLE "key" (
        id TEXT PRIMARY KEY,
        user_id UUID NOT NULL CONSTRAINT fk_key_user_id REFERENCES "user"(id),
        "primary" BOOLEAN NOT NULL,
        hashed_password TEXT
    )"#,
];

// Ids compare byte for byte (`utf8mb4_bin`): under MySQL's default case-insensitive collation a
// session id would also match its other-case variants, and `email:A@x` and `email:a@x` would be
// one key.
const MYSQL: [&str; 3] = [
    "CREATE TABLE `user` (
        id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        PRIMARY KEY (id)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
    "CREATE TABLE `session` (
        id VARCHAR(127) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        user_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        active_expires BIGINT UNSIGNED NOT NULL,
        idle_expires BIGINT UNSIGNED NOT NULL,
        PRIMARY KEY (id),
        CONSTRAINT fk_session_user_id FOREIGN KEY (user_id) REFERENCES `user`(id)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
    "CREATE TABLE `key` (
        id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        user_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        `primary` TINYINT UNSIGNED NOT NULL,
        hashed_password VARCHAR(255),
        PRIMARY KEY (id),
        CONSTRAINT fk_key_user_id FOREIGN KEY (user_id) REFERENCES `user`(id)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
];

const SQLITE: [&str; 3] = [
    r#"CREATE TABLE "user" (
        id VARCHAR(36) NOT NULL,
        PRIMARY KEY (id)
    )"#,
    r#"CREATE TABLE "session" (
        id VARCHAR(127) NOT NULL,
        user_id VARCHAR(36) NOT NULL,
        active_expires BIGINT NOT NULL,
        idle_expires BIGINT NOT NULL,
        PRIMARY KEY (id),
        CONSTRAINT fk_session_user_id FOREIGN KEY (user_id) REFERENCES "user"(id)
    )"#,
    r#"CREATE TABLE "key" (
        id VARCHAR(255) NOT NULL,
        user_id VARCHAR(36) NOT NULL,
        hashed_password VARCHAR(255),
        "primary" INT2 NOT NULL,
        PRIMARY KEY (id),
        CONSTRAINT fk_key_user_id FOREIGN KEY (user_id) REFERENCES "user"(id)
    )"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            DbBackend::MySql => MYSQL,
            _ => SQLITE,
        };
        let connection = manager.get_connection();
        for create_table in tables {
            connection.execute_unprepared(create_table).await?;
        }
        for (name, table, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes; children go before the user they reference.
        for table in [Auth::Key, Auth::Session, Auth::User] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

const INDEXES: [(&str, Auth, Auth); 3] = [
    ("idx_session_user_id", Auth::Session, Auth::UserId),
    ("idx_session_idle_expires", Auth::Session, Auth::IdleExpires),
    ("idx_key_user_id", Auth::Key, Auth::UserId),
];

#[derive(DeriveIden, Clone, Copy)]
enum Auth {
    User,
    Session,
    Key,
    UserId,
    IdleExpires,
}
