//! `migrate up` on a database whose auth tables Lucia (JavaScript) already created: adopted
//! when they are Lucia's documented schema, refused with every difference named (and nothing
//! changed) when they are not, and `down` afterwards keeps them.

use lucia_sea_orm_migration::Migrator;
use lucia_sea_orm_tests::lucia_js::{self, fixtures_dir};
use lucia_sea_orm_tests::{Backend, on_every_database};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sea_orm_migration::MigratorTrait;

const OUR_INDEXES: [&str; 3] = [
    "idx_key_user_id",
    "idx_session_idle_expires",
    "idx_session_user_id",
];

/// One text column of every row `sql` returns.
async fn texts(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"));
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a text column"))
        .collect()
}

/// Every row of the three tables as text, each table sorted, so that a change to any value
/// (or a lost row) shows.
async fn all_rows(db: &DatabaseConnection) -> Vec<String> {
    let (concat, user, key) = match db.get_database_backend() {
        DbBackend::MySql => ("CONCAT_WS('|', ", "`user`", "`key`"),
        _ => ("(", "\"user\"", "\"key\""),
    };
    let separator = if db.get_database_backend() == DbBackend::MySql {
        ", "
    } else {
        " || '|' || "
    };
    let row = |columns: &[&str]| {
        let columns: Vec<String> = columns
            .iter()
            .map(|c| match db.get_database_backend() {
                DbBackend::MySql => format!("COALESCE(CAST({c} AS CHAR), 'NULL')"),
                DbBackend::Postgres => format!("COALESCE(CAST({c} AS TEXT), 'NULL')"),
                _ => format!("COALESCE(CAST({c} AS TEXT), 'NULL')"),
            })
            .collect();
        format!("{concat}{})", columns.join(separator))
    };
    let primary = match db.get_database_backend() {
        DbBackend::MySql => "`primary`",
        _ => "\"primary\"",
    };
    let mut rows = Vec::new();
    for (table, columns) in [
        (user, vec!["id", "username"]),
        (
            "session",
            vec!["id", "user_id", "active_expires", "idle_expires"],
        ),
        (key, vec!["id", "user_id", primary, "hashed_password"]),
    ] {
        let mut table_rows = texts(db, &format!("SELECT {} FROM {table}", row(&columns))).await;
        table_rows.sort();
        let name = table.trim_matches(['`', '"']);
        rows.push(format!("{name}: {} rows", table_rows.len()));
        rows.extend(table_rows);
    }
    rows
}

/// The names of the indexes on `session` and `key`.
async fn indexes(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename IN ('session', 'key') ORDER BY 1"
        }
        DbBackend::MySql => {
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('session', 'key') ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'index' \
             AND tbl_name IN ('session', 'key') ORDER BY 1"
        }
    };
    texts(db, sql).await
}

fn ours(indexes: &[String]) -> Vec<&str> {
    indexes
        .iter()
        .map(String::as_str)
        .filter(|i| OUR_INDEXES.contains(i))
        .collect()
}

