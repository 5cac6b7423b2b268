//! What the database already holds under the names `user`, `session` and `key`, read from each
//! database's catalog into one shape, so that adoption can compare it with Lucia's schema.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};

/// The three tables, in the order they are created (a child after the user it references).
pub(crate) const TABLES: [&str; 3] = ["user", "session", "key"];

/// An existing table as the catalog describes it.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Column name → column.
    pub(crate) columns: BTreeMap<String, Column>,
    /// The primary key's columns, in key order.
    pub(crate) primary_key: Vec<String>,
    /// The table's foreign keys (one row per column).
    pub(crate) foreign_keys: Vec<ForeignKey>,
    /// The names of the table's indexes.
    pub(crate) indexes: BTreeSet<String>,
}

/// A column as the catalog describes it.
#[derive(Debug)]
pub(crate) struct Column {
    /// The type, lower-case, in the database's own words: `uuid`, `varchar(36)`,
    /// `bigint unsigned` (MySQL without display widths), `varchar(127)` (SQLite's declared type).
    pub(crate) kind: String,
    /// Whether it accepts NULL.
    pub(crate) nullable: bool,
    /// MySQL: its collation, if it is a string column.
    pub(crate) collation: Option<String>,
}

/// One column of a foreign key.
#[derive(Debug)]
pub(crate) struct ForeignKey {
    /// The constraint's name (SQLite's are unnamed: empty).
    pub(crate) name: String,
    /// The referencing column.
    pub(crate) column: String,
    /// The referenced table.
    pub(crate) references_table: String,
    /// The referenced column.
    pub(crate) references_column: String,
}

/// The tables among [`TABLES`] that exist, by name.
pub(crate) async fn inspect<C: ConnectionTrait>(
    db: &C,
) -> Result<BTreeMap<&'static str, Table>, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => inspect_postgres(db).await,
        DbBackend::MySql => inspect_mysql(db).await,
        _ => inspect_sqlite(db).await,
    }
}

async fn query<C: ConnectionTrait>(db: &C, sql: &str) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
}

fn text(row: &QueryResult, column: &str) -> Result<String, DbErr> {
    row.try_get::<String>("", column)
}

/// `('user', 'session', 'key')`, for the catalog queries.
fn table_list() -> String {
    let names: Vec<String> = TABLES.iter().map(|t| format!("'{t}'")).collect();
    format!("({})", names.join(", "))
}

/// Registers `table`'s row of a catalog query, if `table` is one of ours.
fn table_of<'t>(
    tables: &'t mut BTreeMap<&'static str, Table>,
    name: &str,
) -> Option<&'t mut Table> {
    let name = TABLES.into_iter().find(|t| *t == name)?;
    Some(tables.entry(name).or_default())
}

async fn inspect_postgres<C: ConnectionTrait>(
    db: &C,
) -> Result<BTreeMap<&'static str, Table>, DbErr> {
    let mut tables = BTreeMap::new();
    let columns = format!(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                data_type::text AS data_type, is_nullable::text AS is_nullable \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name IN {}",
        table_list()
    );
    for row in query(db, &columns).await? {
        if let Some(table) = table_of(&mut tables, &text(&row, "table_name")?) {
            table.columns.insert(
                text(&row, "column_name")?,
                Column {
                    kind: text(&row, "data_type")?.to_lowercase(),
                    nullable: text(&row, "is_nullable")? == "YES",
                    collation: None,
                },
            );
        }
    }
    // pg_catalog rather than information_schema: the latter shows constraints only to their
    // owner, and names foreign keys' referenced columns only through a second view.
    let constraints = format!(
        "SELECT c.contype::text AS kind, c.conname::text AS name, t.relname::text AS table_name, \
                a.attname::text AS column_name, \
                COALESCE(r.relname::text, '') AS references_table, \
                COALESCE(ra.attname::text, '') AS references_column, \
                array_position(c.conkey, a.attnum) AS position \
         FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
         LEFT JOIN pg_class r ON r.oid = c.confrelid \
         LEFT JOIN pg_attribute ra ON ra.attrelid = c.confrelid \
              AND ra.attnum = c.confkey[array_position(c.conkey, a.attnum)] \
         WHERE n.nspname = current_schema() AND c.contype IN ('p', 'f') \
           AND t.relname IN {} \
         ORDER BY t.relname, c.conname, position",
        table_list()
    );
    for row in query(db, &constraints).await? {
        if let Some(table) = table_of(&mut tables, &text(&row, "table_name")?) {
            let column = text(&row, "column_name")?;
            if text(&row, "kind")? == "p" {
                table.primary_key.push(column);
            } else {
                table.foreign_keys.push(ForeignKey {
                    name: text(&row, "name")?,
                    column,
                    references_table: text(&row, "references_table")?,
                    references_column: text(&row, "references_column")?,
                });
            }
        }
    }
    let indexes = format!(
        "SELECT tablename::text AS table_name, indexname::text AS index_name FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename IN {}",
        table_list()
    );
    for row in query(db, &indexes).await? {
        if let Some(table) = table_of(&mut tables, &text(&row, "table_name")?) {
            table.indexes.insert(text(&row, "index_name")?);
        }
    }
    Ok(tables)
}

