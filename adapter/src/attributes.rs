//! The application's columns of `user`, as a serde type: written field by field into the columns
//! of the same name, read back through SeaORM's JSON view of a row.

use lucia_sea_orm_auth::{Error, Result, UserRow};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::sqlx::{Column, Row as _};
use sea_orm::{FromQueryResult, JsonValue, QueryResult, Value};

use crate::error::database;
use crate::lenient::Lenient;
use serde::Serialize;
use serde::de::{DeserializeOwned, Error as _};
use serde_json::Map;

/// The column our `user` table has; an attribute of that name would overwrite it.
const ID: &str = "id";

/// `attributes` as `(column, value)` pairs.
pub(crate) fn to_columns<P: Serialize>(attributes: &P) -> Result<Vec<(Alias, Expr)>> {
    let fields = match serde_json::to_value(attributes).map_err(Error::Attributes)? {
        JsonValue::Object(fields) => fields,
        // `()` and unit structs: an application without columns of its own.
        JsonValue::Null => Map::new(),
        other => {
            return Err(Error::Attributes(serde_json::Error::custom(format!(
                "user attributes must serialize to a map of columns, not {other}"
            ))));
        }
    };
    fields
        .into_iter()
        .map(|(column, value)| {
            // MySQL and SQLite column names are case-insensitive: `ID` is the id column too.
            if column.eq_ignore_ascii_case(ID) {
                return Err(Error::Attributes(serde_json::Error::custom(
                    "user attributes cannot have a field named `id`: it is the user id column",
                )));
            }
            Ok((Alias::new(&column), to_expr(&column, value)?))
        })
        .collect()
}

fn to_expr(column: &str, value: JsonValue) -> Result<Expr> {
    Ok(match value {
        // A bare NULL, not a typed parameter: PostgreSQL rejects a NULL `text` for, say, an
        // `integer` column.
        JsonValue::Null => Expr::null(),
        JsonValue::Bool(b) => Expr::val(b),
        JsonValue::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Expr::val(i),
            // PostgreSQL and SQLite have no unsigned 64-bit integers (their drivers panic on
            // binding one), so such a value is refused everywhere, like other values that not
            // every database can store.
            (None, Some(u)) => {
                return Err(Error::Attributes(serde_json::Error::custom(format!(
                    "user.{column}: {u} is above the largest integer every database stores ({})",
                    i64::MAX
                ))));
            }
            _ => Expr::val(n.as_f64()),
        },
        JsonValue::String(s) => Expr::val(s),
        nested @ (JsonValue::Array(_) | JsonValue::Object(_)) => {
            Expr::val(Value::Json(Some(Box::new(nested))))
        }
    })
}

/// A user from a row's columns, as SeaORM's [`JsonValue`] view of them; `id` is the user id and
/// every other column an attribute.
pub(crate) fn from_row<A: DeserializeOwned>(row: JsonValue) -> Result<UserRow<A>> {
    let JsonValue::Object(mut columns) = row else {
        return Err(Error::Attributes(serde_json::Error::custom(
            "a row is not a map of columns",
        )));
    };
    let id = match columns.remove(ID) {
        Some(JsonValue::String(id)) => id,
        other => {
            return Err(Error::Attributes(serde_json::Error::custom(format!(
                "user.id is not a string: {other:?}"
            ))));
        }
    };
    Ok(UserRow {
        id,
        attributes: from_columns(columns)?,
    })
}

/// The attributes in a row that holds `ours` (other tables' columns, under aliases), `user.id`
/// and the application's columns of `user`.
pub(crate) fn from_joined_row<A: DeserializeOwned>(row: &QueryResult, ours: &[&str]) -> Result<A> {
    // SeaORM's JSON view of a row decodes each column by trying types in turn (four failed
    // decodes, each formatting an error, for PostgreSQL's UUID id): only the application's own
    // columns need it.
    if !has_attributes(row, ours) {
        return from_columns(Map::new());
    }
    let JsonValue::Object(mut columns) = JsonValue::from_query_result(row, "").map_err(database)?
    else {
        return Err(Error::Attributes(serde_json::Error::custom(
            "a row is not a map of columns",
        )));
    };
    for column in ours.iter().copied().chain([ID]) {
        columns.remove(column);
    }
    from_columns(columns)
}

/// Whether the row has a column that is neither `user.id` nor one of `ours`, read from the
/// driver's row where there is one: `QueryResult::column_names` allocates every name, on every
/// read.
fn has_attributes(row: &QueryResult, ours: &[&str]) -> bool {
    fn any_attribute<'a>(mut names: impl Iterator<Item = &'a str>, ours: &[&str]) -> bool {
        names.any(|name| name != ID && !ours.contains(&name))
    }
    if let Some(row) = row.try_as_pg_row() {
        any_attribute(row.columns().iter().map(Column::name), ours)
    } else if let Some(row) = row.try_as_mysql_row() {
        any_attribute(row.columns().iter().map(Column::name), ours)
    } else if let Some(row) = row.try_as_sqlite_row() {
        any_attribute(row.columns().iter().map(Column::name), ours)
    } else {
        any_attribute(row.column_names().iter().map(String::as_str), ours)
    }
}

fn from_columns<A: DeserializeOwned>(columns: Map<String, JsonValue>) -> Result<A> {
    // `()`, the common case of a `user` table without columns of its own, deserializes from null
    // only: trying null first there spares building and dropping a serde error on every read.
    if columns.is_empty()
        && let Ok(attributes) = serde_json::from_value(JsonValue::Null)
    {
        return Ok(attributes);
    }
    A::deserialize(Lenient(JsonValue::Object(columns))).or_else(|map_err| {
        // `()` (an application that reads none of the columns) deserializes from nothing, not
        // from a map; for any other type the map's error is the one that explains.
        serde_json::from_value(JsonValue::Null).map_err(|_| Error::Attributes(map_err))
    })
}
