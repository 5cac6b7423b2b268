use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable, Value};

/// Milliseconds since the Unix epoch, as stored in `session.active_expires` and
/// `session.idle_expires`.
///
/// It exists because MySQL's columns are `BIGINT UNSIGNED` and sqlx decodes those only as `u64`,
/// while PostgreSQL and SQLite have no unsigned integers: `Millis` decodes from both and is
/// written as a signed `BIGINT`, which MySQL converts on store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub i64);

impl From<i64> for Millis {
    fn from(millis: i64) -> Self {
        Self(millis)
    }
}

impl From<Millis> for i64 {
    fn from(millis: Millis) -> Self {
        millis.0
    }
}

impl From<Millis> for Value {
    fn from(millis: Millis) -> Self {
        Value::BigInt(Some(millis.0))
    }
}

impl TryGetable for Millis {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        // MySQL's columns are unsigned: decoding them as `i64` first would fail on every read,
        // and sqlx formats a type-mismatch message for each failure.
        if res.try_as_mysql_row().is_some()
            && let Ok(unsigned) = u64::try_get_by(res, index)
        {
            return from_unsigned(unsigned, index);
        }
        match i64::try_get_by(res, index) {
            Ok(signed) => Ok(Self(signed)),
            Err(signed_err @ TryGetError::Null(_)) => Err(signed_err),
            Err(signed_err) => {
                let Ok(unsigned) = u64::try_get_by(res, index) else {
                    return Err(signed_err);
                };
                from_unsigned(unsigned, index)
            }
        }
    }
}

fn from_unsigned<I: ColIdx>(unsigned: u64, index: I) -> Result<Millis, TryGetError> {
    <i64 as TryFrom<u64>>::try_from(unsigned)
        .map(Millis)
        .map_err(|_| {
            TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                "{unsigned} in column {index:?} is beyond i64 milliseconds"
            )))
        })
}

impl ValueType for Millis {
    fn try_from(value: Value) -> Result<Self, ValueTypeErr> {
        <i64 as ValueType>::try_from(value).map(Self)
    }

    fn type_name() -> String {
        "Millis".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::BigInt
    }

    fn column_type() -> ColumnType {
        ColumnType::BigInteger
    }
}

impl Nullable for Millis {
    fn null() -> Value {
        Value::BigInt(None)
    }
}
