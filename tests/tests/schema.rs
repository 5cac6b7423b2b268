//! The migration's schema as each database's catalog reports it, checked against the contract's
//! table (`contract.md` §1), and the migration's `up` and `down`.

use lucia_sea_orm_entity::user;
use lucia_sea_orm_migration::Migrator;
use lucia_sea_orm_tests::tables::{new_user_id, users};
use lucia_sea_orm_tests::{
    AddUsernameToUser, AppMigrator, Backend, Schema, on_every_database, run,
};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, SqlErr, Statement,
};
use sea_orm_migration::{Migration, MigrationName, MigratorTrait};

/// One column as the catalog describes it: table, column, declared type, nullable (`YES` or
/// `NO`), default, and `primary key` or `references table(column) on delete RULE`.
type Column = (Str, Str, Str, Str, Option<Str>, Option<Str>);

/// One index: table, index name, definition.
type Index = (Str, Str, Str);

type Str = &'static str;

const PK: Option<Str> = Some("primary key");

#[rustfmt::skip]
const POSTGRES_COLUMNS: &[Column] = &[
    ("user",    "id",              "uuid",              "NO",  Some("gen_random_uuid()"), PK),
    // The application's column, added by the harness's `AppMigrator`.
    ("user",    "username",        "character varying", "YES", None, None),
    ("session", "id",              "text",              "NO",  None, PK),
    ("session", "user_id",         "uuid",              "NO",  None, Some("references user(id) on delete NO ACTION")),
    ("session", "active_expires",  "bigint",            "NO",  None, None),
    ("session", "idle_expires",    "bigint",            "NO",  None, None),
    ("key",     "id",              "text",              "NO",  None, PK),
    ("key",     "user_id",         "uuid",              "NO",  None, Some("references user(id) on delete NO ACTION")),
    ("key",     "primary",         "boolean",           "NO",  None, None),
    ("key",     "hashed_password", "text",              "YES", None, None),
];

// MariaDB reports "no default" as SQL NULL on NOT NULL columns and as the literal `NULL` on
// nullable ones (their default is the value NULL).
#[rustfmt::skip]
const MYSQL_COLUMNS: &[Column] = &[
    ("user",    "id",              "varchar(36)",         "NO",  None, PK),
    ("user",    "username",        "varchar(255)",        "YES", Some("NULL"), None),
    ("session", "id",              "varchar(127)",        "NO",  None, PK),
    ("session", "user_id",         "varchar(36)",         "NO",  None, Some("references user(id) on delete RESTRICT")),
    ("session", "active_expires",  "bigint(20) unsigned", "NO",  None, None),
    ("session", "idle_expires",    "bigint(20) unsigned", "NO",  None, None),
    ("key",     "id",              "varchar(255)",        "NO",  None, PK),
    ("key",     "user_id",         "varchar(36)",         "NO",  None, Some("references user(id) on delete RESTRICT")),
    ("key",     "primary",         "tinyint(3) unsigned", "NO",  None, None),
    ("key",     "hashed_password", "varchar(255)",        "YES", Some("NULL"), None),
];

// SQLite keeps the declared types verbatim; the seed's column order (`hashed_password` before
// `primary`) is kept too.
#[rustfmt::skip]
const SQLITE_COLUMNS: &[Column] = &[
    ("user",    "id",              "VARCHAR(36)",  "NO",  None, PK),
    ("user",    "username",        "varchar(255)", "YES", None, None),
    ("session", "id",              "VARCHAR(127)", "NO",  None, PK),
    ("session", "user_id",         "VARCHAR(36)",  "NO",  None, Some("references user(id) on delete NO ACTION")),
    ("session", "active_expires",  "BIGINT",       "NO",  None, None),
    ("session", "idle_expires",    "BIGINT",       "NO",  None, None),
    ("key",     "id",              "VARCHAR(255)", "NO",  None, PK),
    ("key",     "user_id",         "VARCHAR(36)",  "NO",  None, Some("references user(id) on delete NO ACTION")),
    ("key",     "hashed_password", "VARCHAR(255)", "YES", None, None),
    ("key",     "primary",         "INT2",         "NO",  None, None),
];

