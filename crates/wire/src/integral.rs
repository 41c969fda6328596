//! Integer fields that also accept a JSON number written with a zero fraction (`3.0`): JSON
//! Schema calls that an integer, and so do clients generated from the OpenAPI document.

use serde::de::{Deserializer, Error, Visitor};
use std::fmt;
use std::marker::PhantomData;

struct Integral<T>(PhantomData<T>);

impl<T: TryFrom<i64> + TryFrom<u64>> Visitor<'_> for Integral<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "an integer in range")
    }

    fn visit_i64<E: Error>(self, value: i64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::custom(format!("{value} is out of range")))
    }

    fn visit_u64<E: Error>(self, value: u64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::custom(format!("{value} is out of range")))
    }

    /// Query strings carry numbers as text.
    fn visit_str<E: Error>(self, text: &str) -> Result<T, E> {
        match text.parse::<i64>() {
            Ok(value) => self.visit_i64(value),
            Err(_) => text
                .parse::<f64>()
                .map_err(|_| E::custom(format!("`{text}` is not an integer")))
                .and_then(|value| self.visit_f64(value)),
        }
    }

    fn visit_f64<E: Error>(self, value: f64) -> Result<T, E> {
        // Exactly representable whole numbers only; `i64::MAX as f64` rounds up, so stay below it.
        if value.fract() != 0.0 || !(-9.2e18..9.2e18).contains(&value) {
            return Err(E::custom(format!("{value} is not an integer")));
        }
        #[allow(clippy::cast_possible_truncation)]
        self.visit_i64(value as i64)
    }
}

/// `#[serde(deserialize_with = "integral::required")]`
pub fn required<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_any(Integral(PhantomData))
}

/// `#[serde(default, deserialize_with = "integral::optional")]`
pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    struct Maybe<T>(PhantomData<T>);
    impl<'de, T: TryFrom<i64> + TryFrom<u64>> Visitor<'de> for Maybe<T> {
        type Value = Option<T>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(formatter, "an integer or null")
        }

        fn visit_none<E: Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_unit<E: Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_str<E: Error>(self, text: &str) -> Result<Option<T>, E> {
            Integral(PhantomData).visit_str(text).map(Some)
        }

        fn visit_i64<E: Error>(self, value: i64) -> Result<Option<T>, E> {
            Integral(PhantomData).visit_i64(value).map(Some)
        }

        fn visit_u64<E: Error>(self, value: u64) -> Result<Option<T>, E> {
            Integral(PhantomData).visit_u64(value).map(Some)
        }

        fn visit_f64<E: Error>(self, value: f64) -> Result<Option<T>, E> {
            Integral(PhantomData).visit_f64(value).map(Some)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
            required(deserializer).map(Some)
        }
    }
    // `deserialize_any`, not `deserialize_option`: query strings have no `null`, only text.
    deserializer.deserialize_any(Maybe(PhantomData))
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "super::required")]
        small: u8,
        #[serde(default, deserialize_with = "super::optional")]
        big: Option<i64>,
    }

    #[test]
    fn whole_numbers_are_integers_however_written() {
        let sample: Sample = serde_json::from_str(r#"{"small": 4.0, "big": -3}"#).unwrap();
        assert_eq!((sample.small, sample.big), (4, Some(-3)));
        let sample: Sample = serde_json::from_str(r#"{"small": 4, "big": null}"#).unwrap();
        assert_eq!((sample.small, sample.big), (4, None));
        assert!(serde_json::from_str::<Sample>(r#"{"small": 4.5}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"small": 256}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"small": 1e300}"#).is_err());
    }
}