async fn applied_migrations(db: &DatabaseConnection) -> Vec<String> {
    Migrator::get_applied_migrations(db)
        .await
        .expect("migrations listed")
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

async fn has_table(db: &DatabaseConnection, table: &str) -> bool {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => format!(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
             AND tablename = '{table}'"
        ),
        DbBackend::MySql => format!(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = '{table}'"
        ),
        _ => format!("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
    };
    !texts(db, &sql).await.is_empty()
}

/// MySQL: the collations of the id columns, as `table.column collation`.
async fn mysql_id_collations(db: &DatabaseConnection) -> Vec<String> {
    texts(
        db,
        "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME, ' ', COLLATION_NAME) \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
           AND COLUMN_NAME IN ('id', 'user_id') AND TABLE_NAME IN ('user', 'session', 'key') \
         ORDER BY 1",
    )
    .await
}

async fn migrate_up_adopts_lucias_tables_and_keeps_every_row(db: DatabaseConnection) {
    let Some(dir) = fixtures_dir() else { return };
    lucia_js::load(&db, &dir).await;
    let before = all_rows(&db).await;
    assert_eq!(
        &before[..1],
        ["user: 7 rows"],
        "the fixture holds 7 users, 9 keys and 8 sessions"
    );
    assert!(ours(&indexes(&db).await).is_empty());

    Migrator::up(&db, None)
        .await
        .expect("Lucia's tables are adopted");

    assert_eq!(all_rows(&db).await, before, "every row is kept as it was");
    assert_eq!(ours(&indexes(&db).await), OUR_INDEXES);
    assert_eq!(
        applied_migrations(&db).await,
        ["m20261128_000001_create_auth_tables"]
    );
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    if db.get_database_backend() == DbBackend::MySql {
        assert_eq!(
            mysql_id_collations(&db).await,
            [
                "key.id utf8mb4_nopad_bin",
                "key.user_id utf8mb4_nopad_bin",
                "session.id utf8mb4_nopad_bin",
                "session.user_id utf8mb4_nopad_bin",
                "user.id utf8mb4_nopad_bin",
            ]
        );
    }
    // A second `up` has nothing to do.
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(all_rows(&db).await, before);
}

async fn down_after_an_adoption_keeps_the_tables_and_their_rows(db: DatabaseConnection) {
    let Some(dir) = fixtures_dir() else { return };
    lucia_js::load(&db, &dir).await;
    let before = all_rows(&db).await;
    let indexes_before = indexes(&db).await;
    Migrator::up(&db, None).await.unwrap();

    Migrator::down(&db, None)
        .await
        .expect("down after adoption");

    assert_eq!(all_rows(&db).await, before, "the tables and rows are kept");
    assert_eq!(
        indexes(&db).await,
        indexes_before,
        "the added indexes are gone"
    );
    assert!(applied_migrations(&db).await.is_empty());
    assert!(!has_table(&db, "lucia_sea_orm_adopted").await);

    // The kept tables can be adopted again.
    Migrator::up(&db, None).await.expect("adopted again");
    assert_eq!(all_rows(&db).await, before);
    assert_eq!(ours(&indexes(&db).await), OUR_INDEXES);
}

async fn down_after_a_create_drops_the_tables(db: DatabaseConnection) {
    Migrator::up(&db, None).await.unwrap();
    assert!(!has_table(&db, "lucia_sea_orm_adopted").await);
    Migrator::down(&db, None).await.unwrap();
    for table in ["user", "session", "key"] {
        assert!(!has_table(&db, table).await, "{table}");
    }
}

/// Lucia's schema with four differences: `session.id` of another type, a nullable
/// `session.idle_expires`, an older Lucia's `key.expires`, and no foreign key on `key.user_id`.
fn different_schema(backend: DbBackend) -> [&'static str; 3] {
    match backend {
        DbBackend::Postgres => [
            r#"CREATE TABLE "user" (id UUID DEFAULT gen_random_uuid() PRIMARY KEY)"#,
            r#"CREATE TABLE session (
                id VARCHAR(127) PRIMARY KEY,
                user_id UUID REFERENCES "user"(id) NOT NULL,
                active_expires BIGINT NOT NULL,
                idle_expires BIGINT
            )"#,
            r#"CREATE TABLE "key" (
                id TEXT PRIMARY KEY,
                user_id UUID NOT NULL,
                "primary" BOOLEAN NOT NULL,
                hashed_password TEXT,
                expires BIGINT
            )"#,
        ],
        DbBackend::MySql => [
            "CREATE TABLE user (id VARCHAR(36) NOT NULL, PRIMARY KEY (id))",
            "CREATE TABLE session (
                id VARCHAR(100) NOT NULL,
                user_id VARCHAR(36) NOT NULL,
                active_expires BIGINT UNSIGNED NOT NULL,
                idle_expires BIGINT UNSIGNED,
                PRIMARY KEY (id),
                FOREIGN KEY (user_id) REFERENCES user(id)
            )",
            "CREATE TABLE `key` (
                id VARCHAR(255) NOT NULL,
                user_id VARCHAR(36) NOT NULL,
                `primary` TINYINT UNSIGNED NOT NULL,
                hashed_password VARCHAR(255),
                expires BIGINT UNSIGNED,
                PRIMARY KEY (id)
            )",
        ],
        _ => [
            "CREATE TABLE user (id VARCHAR(36) NOT NULL, PRIMARY KEY (id))",
            "CREATE TABLE session (
                id TEXT NOT NULL,
                user_id VARCHAR(36) NOT NULL,
                active_expires BIGINT NOT NULL,
                idle_expires BIGINT,
                PRIMARY KEY (id),
                FOREIGN KEY (user_id) REFERENCES user(id)
            )",
            "CREATE TABLE key (
                id VARCHAR(255) NOT NULL,
                user_id VARCHAR(36) NOT NULL,
                hashed_password VARCHAR(255),
                \"primary\" INT2 NOT NULL,
                expires BIGINT,
                PRIMARY KEY (id)
            )",
        ],
    }
}

