//! The codec: serde values to bytes and back, behind a one-byte format version.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{WireError, WireErrorKind};

/// The version byte that starts every encoded value. Bump it when the encoding changes.
pub(crate) const FORMAT_VERSION: u8 = 1;

thread_local! {
    /// The message of the last custom serde error raised in this thread: postcard keeps
    /// only "Serde Serialization Error", so impls that fail note why here.
    static CUSTOM_ERROR: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Called by a hand-written `Serialize`/`Deserialize` impl just before it returns a custom
/// error, so that [`encode`]/[`decode`] can report why.
pub(crate) fn note_custom_error(detail: impl std::fmt::Display) {
    CUSTOM_ERROR.with(|c| *c.borrow_mut() = Some(detail.to_string()));
}

fn with_custom_detail(message: String) -> String {
    match CUSTOM_ERROR.with(|c| c.borrow_mut().take()) {
        Some(detail) => format!("{message}: {detail}"),
        None => message,
    }
}

/// Encodes `value` as the version byte followed by its postcard encoding.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, WireError> {
    CUSTOM_ERROR.with(|c| c.borrow_mut().take());
    let out = vec![FORMAT_VERSION];
    postcard::to_extend(value, out)
        .map_err(|e| WireError::new(WireErrorKind::Encode, with_custom_detail(e.to_string())))
}

/// Appends the encoding of `value` (the version byte, then postcard) to `out`, without
/// allocating when `out` has room: a sender that reuses one buffer pays no allocation per
/// message. On error `out` is truncated back to what it held before.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn encode_into<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), WireError> {
    CUSTOM_ERROR.with(|c| c.borrow_mut().take());
    let start = out.len();
    out.push(FORMAT_VERSION);
    postcard::serialize_with_flavor(value, AppendTo(&mut *out)).map_err(|e| {
        out.truncate(start);
        WireError::new(WireErrorKind::Encode, with_custom_detail(e.to_string()))
    })
}

/// Forgets the detail a custom serde error noted: done once at the start of a sequence
/// ([`begin_raw`], [`check_version`]) rather than for each of its elements, and after an
/// element that failed.
pub(crate) fn clear_custom_error() {
    CUSTOM_ERROR.with(|c| c.borrow_mut().take());
}

/// Starts a sequence of [`encode_raw_into`] elements in `out`: the version byte.
pub(crate) fn begin_raw(out: &mut Vec<u8>) {
    clear_custom_error();
    out.push(FORMAT_VERSION);
}

/// Appends the postcard encoding of `value` to `out`, without the version byte: one
/// element of a sequence whose version byte was written once, before its first element
/// ([`begin_raw`]: a pool chunk's argument tuples, or its outcomes). On error `out` is
/// truncated back. The elements of a sequence share one reset of the custom error's
/// detail, at its start: an element costs no thread-local access.
pub(crate) fn encode_raw_into<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), WireError> {
    let start = out.len();
    postcard::serialize_with_flavor(value, AppendTo(&mut *out)).map_err(|e| {
        out.truncate(start);
        WireError::new(WireErrorKind::Encode, with_custom_detail(e.to_string()))
    })
}

/// Decodes one element written by [`encode_raw_into`] from the front of `bytes`; the
/// value and the bytes after it. As for [`encode_raw_into`], the custom error's detail is
/// reset once per sequence, by [`check_version`].
#[inline]
pub(crate) fn take_raw<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, &[u8]), WireError> {
    postcard::take_from_bytes(bytes).map_err(|e| {
        WireError::decode(with_custom_detail(format!(
            "{e} (expected {})",
            std::any::type_name::<T>()
        )))
    })
}

/// Checks the version byte that starts a sequence of [`encode_raw_into`] elements;
/// the elements.
pub(crate) fn check_version(bytes: &[u8]) -> Result<&[u8], WireError> {
    clear_custom_error();
    match bytes.split_first() {
        None => Err(WireError::decode("empty message")),
        Some((&FORMAT_VERSION, body)) => Ok(body),
        Some((&version, _)) => Err(WireError::new(
            WireErrorKind::Version,
            format!("got version {version}, this build speaks {FORMAT_VERSION}"),
        )),
    }
}

