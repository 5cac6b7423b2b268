//! Adopting the tables of a database that Lucia (JavaScript) already uses: check that they are
//! the schema Lucia's adapter documents for that database, then add what this project adds,
//! keeping every row.

use std::collections::BTreeMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::existing::{self, TABLES};

/// The table that records an adoption, so that `down` knows the auth tables were there before
/// the migration and keeps them.
pub(crate) const MARKER_TABLE: &str = "lucia_sea_orm_adopted";

/// One column of Lucia's documented schema.
struct Expected {
    table: &'static str,
    column: &'static str,
    /// The types the documentation gives it (lower-case, as [`existing::Column::kind`]).
    kinds: &'static [&'static str],
    nullable: bool,
}

const fn column(
    table: &'static str,
    column: &'static str,
    kinds: &'static [&'static str],
    nullable: bool,
) -> Expected {
    Expected {
        table,
        column,
        kinds,
        nullable,
    }
}

const POSTGRES: [Expected; 9] = [
    column("user", "id", &["uuid"], false),
    column("session", "id", &["text"], false),
    column("session", "user_id", &["uuid"], false),
    column("session", "active_expires", &["bigint"], false),
    column("session", "idle_expires", &["bigint"], false),
    column("key", "id", &["text"], false),
    column("key", "user_id", &["uuid"], false),
    column("key", "primary", &["boolean"], false),
    column("key", "hashed_password", &["text"], true),
];

const MYSQL: [Expected; 9] = [
    column("user", "id", &["varchar(36)"], false),
    column("session", "id", &["varchar(127)"], false),
    column("session", "user_id", &["varchar(36)"], false),
    column("session", "active_expires", &["bigint unsigned"], false),
    column("session", "idle_expires", &["bigint unsigned"], false),
    column("key", "id", &["varchar(255)"], false),
    column("key", "user_id", &["varchar(36)"], false),
    column("key", "primary", &["tinyint unsigned"], false),
    column("key", "hashed_password", &["varchar(255)"], true),
];

// Lucia's SQLite page declares `user.id` as VARCHAR(36) in its table and VARCHAR(31) in its SQL;
// SQLite enforces neither, so both are the documented schema.
const SQLITE: [Expected; 9] = [
    column("user", "id", &["varchar(36)", "varchar(31)"], false),
    column("session", "id", &["varchar(127)"], false),
    column("session", "user_id", &["varchar(36)"], false),
    column("session", "active_expires", &["bigint"], false),
    column("session", "idle_expires", &["bigint"], false),
    column("key", "id", &["varchar(255)"], false),
    column("key", "user_id", &["varchar(36)"], false),
    column("key", "primary", &["int2"], false),
    column("key", "hashed_password", &["varchar(255)"], true),
];

fn expected(backend: DbBackend) -> &'static [Expected] {
    match backend {
        DbBackend::Postgres => &POSTGRES,
        DbBackend::MySql => &MYSQL,
        _ => &SQLITE,
    }
}

/// Every way `tables` differ from Lucia's documented schema on `backend`, one sentence each;
/// empty when they are that schema (with any columns an application added to `user`).
pub(crate) fn differences(
    backend: DbBackend,
    tables: &BTreeMap<&str, existing::Table>,
) -> Vec<String> {
    let mut differences = Vec::new();
    for name in TABLES {
        let Some(table) = tables.get(name) else {
            differences.push(format!("table {name} is missing"));
            continue;
        };
        let expected: Vec<&Expected> = expected(backend)
            .iter()
            .filter(|e| e.table == name)
            .collect();
        for e in &expected {
            let Some(found) = table.columns.get(e.column) else {
                differences.push(format!("{name}.{} is missing", e.column));
                continue;
            };
            if !e.kinds.contains(&found.kind.as_str()) {
                differences.push(format!(
                    "{name}.{} is {}, expected {}",
                    e.column,
                    found.kind,
                    e.kinds.join(" or ")
                ));
            }
            if found.nullable != e.nullable {
                let (is, expected) = if found.nullable {
                    ("nullable", "NOT NULL")
                } else {
                    ("NOT NULL", "nullable")
                };
                differences.push(format!("{name}.{} is {is}, expected {expected}", e.column));
            }
        }
        // `user` holds the application's own columns; the other two are Lucia's alone, and a
        // column we would not write (an older Lucia's `key.expires`) would change what a row
        // means.
        if name != "user" {
            for extra in table
                .columns
                .keys()
                .filter(|c| !expected.iter().any(|e| e.column == c.as_str()))
            {
                differences.push(format!("{name}.{extra} is not in Lucia's schema"));
            }
        }
        if table.primary_key != ["id"] {
            differences.push(format!(
                "{name}'s primary key is ({}), expected (id)",
                table.primary_key.join(", ")
            ));
        }
        if name != "user" {
            let references_user = table.foreign_keys.iter().any(|fk| {
                fk.column == "user_id"
                    && fk.references_table == "user"
                    && fk.references_column == "id"
            });
            if !references_user {
                differences.push(format!("{name}.user_id has no foreign key to user(id)"));
            }
        }
    }
    differences
}

