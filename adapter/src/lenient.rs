//! Reading a row's columns into the application's attribute type when a database hands a value
//! back in another shape than the one it was written in.
//!
//! Two shapes differ by database: MariaDB/MySQL have no boolean type (`BOOLEAN` is `TINYINT(1)`,
//! read back as `0`/`1`), and MariaDB's `JSON` and SQLite's JSON-in-`TEXT` columns are read back
//! as the JSON's text. [`Lenient`] is a serde deserializer over a row's JSON view that accepts
//! those shapes where the attribute type asks for a `bool`, or for a map, struct or sequence, and
//! is strict everywhere else.

use serde::de::value::StringDeserializer;
use serde::de::{DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Error, Map, Value};

/// A value of a row's JSON view, deserialized with the database's shapes in mind.
pub(crate) struct Lenient(pub(crate) Value);

impl<'de> Deserializer<'de> for Lenient {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(fields) => visitor.visit_map(Fields::new(fields)),
            Value::Array(items) => visitor.visit_seq(Items(items.into_iter())),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0.as_u64() {
            Some(0) => visitor.visit_bool(false),
            Some(1) => visitor.visit_bool(true),
            _ => self.0.deserialize_bool(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // A unit variant is stored as its name; one with data as a JSON object, which a JSON
        // column held as text gives back as that text.
        let value = match self.0 {
            Value::String(text) if text.trim_start().starts_with('{') => {
                Self(Value::String(text)).parsed_if_text().0
            }
            other => other,
        };
        value.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.parsed_if_text().deserialize_any(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.parsed_if_text().deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.parsed_if_text().deserialize_any(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.parsed_if_text().deserialize_any(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.parsed_if_text().deserialize_any(visitor)
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct identifier ignored_any
    }
}

impl Lenient {
    /// A JSON document stored as text, parsed, where the attribute type wants a structure; any
    /// other value as it is (and a text that is not JSON stays text, for serde to refuse).
    fn parsed_if_text(self) -> Self {
        match self.0 {
            Value::String(text) => match serde_json::from_str(&text) {
                Ok(document) => Self(document),
                Err(_) => Self(Value::String(text)),
            },
            other => Self(other),
        }
    }
}

struct Fields {
    fields: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl Fields {
    fn new(fields: Map<String, Value>) -> Self {
        Self {
            fields: fields.into_iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Fields {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key: StringDeserializer<Error> = key.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self.value.take().unwrap_or(Value::Null);
        seed.deserialize(Lenient(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

struct Items(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Items {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(Lenient(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::Lenient;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Settings {
        theme: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Attributes {
        verified: bool,
        maybe: Option<bool>,
        settings: Settings,
        tags: Vec<String>,
        name: String,
    }

    fn read(row: serde_json::Value) -> Result<Attributes, serde_json::Error> {
        Attributes::deserialize(Lenient(row))
    }

    #[test]
    fn integers_zero_and_one_read_as_booleans_and_json_text_as_structures() {
        let row = json!({
            "verified": 1, "maybe": 0, "settings": r#"{"theme":"dark"}"#,
            "tags": r#"["a","b"]"#, "name": "[not json"
        });
        assert_eq!(
            read(row).unwrap(),
            Attributes {
                verified: true,
                maybe: Some(false),
                settings: Settings {
                    theme: "dark".into()
                },
                tags: vec!["a".into(), "b".into()],
                name: "[not json".into(),
            }
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Role {
        Admin,
        Member { team: String },
    }

    #[test]
    fn enums_read_from_their_name_or_from_json_text() {
        let roles =
            Vec::<Role>::deserialize(Lenient(json!(["Admin", r#"{"Member":{"team":"x"}}"#])));
        assert_eq!(
            roles.unwrap(),
            [Role::Admin, Role::Member { team: "x".into() }]
        );
    }

    #[test]
    fn other_integers_are_not_booleans_and_text_is_not_parsed_for_strings() {
        let row = json!({
            "verified": 2, "maybe": null, "settings": {"theme": "x"}, "tags": [], "name": "1"
        });
        assert!(read(row).is_err());
        let row = json!({
            "verified": true, "maybe": null, "settings": {"theme": "x"}, "tags": [], "name": "{}"
        });
        assert_eq!(read(row).unwrap().name, "{}");
    }
}