/// A postcard output that appends to a borrowed `Vec` (postcard's own `StdVec` owns its
/// vector, which a reused buffer cannot give away).
struct AppendTo<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for AppendTo<'_> {
    type Output = ();

    #[inline]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        // A varint or a small field is copied inline, which is cheaper than a call to
        // `memcpy` (some 15 instructions an item of a chunk of integers, each way).
        match *data {
            [a] => self.0.push(a),
            [a, b] => self.0.extend_from_slice(&[a, b]),
            [a, b, c] => self.0.extend_from_slice(&[a, b, c]),
            [a, b, c, d] => self.0.extend_from_slice(&[a, b, c, d]),
            _ => self.0.extend_from_slice(data),
        }
        Ok(())
    }

    #[inline]
    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Decodes bytes written by [`encode`]. Trailing bytes are an error: a message is exactly
/// one value.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    let Some((&version, body)) = bytes.split_first() else {
        return Err(WireError::decode("empty message"));
    };
    if version != FORMAT_VERSION {
        return Err(WireError::new(
            WireErrorKind::Version,
            format!("got version {version}, this build speaks {FORMAT_VERSION}"),
        ));
    }
    CUSTOM_ERROR.with(|c| c.borrow_mut().take());
    let (value, rest) = postcard::take_from_bytes(body).map_err(|e| {
        WireError::decode(with_custom_detail(format!(
            "{e} (expected {})",
            std::any::type_name::<T>()
        )))
    })?;
    if !rest.is_empty() {
        return Err(WireError::decode(format!(
            "{} bytes left over after a {}",
            rest.len(),
            std::any::type_name::<T>()
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_type_errors() {
        let bytes = encode(&(42u32, None::<u8>, "hello".to_owned())).unwrap();
        assert_eq!(bytes[0], FORMAT_VERSION);
        let back: (u32, Option<u8>, String) = decode(&bytes).unwrap();
        assert_eq!(back, (42, None, "hello".to_owned()));

        let err = decode::<(u32, Option<u8>, String, u64)>(&bytes).unwrap_err();
        assert_eq!(err.kind(), WireErrorKind::Decode);
        let err = decode::<u8>(&bytes).unwrap_err();
        assert_eq!(err.kind(), WireErrorKind::Decode);
        assert!(err.to_string().contains("left over"), "{err}");
    }

    #[test]
    fn encode_into_appends_and_reuses_the_buffer() {
        let mut out = Vec::with_capacity(64);
        encode_into(&(1u8, "ab"), &mut out).unwrap();
        assert_eq!(out, encode(&(1u8, "ab")).unwrap());
        let ptr = out.as_ptr();
        out.clear();
        encode_into(&300u32, &mut out).unwrap();
        assert_eq!(out.as_ptr(), ptr, "no new allocation when there is room");
        assert_eq!(decode::<u32>(&out).unwrap(), 300);
    }

    #[test]
    fn raw_sequences_round_trip() {
        let mut out = vec![FORMAT_VERSION];
        encode_raw_into(&(1u64,), &mut out).unwrap();
        encode_raw_into(&("ab", 300u32), &mut out).unwrap();
        let body = check_version(&out).unwrap();
        let ((a,), rest) = take_raw::<(u64,)>(body).unwrap();
        let ((b, c), rest) = take_raw::<(String, u32)>(rest).unwrap();
        assert_eq!((a, b.as_str(), c, rest.len()), (1, "ab", 300, 0));
        assert_eq!(
            take_raw::<u64>(&[]).unwrap_err().kind(),
            WireErrorKind::Decode
        );
        assert_eq!(
            check_version(&[FORMAT_VERSION + 1]).unwrap_err().kind(),
            WireErrorKind::Version
        );
        assert_eq!(
            check_version(&[]).unwrap_err().kind(),
            WireErrorKind::Decode
        );
    }

    #[test]
    fn version_and_empty_input() {
        let mut bytes = encode(&7u8).unwrap();
        bytes[0] = FORMAT_VERSION + 1;
        assert_eq!(
            decode::<u8>(&bytes).unwrap_err().kind(),
            WireErrorKind::Version
        );
        assert_eq!(decode::<u8>(&[]).unwrap_err().kind(), WireErrorKind::Decode);
    }
}