#[rustfmt::skip]
const POSTGRES_INDEXES: &[Index] = &[
    ("key",     "idx_key_user_id",          "CREATE INDEX idx_key_user_id ON public.key USING btree (user_id)"),
    ("key",     "key_pkey",                 "CREATE UNIQUE INDEX key_pkey ON public.key USING btree (id)"),
    ("session", "idx_session_idle_expires", "CREATE INDEX idx_session_idle_expires ON public.session USING btree (idle_expires)"),
    ("session", "idx_session_user_id",      "CREATE INDEX idx_session_user_id ON public.session USING btree (user_id)"),
    ("session", "session_pkey",             "CREATE UNIQUE INDEX session_pkey ON public.session USING btree (id)"),
    ("user",    "idx_user_username",        "CREATE UNIQUE INDEX idx_user_username ON public.\"user\" USING btree (username)"),
    ("user",    "user_pkey",                "CREATE UNIQUE INDEX user_pkey ON public.\"user\" USING btree (id)"),
];

#[rustfmt::skip]
const MYSQL_INDEXES: &[Index] = &[
    ("key",     "PRIMARY",                  "UNIQUE INDEX (id)"),
    ("key",     "idx_key_user_id",          "INDEX (user_id)"),
    ("session", "PRIMARY",                  "UNIQUE INDEX (id)"),
    ("session", "idx_session_idle_expires", "INDEX (idle_expires)"),
    ("session", "idx_session_user_id",      "INDEX (user_id)"),
    ("user",    "PRIMARY",                  "UNIQUE INDEX (id)"),
    ("user",    "idx_user_username",        "UNIQUE INDEX (username)"),
];

#[rustfmt::skip]
const SQLITE_INDEXES: &[Index] = &[
    ("key",     "idx_key_user_id",            "INDEX (user_id)"),
    ("key",     "sqlite_autoindex_key_1",     "UNIQUE INDEX (id)"),
    ("session", "idx_session_idle_expires",   "INDEX (idle_expires)"),
    ("session", "idx_session_user_id",        "INDEX (user_id)"),
    ("session", "sqlite_autoindex_session_1", "UNIQUE INDEX (id)"),
    ("user",    "idx_user_username",          "UNIQUE INDEX (username)"),
    ("user",    "sqlite_autoindex_user_1",    "UNIQUE INDEX (id)"),
];

const CREATE_AUTH_TABLES: &str = "m20261128_000001_create_auth_tables";
const AUTH_TABLES: [&str; 4] = ["key", "seaql_migrations", "session", "user"];
const NO_ROWS: [Row; 0] = [];

/// The contract's columns on `db`'s database, with the application's `username`.
fn expected_columns(db: &DatabaseConnection) -> Vec<Row> {
    column_rows(match db.get_database_backend() {
        DbBackend::Postgres => POSTGRES_COLUMNS,
        DbBackend::MySql => MYSQL_COLUMNS,
        _ => SQLITE_COLUMNS,
    })
}

/// The indexes on `db`'s database, with the application's `idx_user_username`.
fn expected_indexes(db: &DatabaseConnection) -> Vec<Row> {
    index_rows(match db.get_database_backend() {
        DbBackend::Postgres => POSTGRES_INDEXES,
        DbBackend::MySql => MYSQL_INDEXES,
        _ => SQLITE_INDEXES,
    })
}

async fn the_columns_match_the_contract(db: DatabaseConnection) {
    assert_eq!(columns(&db).await, expected_columns(&db));
}

async fn the_lookup_and_cleanup_indexes_exist(db: DatabaseConnection) {
    assert_eq!(indexes(&db).await, expected_indexes(&db));
}

