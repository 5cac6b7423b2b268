use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::adoption::{self, INDEXES};
use crate::existing;

/// Creates `user`, `session` and `key` with the column types Lucia's adapters expect on each
/// database, plus the indexes that keep lookups by user and expired-session cleanup off full
/// scans; or adopts them, when Lucia (JavaScript) already created them.
///
/// - **None of the three tables exists:** creates them.
/// - **All three exist** and are the schema Lucia's adapter documents for this database
///   (column names, types, nullability, primary and foreign keys; `user` may have the
///   application's own columns): keeps them and every row, adds the indexes, and on
///   MySQL/MariaDB gives the id columns the binary no-pad collation. The migration is then
///   recorded as applied like any other.
/// - **Otherwise** (one table missing, a type or a key that differs, an extra column in
///   `session` or `key`): fails before changing anything, with an error that names each
///   difference.
///
/// `down` drops the tables it created. After an adoption it only removes what the adoption
/// added (the indexes and the `lucia_sea_orm_adopted` marker table) and keeps the tables, with
/// their rows, as Lucia had them: they were there before the migration, and a rollback must
/// not delete an application's users. The MySQL id collation stays binary (switching back
/// would let ids that differ only in case collide).
///
/// On MySQL/MariaDB the id columns are collated `utf8mb4_nopad_bin` (MariaDB) or
/// `utf8mb4_0900_bin` (MySQL 8), whichever the server has: byte-for-byte comparison without
/// `utf8mb4_bin`'s padding, under which `"id "` equals `"id"`. A server with neither (MySQL
/// 5.7) is refused.
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

// Ids compare byte for byte (a binary collation, `{id_collation}` below): under MySQL's default
// case-insensitive collation a session id would also match its other-case variants, and
// `email:A@x` and `email:a@x` would be one key; under `utf8mb4_bin`, which pads with spaces,
// `id ` would match `id`.
const MYSQL: [&str; 3] = [
    "CREATE TABLE `user` (
        id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE {id_collation} NOT NULL,
        PRIMARY KEY (id)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
    "CREATE TABLE `session` (
        id VARCHAR(127) CHARACTER SET utf8mb4 COLLATE {id_collation} NOT NULL,
        user_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE {id_collation} NOT NULL,
        active_expires BIGINT UNSIGNED NOT NULL,
        idle_expires BIGINT UNSIGNED NOT NULL,
        PRIMARY KEY (id),
        CONSTRAINT fk_session_user_id FOREIGN KEY (user_id) REFERENCES `user`(id)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
    "CREATE TABLE `key` (
        id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {id_collation} NOT NULL,
        user_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE {id_collation} NOT NULL,
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

/// The binary no-pad collations, in order of preference: MariaDB's, then MySQL 8's.
const NO_PAD_BINARY: [&str; 2] = ["utf8mb4_nopad_bin", "utf8mb4_0900_bin"];

/// MySQL: the collation of the id columns, the first of [`NO_PAD_BINARY`] the server has;
/// other databases compare text byte for byte already.
async fn id_collation<C: ConnectionTrait>(db: &C) -> Result<Option<&'static str>, DbErr> {
    let backend = db.get_database_backend();
    if backend != DbBackend::MySql {
        return Ok(None);
    }
    let sql = format!(
        "SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS \
         WHERE COLLATION_NAME IN ('{}')",
        NO_PAD_BINARY.join("', '")
    );
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    let mut found = Vec::new();
    for row in rows {
        found.push(row.try_get::<String>("", "name")?);
    }
    match NO_PAD_BINARY
        .into_iter()
        .find(|c| found.iter().any(|f| f == c))
    {
        Some(collation) => Ok(Some(collation)),
        None => Err(DbErr::Migration(format!(
            "this MySQL server has no binary no-pad utf8mb4 collation ({}): ids would compare \
             equal with trailing spaces; MariaDB 10.2+ or MySQL 8.0+ is needed",
            NO_PAD_BINARY.join(", ")
        ))),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        let collation = id_collation(connection).await?;
        let tables = existing::inspect(connection).await?;
        if !tables.is_empty() {
            let differences = adoption::differences(manager.get_database_backend(), &tables);
            if !differences.is_empty() {
                return Err(DbErr::Migration(format!(
                    "the existing auth tables are not Lucia's documented schema for this \
                     database, so they were not adopted; nothing was changed:\n  - {}",
                    differences.join("\n  - ")
                )));
            }
            return adoption::adopt(connection, &tables, collation).await;
        }
        let tables = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            DbBackend::MySql => MYSQL,
            _ => SQLITE,
        };
        for create_table in tables {
            let create_table =
                create_table.replace("{id_collation}", collation.unwrap_or_default());
            connection.execute_unprepared(&create_table).await?;
        }
        for (name, table, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alias::new(table))
                        .col(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if adoption::was_adopted(manager).await? {
            return adoption::unadopt(manager).await;
        }
        // Dropping a table drops its indexes; children go before the user they reference.
        for table in ["key", "session", "user"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