async fn inspect_mysql<C: ConnectionTrait>(db: &C) -> Result<BTreeMap<&'static str, Table>, DbErr> {
    let mut tables = BTreeMap::new();
    let columns = format!(
        "SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, DATA_TYPE AS data_type, \
                COLUMN_TYPE AS column_type, IS_NULLABLE AS is_nullable, \
                COLLATION_NAME AS collation_name \
         FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN {}",
        table_list()
    );
    for row in query(db, &columns).await? {
        if let Some(table) = table_of(&mut tables, &text(&row, "table_name")?) {
            let data_type = text(&row, "data_type")?.to_lowercase();
            let column_type = text(&row, "column_type")?.to_lowercase();
            // MariaDB and MySQL 5.7 write display widths (`bigint(20) unsigned`), MySQL 8 does
            // not: an integer's type is its name and whether it is unsigned.
            let kind = if data_type.ends_with("int") {
                if column_type.contains("unsigned") {
                    format!("{data_type} unsigned")
                } else {
                    data_type
                }
            } else {
                column_type
            };
            table.columns.insert(
                text(&row, "column_name")?,
                Column {
                    kind,
                    nullable: text(&row, "is_nullable")? == "YES",
                    collation: row.try_get::<Option<String>>("", "collation_name")?,
                },
            );
        }
    }
    let keys = format!(
        "SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, COLUMN_NAME AS column_name, \
                COALESCE(REFERENCED_TABLE_NAME, '') AS references_table, \
                COALESCE(REFERENCED_COLUMN_NAME, '') AS references_column \
         FROM information_schema.KEY_COLUMN_USAGE \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN {} \
           AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_NAME IS NOT NULL) \
         ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
        table_list()
    );
    for row in query(db, &keys).await? {
        if let Some(table) = table_of(&mut tables, &text(&row, "table_name")?) {
            let name = text(&row, "name")?;
            let column = text(&row, "column_name")?;
            if name == "PRIMARY" {
                table.primary_key.push(column);
            } else {
                table.foreign_keys.push(ForeignKey {
                    name,
                    column,
                    references_table: text(&row, "references_table")?,
                    references_column: text(&row, "references_column")?,
                });
            }
        }
    }
    let indexes = format!(
        "SELECT DISTINCT TABLE_NAME AS table_name, INDEX_NAME AS index_name \
         FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN {}",
        table_list()
    );
    for row in query(db, &indexes).await? {
        if let Some(table) = table_of(&mut tables, &text(&row, "table_name")?) {
            table.indexes.insert(text(&row, "index_name")?);
        }
    }
    Ok(tables)
}

async fn inspect_sqlite<C: ConnectionTrait>(
    db: &C,
) -> Result<BTreeMap<&'static str, Table>, DbErr> {
    let mut tables = BTreeMap::new();
    let existing = format!(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN {}",
        table_list()
    );
    for row in query(db, &existing).await? {
        let name = text(&row, "name")?;
        let Some(name) = TABLES.into_iter().find(|t| *t == name) else {
            continue;
        };
        let mut table = Table::default();
        let columns = format!(
            "SELECT name, type, \"notnull\" AS not_null, pk FROM pragma_table_info('{name}') \
             ORDER BY pk"
        );
        for column in query(db, &columns).await? {
            let column_name = text(&column, "name")?;
            let not_null: i64 = column.try_get("", "not_null")?;
            if column.try_get::<i64>("", "pk")? > 0 {
                table.primary_key.push(column_name.clone());
            }
            table.columns.insert(
                column_name,
                Column {
                    kind: text(&column, "type")?.to_lowercase(),
                    nullable: not_null == 0,
                    collation: None,
                },
            );
        }
        let foreign_keys = format!(
            "SELECT \"from\" AS column_name, \"table\" AS references_table, \
                    \"to\" AS references_column \
             FROM pragma_foreign_key_list('{name}')"
        );
        for key in query(db, &foreign_keys).await? {
            table.foreign_keys.push(ForeignKey {
                name: String::new(),
                column: text(&key, "column_name")?,
                references_table: text(&key, "references_table")?,
                // `REFERENCES user` without a column means its primary key.
                references_column: key
                    .try_get::<Option<String>>("", "references_column")?
                    .unwrap_or_else(|| "id".to_owned()),
            });
        }
        let indexes = format!("SELECT name FROM pragma_index_list('{name}')");
        for index in query(db, &indexes).await? {
            table.indexes.insert(text(&index, "name")?);
        }
        tables.insert(name, table);
    }
    Ok(tables)
}