async fn up_down_and_up_again_create_drop_and_recreate_the_tables(db: DatabaseConnection) {
    // Our migration alone: the expected catalog without the application's column and index.
    let columns_of_ours = without(expected_columns(&db), "username");
    let indexes_of_ours = without(expected_indexes(&db), "idx_user_username");
    assert_status::<Migrator>(&db, &[CREATE_AUTH_TABLES], &[]).await;
    assert_eq!(tables(&db).await, ["seaql_migrations"]);

    Migrator::up(&db, None).await.expect("up");
    assert_status::<Migrator>(&db, &[], &[CREATE_AUTH_TABLES]).await;
    assert_eq!(tables(&db).await, AUTH_TABLES);
    assert_eq!(columns(&db).await, columns_of_ours);
    assert_eq!(indexes(&db).await, indexes_of_ours);

    Migrator::down(&db, None).await.expect("down");
    assert_status::<Migrator>(&db, &[CREATE_AUTH_TABLES], &[]).await;
    assert_eq!(tables(&db).await, ["seaql_migrations"]);
    assert_eq!(columns(&db).await, NO_ROWS);
    assert_eq!(indexes(&db).await, NO_ROWS);

    Migrator::up(&db, None).await.expect("up again");
    assert_status::<Migrator>(&db, &[], &[CREATE_AUTH_TABLES]).await;
    assert_eq!(tables(&db).await, AUTH_TABLES);
    assert_eq!(columns(&db).await, columns_of_ours);
    assert_eq!(indexes(&db).await, indexes_of_ours);
}

async fn an_app_migrator_adds_a_unique_username_and_its_down_removes_everything(
    db: DatabaseConnection,
) {
    // Our migration's name is its version in `seaql_migrations` and must never change; the
    // application's is whatever it calls itself.
    let both = [CREATE_AUTH_TABLES, AddUsernameToUser.name()];
    assert_status::<AppMigrator>(&db, &both, &[]).await;

    AppMigrator::up(&db, None).await.expect("up");
    assert_status::<AppMigrator>(&db, &[], &both).await;
    assert_eq!(tables(&db).await, AUTH_TABLES);
    assert_eq!(columns(&db).await, expected_columns(&db));
    assert_eq!(indexes(&db).await, expected_indexes(&db));

    insert_user_named(&db, "ada")
        .await
        .expect("the first user named ada is stored");
    let duplicate = insert_user_named(&db, "ada")
        .await
        .expect_err("a second user named ada is refused");
    assert!(
        matches!(
            duplicate.sql_err(),
            Some(SqlErr::UniqueConstraintViolation(_))
        ),
        "{duplicate:?}"
    );
    insert_user_named(&db, "grace")
        .await
        .expect("a user with another name is stored");
    let mut usernames: Vec<_> = users(&db).await.into_iter().map(|(_, name)| name).collect();
    usernames.sort();
    assert_eq!(
        usernames,
        [Some("ada".to_owned()), Some("grace".to_owned())]
    );

    AppMigrator::down(&db, None).await.expect("down");
    assert_status::<AppMigrator>(&db, &both, &[]).await;
    assert_eq!(tables(&db).await, ["seaql_migrations"]);
    assert_eq!(columns(&db).await, NO_ROWS);
    assert_eq!(indexes(&db).await, NO_ROWS);
}

/// Tests on a database that `AppMigrator` has migrated.
mod migrated {
    use super::*;
    on_every_database!(Schema::Migrated =>
        the_columns_match_the_contract,
        the_lookup_and_cleanup_indexes_exist,
    );
}

/// Tests that run the migrations themselves.
mod empty {
    use super::*;
    on_every_database!(Schema::Empty =>
        up_down_and_up_again_create_drop_and_recreate_the_tables,
        an_app_migrator_adds_a_unique_username_and_its_down_removes_everything,
    );
}

/// Ids compare byte for byte and without padding on MariaDB (`utf8mb4_nopad_bin`), and every
/// table is InnoDB, the engine that enforces foreign keys (MyISAM would accept the `REFERENCES` and ignore it).
#[tokio::test]
async fn mysql_ids_are_binary_collated_and_the_tables_are_innodb() {
    run(Backend::MySql, Schema::Migrated, |db| async move {
        let collations = texts(
            &db,
            "SELECT table_name, column_name, collation_name FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name IN ('user', 'session', 'key') \
               AND collation_name IS NOT NULL \
             ORDER BY table_name, ordinal_position",
            3,
        )
        .await;
        #[rustfmt::skip]
        let expected = [
            ["key",     "id",              "utf8mb4_nopad_bin"],
            ["key",     "user_id",         "utf8mb4_nopad_bin"],
            ["key",     "hashed_password", "utf8mb4_general_ci"],
            ["session", "id",              "utf8mb4_nopad_bin"],
            ["session", "user_id",         "utf8mb4_nopad_bin"],
            ["user",    "id",              "utf8mb4_nopad_bin"],
            ["user",    "username",        "utf8mb4_general_ci"],
        ];
        assert_eq!(collations, expected);

        let engines = texts(
            &db,
            "SELECT table_name, engine FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name IN ('user', 'session', 'key') \
             ORDER BY table_name",
            2,
        )
        .await;
        assert_eq!(
            engines,
            [["key", "InnoDB"], ["session", "InnoDB"], ["user", "InnoDB"]]
        );
    })
    .await;
}