/// The index names this project adds, with their table and column.
pub(crate) const INDEXES: [(&str, &str, &str); 3] = [
    ("idx_session_user_id", "session", "user_id"),
    ("idx_session_idle_expires", "session", "idle_expires"),
    ("idx_key_user_id", "key", "user_id"),
];

/// Adds to `tables` (already checked by [`differences`]) what the migration would have
/// created: the indexes, on MySQL the no-pad binary collation of the id columns, and the
/// marker of the adoption. Rows are not touched.
pub(crate) async fn adopt<C: ConnectionTrait>(
    db: &C,
    tables: &BTreeMap<&str, existing::Table>,
    id_collation: Option<&str>,
) -> Result<(), DbErr> {
    if let Some(collation) = id_collation {
        collate_ids(db, tables, collation).await?;
    }
    for (index, table, column) in INDEXES {
        if tables.get(table).is_some_and(|t| t.indexes.contains(index)) {
            continue;
        }
        let create = Index::create()
            .name(index)
            .table(Alias::new(table))
            .col(Alias::new(column))
            .to_owned();
        db.execute(&create).await?;
    }
    let marker = Table::create()
        .table(Alias::new(MARKER_TABLE))
        .if_not_exists()
        .col(
            ColumnDef::new(Alias::new("adopted_from"))
                .string_len(64)
                .not_null(),
        )
        .to_owned();
    db.execute(&marker).await?;
    let note = Query::insert()
        .into_table(Alias::new(MARKER_TABLE))
        .columns([Alias::new("adopted_from")])
        .values_panic(["lucia-auth 0.6 (@lucia-auth/adapter-kysely 0.5)".into()])
        .to_owned();
    db.execute(&note).await?;
    Ok(())
}

/// MySQL: gives the id columns `collation`, which compares byte for byte and without padding.
/// Lucia's tables use the database's default collation, usually case-insensitive, under which
/// a session id matches its other-case variants.
///
/// A column referenced by a foreign key cannot change collation under it, so the two foreign
/// keys are dropped first and added back (with this project's names) once both sides match;
/// the check that re-adding them makes holds, since no id changes.
async fn collate_ids<C: ConnectionTrait>(
    db: &C,
    tables: &BTreeMap<&str, existing::Table>,
    collation: &str,
) -> Result<(), DbErr> {
    let id_columns: [(&str, &[(&str, u32)]); 3] = [
        ("user", &[("id", 36)]),
        ("session", &[("id", 127), ("user_id", 36)]),
        ("key", &[("id", 255), ("user_id", 36)]),
    ];
    let collated = id_columns.iter().all(|(table, columns)| {
        columns.iter().all(|(column, _)| {
            tables
                .get(table)
                .and_then(|t| t.columns.get(*column))
                .is_some_and(|c| c.collation.as_deref() == Some(collation))
        })
    });
    if collated {
        return Ok(());
    }
    for child in ["session", "key"] {
        for fk in tables.get(child).map_or(&[][..], |t| &t.foreign_keys[..]) {
            db.execute_unprepared(&format!(
                "ALTER TABLE `{child}` DROP FOREIGN KEY `{}`",
                fk.name.replace('`', "``")
            ))
            .await?;
        }
    }
    for (table, columns) in id_columns {
        let modify: Vec<String> = columns
            .iter()
            .map(|(column, length)| {
                format!(
                    "MODIFY `{column}` VARCHAR({length}) CHARACTER SET utf8mb4 \
                     COLLATE {collation} NOT NULL"
                )
            })
            .collect();
        db.execute_unprepared(&format!("ALTER TABLE `{table}` {}", modify.join(", ")))
            .await?;
    }
    for child in ["session", "key"] {
        db.execute_unprepared(&format!(
            "ALTER TABLE `{child}` ADD CONSTRAINT fk_{child}_user_id \
             FOREIGN KEY (user_id) REFERENCES `user`(id)"
        ))
        .await?;
    }
    Ok(())
}

/// Whether the auth tables were adopted rather than created.
pub(crate) async fn was_adopted(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    manager.has_table(MARKER_TABLE).await
}

/// `down` after an adoption: removes what [`adopt`] added besides the collation (the indexes
/// and the marker) and keeps the tables and their rows.
pub(crate) async fn unadopt(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mysql = manager.get_database_backend() == DbBackend::MySql;
    for (index, table, column) in INDEXES {
        if !manager.has_index(table, index).await? {
            continue;
        }
        // InnoDB silently dropped the index it had made for the foreign key when ours
        // appeared, and the foreign key now needs ours: give it back its old name instead.
        if mysql && column == "user_id" && !manager.has_index(table, column).await? {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE `{table}` RENAME INDEX `{index}` TO `{column}`"
                ))
                .await?;
            continue;
        }
        manager
            .drop_index(
                Index::drop()
                    .name(index)
                    .table(Alias::new(table))
                    .to_owned(),
            )
            .await?;
    }
    manager
        .drop_table(Table::drop().table(Alias::new(MARKER_TABLE)).to_owned())
        .await
}