async fn migrate_up_on_other_tables_names_each_difference_and_changes_nothing(
    db: DatabaseConnection,
) {
    let backend = db.get_database_backend();
    for create in different_schema(backend) {
        db.execute_unprepared(create).await.unwrap();
    }
    let user_id = match backend {
        DbBackend::Postgres => "3cfd0e4c-b337-49a5-b3a7-fb426e3ed8bf",
        _ => "ZQksHKhfXRYRYZ5",
    };
    db.execute_unprepared(&format!(
        "INSERT INTO {} (id) VALUES ('{user_id}')",
        if backend == DbBackend::MySql {
            "`user`"
        } else {
            "\"user\""
        }
    ))
    .await
    .unwrap();
    let indexes_before = indexes(&db).await;
    let collations_before = if backend == DbBackend::MySql {
        mysql_id_collations(&db).await
    } else {
        Vec::new()
    };

    let err = Migrator::up(&db, None).await.unwrap_err().to_string();

    let session_id_type = match backend {
        DbBackend::Postgres => "session.id is character varying, expected text",
        DbBackend::MySql => "session.id is varchar(100), expected varchar(127)",
        _ => "session.id is text, expected varchar(127)",
    };
    for difference in [
        session_id_type,
        "session.idle_expires is nullable, expected NOT NULL",
        "key.expires is not in Lucia's schema",
        "key.user_id has no foreign key to user(id)",
    ] {
        assert!(err.contains(difference), "{difference:?} not in: {err}");
    }
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(err.matches("\n  - ").count(), 4, "exactly four: {err}");

    assert_eq!(indexes(&db).await, indexes_before);
    assert!(applied_migrations(&db).await.is_empty());
    assert!(!has_table(&db, "lucia_sea_orm_adopted").await);
    if backend == DbBackend::MySql {
        assert_eq!(mysql_id_collations(&db).await, collations_before);
    }
}

async fn migrate_up_with_only_some_of_the_tables_names_the_missing_ones(db: DatabaseConnection) {
    let create_user = match db.get_database_backend() {
        DbBackend::Postgres => r#"CREATE TABLE "user" (id UUID PRIMARY KEY)"#,
        _ => "CREATE TABLE user (id VARCHAR(36) NOT NULL, PRIMARY KEY (id))",
    };
    db.execute_unprepared(create_user).await.unwrap();
    let err = Migrator::up(&db, None).await.unwrap_err().to_string();
    assert!(err.contains("table session is missing"), "{err}");
    assert!(err.contains("table key is missing"), "{err}");
    assert!(!has_table(&db, "session").await);
    assert!(applied_migrations(&db).await.is_empty());
}

/// The fixture files are the ones the README describes, byte for byte.
#[test]
fn the_fixture_files_are_the_ones_their_readme_describes() {
    use sha2::{Digest, Sha256};
    let Some(dir) = fixtures_dir() else { return };
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        let name = lucia_js::fixture_name(backend);
        for file in [format!("schema-{name}.sql"), format!("{name}.sql")] {
            let bytes = std::fs::read(dir.join(&file)).unwrap();
            let digest = hex::encode(Sha256::digest(&bytes));
            let row = format!("| `{file}` | {} | `{digest}` |", bytes.len());
            assert!(readme.contains(&row), "{file}: {row} is not in the README");
        }
    }
}

on_every_database!(Schema::Empty =>
    migrate_up_adopts_lucias_tables_and_keeps_every_row,
    down_after_an_adoption_keeps_the_tables_and_their_rows,
    down_after_a_create_drops_the_tables,
    migrate_up_on_other_tables_names_each_difference_and_changes_nothing,
    migrate_up_with_only_some_of_the_tables_names_the_missing_ones,
);