/// A catalog row, every field as the catalog gave it (`None` for SQL NULL).
type Row = Vec<Option<String>>;

fn column_rows(columns: &[Column]) -> Vec<Row> {
    columns
        .iter()
        .map(|&(table, column, r#type, nullable, default, key)| {
            [
                Some(table),
                Some(column),
                Some(r#type),
                Some(nullable),
                default,
                key,
            ]
            .map(|field| field.map(str::to_owned))
            .to_vec()
        })
        .collect()
}

fn index_rows(indexes: &[Index]) -> Vec<Row> {
    indexes
        .iter()
        .map(|&(table, name, definition)| {
            [table, name, definition]
                .map(|field| Some(field.to_owned()))
                .to_vec()
        })
        .collect()
}

/// `rows` without those whose second field (column or index name) is `name`.
fn without(rows: Vec<Row>, name: &str) -> Vec<Row> {
    rows.into_iter()
        .filter(|row| row[1].as_deref() != Some(name))
        .collect()
}

/// Every column of `user`, `session` and `key`, in table then declaration order.
async fn columns(db: &DatabaseConnection) -> Vec<Row> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            r#"
            SELECT c.table_name::text, c.column_name::text, c.data_type::text,
                   c.is_nullable::text, c.column_default::text, k.description
            FROM information_schema.columns c
            LEFT JOIN (
                SELECT u.table_name, u.column_name,
                       CASE t.constraint_type
                           WHEN 'PRIMARY KEY' THEN 'primary key'
                           ELSE 'references ' || r.table_name || '(' || r.column_name
                                || ') on delete ' || rc.delete_rule
                       END AS description
                FROM information_schema.table_constraints t
                JOIN information_schema.key_column_usage u
                  ON u.constraint_schema = t.constraint_schema
                 AND u.constraint_name = t.constraint_name
                LEFT JOIN information_schema.referential_constraints rc
                  ON rc.constraint_schema = t.constraint_schema
                 AND rc.constraint_name = t.constraint_name
                LEFT JOIN information_schema.key_column_usage r
                  ON r.constraint_schema = rc.unique_constraint_schema
                 AND r.constraint_name = rc.unique_constraint_name
                 AND r.ordinal_position = u.position_in_unique_constraint
                WHERE t.table_schema = 'public'
                  AND t.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')
            ) k ON k.table_name = c.table_name AND k.column_name = c.column_name
            WHERE c.table_schema = 'public' AND c.table_name IN ('user', 'session', 'key')
            ORDER BY CASE c.table_name WHEN 'user' THEN 1 WHEN 'session' THEN 2 ELSE 3 END,
                     c.ordinal_position
            "#
        }
        DbBackend::MySql => {
            r#"
            SELECT c.table_name, c.column_name, c.column_type, c.is_nullable, c.column_default,
                   (SELECT CASE
                               WHEN u.constraint_name = 'PRIMARY' THEN 'primary key'
                               ELSE CONCAT('references ', u.referenced_table_name, '(',
                                           u.referenced_column_name, ') on delete ',
                                           rc.delete_rule)
                           END
                    FROM information_schema.key_column_usage u
                    LEFT JOIN information_schema.referential_constraints rc
                      ON rc.constraint_schema = u.constraint_schema
                     AND rc.constraint_name = u.constraint_name
                    WHERE u.table_schema = c.table_schema AND u.table_name = c.table_name
                      AND u.column_name = c.column_name
                      AND (u.constraint_name = 'PRIMARY' OR u.referenced_table_name IS NOT NULL))
            FROM information_schema.columns c
            WHERE c.table_schema = DATABASE() AND c.table_name IN ('user', 'session', 'key')
            ORDER BY CASE c.table_name WHEN 'user' THEN 1 WHEN 'session' THEN 2 ELSE 3 END,
                     c.ordinal_position
            "#
        }
        _ => {
            r#"
            SELECT m.name, c.name, c.type,
                   CASE c."notnull" WHEN 1 THEN 'NO' ELSE 'YES' END,
                   c.dflt_value,
                   CASE
                       WHEN c.pk > 0 THEN 'primary key'
                       WHEN f."table" IS NOT NULL THEN
                           'references ' || f."table" || '(' || f."to" || ') on delete '
                           || f.on_delete
                   END
            FROM sqlite_master m
            JOIN pragma_table_info(m.name) c
            LEFT JOIN pragma_foreign_key_list(m.name) f ON f."from" = c.name
            WHERE m.type = 'table' AND m.name IN ('user', 'session', 'key')
            ORDER BY CASE m.name WHEN 'user' THEN 1 WHEN 'session' THEN 2 ELSE 3 END, c.cid
            "#
        }
    };
    query(db, sql, 6).await
}

