//! Reads JSON the browser parsed (a `JsValue`) into the `wire` crate's types through their serde
//! derives: the contract with the service lives in `wire` alone, so a renamed field fails to
//! compile on both sides or neither.
//!
//! Why not `serde-wasm-bindgen` or `serde_json`: both give errors a message, and formatting serde's
//! messages (`invalid type: floating point `1.5`, expected a string`) compiles core's float and
//! string-escaping formatters into the wasm. Measured on the widget, `serde-wasm-bindgen` cost
//! 17.9 KB brotli and `serde_json` 26.8 KB; this adapter, whose error is only "malformed" (the
//! widget never shows why), costs a fraction of that. It reads what JSON can hold: null, booleans,
//! numbers (whole numbers up to 2^53 as integers), strings, arrays and objects.

use serde::de::value::StringDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Expected, IntoDeserializer, Unexpected, Visitor};
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// The value was not what the wire type promises. Carries no message on purpose (see above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl fmt::Display for Malformed {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("malformed")
    }
}

impl std::error::Error for Malformed {}

// Every constructor is overridden: serde's defaults format `Unexpected` and `Expected`.
impl de::Error for Malformed {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Malformed
    }
    fn invalid_type(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        Malformed
    }
    fn invalid_value(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        Malformed
    }
    fn invalid_length(_: usize, _: &dyn Expected) -> Self {
        Malformed
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Malformed
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Malformed
    }
    fn missing_field(_: &'static str) -> Self {
        Malformed
    }
    fn duplicate_field(_: &'static str) -> Self {
        Malformed
    }
}

/// `value` read as `T`.
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, Malformed> {
    T::deserialize(Value(value))
}

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// One JS value as a serde deserializer.
struct Value(JsValue);

impl<'de> de::Deserializer<'de> for Value {
    type Error = Malformed;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        let value = self.0;
        if value.is_null() || value.is_undefined() {
            visitor.visit_unit()
        } else if let Some(text) = value.as_string() {
            visitor.visit_string(text)
        } else if let Some(flag) = value.as_bool() {
            visitor.visit_bool(flag)
        } else if let Some(number) = value.as_f64() {
            if number.fract() == 0.0 && number.abs() <= SAFE_INTEGER {
                visitor.visit_i64(number as i64)
            } else {
                visitor.visit_f64(number)
            }
        } else if let Some(items) = value.dyn_ref::<js_sys::Array>() {
            visitor.visit_seq(Items { items: items.clone(), next: 0 })
        } else if value.is_object() {
            let keys = js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>());
            visitor.visit_map(Fields { object: value, keys, next: 0, value: JsValue::UNDEFINED })
        } else {
            Err(Malformed)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        if self.0.is_null() || self.0.is_undefined() { visitor.visit_none() } else { visitor.visit_some(self) }
    }

    /// Enums cross the wire as their variants' names (`"apply"`).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Malformed> {
        let name = self.0.as_string().ok_or(Malformed)?;
        visitor.visit_enum(IntoDeserializer::<Malformed>::into_deserializer(name))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Malformed> {
        visitor.visit_newtype_struct(self)
    }

    // What a wire type asks for is read directly, so each of its visitors is compiled with the
    // one branch it can take rather than all of `deserialize_any`'s.

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Malformed> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        let value = self.0;
        if !value.is_object() || js_sys::Array::is_array(&value) {
            return Err(Malformed);
        }
        let keys = js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>());
        visitor.visit_map(Fields { object: value, keys, next: 0, value: JsValue::UNDEFINED })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        let items = self.0.dyn_into::<js_sys::Array>().map_err(|_| Malformed)?;
        visitor.visit_seq(Items { items, next: 0 })
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        visitor.visit_string(self.0.as_string().ok_or(Malformed)?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        visitor.visit_bool(self.0.as_bool().ok_or(Malformed)?)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        let number = self.0.as_f64().ok_or(Malformed)?;
        if number.fract() != 0.0 || number.abs() > SAFE_INTEGER {
            return Err(Malformed);
        }
        visitor.visit_i64(number as i64)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        visitor.visit_f64(self.0.as_f64().ok_or(Malformed)?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        self.deserialize_f64(visitor)
    }

    /// A field the wire type does not know (a newer service's) is skipped unread.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Malformed> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u64 u128 char bytes byte_buf unit unit_struct tuple tuple_struct
        identifier
    }
}

/// An array's items, in order.
struct Items {
    items: js_sys::Array,
    next: u32,
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = Malformed;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Malformed> {
        if self.next >= self.items.length() {
            return Ok(None);
        }
        let item = self.items.get(self.next);
        self.next += 1;
        seed.deserialize(Value(item)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.length().saturating_sub(self.next) as usize)
    }
}

/// An object's own enumerable fields, in order.
struct Fields {
    object: JsValue,
    keys: js_sys::Array,
    next: u32,
    /// The value of the field whose name was read last.
    value: JsValue,
}

impl<'de> de::MapAccess<'de> for Fields {
    type Error = Malformed;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Malformed> {
        if self.next >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.next);
        self.next += 1;
        self.value = js_sys::Reflect::get(&self.object, &key).map_err(|_| Malformed)?;
        let name: StringDeserializer<Malformed> = key.as_string().ok_or(Malformed)?.into_deserializer();
        seed.deserialize(name).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Malformed> {
        seed.deserialize(Value(std::mem::take(&mut self.value)))
    }
}
