//! Byte fields in serde: base64 text in human-readable formats (JSON, TOML),
//! raw bytes in binary ones (CBOR on the wire).
//!
//! Use as `#[serde(with = "crate::bytes")]` on a `Vec<u8>` or a `[u8; N]`.
//! Reading accepts both base64 text and the number arrays older versions
//! wrote, so stored JSON of earlier releases still loads.

use std::fmt;

use data_encoding::BASE64;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserializer, Serializer};

/// A byte field: a `Vec<u8>` or a fixed-size array.
pub trait Bytes: Sized {
    /// The bytes.
    fn as_slice(&self) -> &[u8];
    /// From bytes of the right length.
    fn from_vec(v: Vec<u8>) -> Option<Self>;
    /// What is expected, for error messages.
    fn expected() -> String;
}

impl Bytes for Vec<u8> {
    fn as_slice(&self) -> &[u8] {
        self
    }
    fn from_vec(v: Vec<u8>) -> Option<Self> {
        Some(v)
    }
    fn expected() -> String {
        "bytes (base64)".into()
    }
}

impl<const N: usize> Bytes for [u8; N] {
    fn as_slice(&self) -> &[u8] {
        self
    }
    fn from_vec(v: Vec<u8>) -> Option<Self> {
        v.try_into().ok()
    }
    fn expected() -> String {
        format!("{N} bytes (base64)")
    }
}

/// Serialises bytes: base64 text when the format is human-readable.
pub fn serialize<T: Bytes, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        s.serialize_str(&BASE64.encode(v.as_slice()))
    } else {
        s.serialize_bytes(v.as_slice())
    }
}

/// Deserialises bytes from base64 text, raw bytes or an array of numbers.
pub fn deserialize<'de, T: Bytes, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    let v = if d.is_human_readable() {
        d.deserialize_any(BytesVisitor)?
    } else {
        d.deserialize_bytes(BytesVisitor)?
    };
    let len = v.len();
    T::from_vec(v).ok_or_else(|| de::Error::invalid_length(len, &T::expected().as_str()))
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes, as base64 text or an array of numbers")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Vec<u8>, E> {
        BASE64
            .decode(s.as_bytes())
            .map_err(|e| E::custom(format!("bad base64: {e}")))
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Vec<u8>, E> {
        Ok(b.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, b: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(b)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Both {
        #[serde(with = "crate::bytes")]
        body: Vec<u8>,
        #[serde(with = "crate::bytes")]
        sig: [u8; 4],
    }

    #[test]
    fn json_holds_base64_and_reads_the_old_number_arrays() {
        let v = Both {
            body: b"{\"a\":1}".to_vec(),
            sig: [1, 2, 3, 255],
        };
        let json = serde_json::to_string(&v).expect("json");
        assert_eq!(json, r#"{"body":"eyJhIjoxfQ==","sig":"AQID/w=="}"#);
        assert_eq!(serde_json::from_str::<Both>(&json).expect("back"), v);
        let old = r#"{"body":[123,34,97,34,58,49,125],"sig":[1,2,3,255]}"#;
        assert_eq!(serde_json::from_str::<Both>(old).expect("old"), v);
    }

    #[test]
    fn a_wrong_length_or_bad_base64_is_an_error_not_a_panic() {
        let short = r#"{"body":"","sig":"AQID"}"#;
        assert!(serde_json::from_str::<Both>(short).is_err());
        let bad = r#"{"body":"%%%","sig":"AQID/w=="}"#;
        assert!(serde_json::from_str::<Both>(bad).is_err());
    }
}