/// Every index on `user`, `session` and `key`, primary keys included, sorted by table and name.
async fn indexes(db: &DatabaseConnection) -> Vec<Row> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT tablename::text, indexname::text, indexdef FROM pg_indexes \
             WHERE schemaname = 'public' AND tablename IN ('user', 'session', 'key')"
        }
        DbBackend::MySql => {
            "SELECT table_name, index_name, \
                    CONCAT(IF(non_unique = 0, 'UNIQUE ', ''), 'INDEX (', \
                           GROUP_CONCAT(column_name ORDER BY seq_in_index SEPARATOR ', '), ')') \
             FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name IN ('user', 'session', 'key') \
             GROUP BY table_name, index_name, non_unique"
        }
        _ => {
            r#"
            SELECT m.name, i.name,
                   CASE i."unique" WHEN 1 THEN 'UNIQUE ' ELSE '' END || 'INDEX ('
                   || (SELECT group_concat(c.name, ', ') FROM pragma_index_info(i.name) c) || ')'
            FROM sqlite_master m
            JOIN pragma_index_list(m.name) i
            WHERE m.type = 'table' AND m.name IN ('user', 'session', 'key')
            "#
        }
    };
    let mut rows = query(db, sql, 3).await;
    rows.sort();
    rows
}

/// The names of all tables in the database, sorted.
async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'"
        }
        DbBackend::MySql => {
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let mut names: Vec<String> = query(db, sql, 1)
        .await
        .into_iter()
        .map(|row| row[0].clone().expect("a table has a name"))
        .collect();
    names.sort();
    names
}

/// Asserts which of `M`'s migrations are pending and which are applied, by name.
async fn assert_status<M: MigratorTrait>(
    db: &DatabaseConnection,
    pending: &[&str],
    applied: &[&str],
) {
    let names = |migrations: Vec<Migration>| -> Vec<String> {
        migrations
            .iter()
            .map(|migration| migration.name().to_owned())
            .collect()
    };
    let status = [
        names(
            M::get_pending_migrations(db)
                .await
                .expect("pending migrations"),
        ),
        names(
            M::get_applied_migrations(db)
                .await
                .expect("applied migrations"),
        ),
    ];
    assert_eq!(
        status,
        [pending.to_vec(), applied.to_vec()],
        "[pending, applied]"
    );
}

/// Inserts a user named `username` with a fresh id.
async fn insert_user_named(db: &DatabaseConnection, username: &str) -> Result<(), DbErr> {
    let id = new_user_id();
    let insert = Query::insert()
        .into_table(user::Entity)
        .columns(["id", "username"])
        .values_panic([user::Column::Id.save_as(Expr::val(id)), Expr::val(username)])
        .to_owned();
    db.execute(&insert).await.map(drop)
}

async fn query(db: &DatabaseConnection, sql: &str, width: usize) -> Vec<Row> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|err| panic!("{sql} fails: {err}"))
        .iter()
        .map(|row| {
            (0..width)
                .map(|i| row.try_get_by_index(i).expect("a text or NULL field"))
                .collect()
        })
        .collect()
}

/// [`query`] for rows without NULLs.
async fn texts(db: &DatabaseConnection, sql: &str, width: usize) -> Vec<Vec<String>> {
    query(db, sql, width)
        .await
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|field| field.expect("not NULL"))
                .collect()
        })
        .collect()
}
