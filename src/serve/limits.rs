//! The limits of `gavel serve` and the bounded reads that enforce them: a
//! body is read up to its cap, and a gzip body is inflated through a reader
//! that stops one byte past the decompressed cap, so a gzip bomb costs at
//! most that cap before it is refused with 413.

use std::io::Read;
use std::time::Duration;

/// What one server accepts.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of a request body as sent (compressed or not).
    pub max_body: usize,
    /// Bytes of a body once inflated.
    pub max_decompressed: usize,
    /// Uploads read, parsed and stored at once; more wait their turn.
    pub max_uploads: usize,
    /// Time to receive a whole body once its headers are in.
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 8 << 20,
            max_decompressed: 64 << 20,
            max_uploads: 4,
            body_timeout: Duration::from_secs(60),
        }
    }
}

/// Why a body cannot be read as an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Past a size limit: 413.
    TooLarge(String),
    /// An encoding this server does not inflate: 415.
    Encoding(String),
    /// Not an upload (not gzip, not a JSON array of events): 400.
    Malformed(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            BodyError::TooLarge(s) | BodyError::Encoding(s) | BodyError::Malformed(s) => {
                f.write_str(s)
            }
        }
    }
}

/// How a body was sent, from its `Content-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
}

impl Encoding {
    /// `Content-Encoding` as OPA sends it (`gzip`) or none; anything else
    /// (a chain of encodings, `br`, `deflate`) is refused.
    pub fn from_header(value: Option<&str>) -> Result<Encoding, BodyError> {
        match value.map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(Encoding::Identity),
            Some(v) if v.is_empty() || v == "identity" => Ok(Encoding::Identity),
            Some(v) if v == "gzip" || v == "x-gzip" => Ok(Encoding::Gzip),
            Some(v) => Err(BodyError::Encoding(format!(
                "Content-Encoding {v:?} is not accepted: send gzip or no encoding"
            ))),
        }
    }
}

/// The body as the events' bytes: inflated when it is gzip, never past
/// `max_decompressed`.
pub fn decode(
    body: &[u8],
    encoding: Encoding,
    max_decompressed: usize,
) -> Result<Vec<u8>, BodyError> {
    match encoding {
        Encoding::Identity if body.len() > max_decompressed => Err(too_large(max_decompressed)),
        Encoding::Identity => Ok(body.to_vec()),
        Encoding::Gzip => gunzip(body, max_decompressed),
    }
}

/// Inflates every gzip member of `body` (as Go's reader, and so OPA,
/// would), reading at most one byte past `max`.
pub fn gunzip(body: &[u8], max: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(max));
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut inflater = flate2::read::MultiGzDecoder::new(body).take(limit);
    inflater
        .read_to_end(&mut out)
        .map_err(|e| BodyError::Malformed(format!("the body is not valid gzip: {e}")))?;
    if out.len() > max {
        return Err(too_large(max));
    }
    Ok(out)
}

fn too_large(max: usize) -> BodyError {
    BodyError::TooLarge(format!(
        "the upload inflates past {} (--max-decompressed): refused whole",
        bytes(max)
    ))
}

/// A byte count as people read it: `8 MiB`, `512 KiB`, `100 bytes`.
pub fn bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// A size as given on the command line: `1048576`, `512K`, `8M`, `1G`
/// (powers of 1,024; `KiB`, `MiB`, `GiB` and `KB`... read the same).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 8M, 512K, 1048576)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (use K, M or G)")),
    };
    n.checked_mul(1 << shift)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_cap() {
        // 64 MiB of zeros packs into about 64 KiB.
        let bomb = gz(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 1 << 20);
        let e = gunzip(&bomb, 1 << 20).unwrap_err();
        assert!(matches!(e, BodyError::TooLarge(_)), "{e:?}");
        assert_eq!(gunzip(&bomb, 64 << 20).unwrap().len(), 64 << 20);
    }

    #[test]
    fn every_member_is_inflated_and_bad_gzip_says_so() {
        let mut two = gz(b"[1,");
        two.extend(gz(b"2]"));
        assert_eq!(gunzip(&two, 100).unwrap(), b"[1,2]");
        let e = gunzip(b"[1,2]", 100).unwrap_err();
        assert!(
            matches!(e, BodyError::Malformed(ref m) if m.contains("not valid gzip")),
            "{e:?}"
        );
    }

    #[test]
    fn encodings_and_sizes() {
        assert_eq!(Encoding::from_header(None), Ok(Encoding::Identity));
        assert_eq!(Encoding::from_header(Some("GZIP")), Ok(Encoding::Gzip));
        assert!(matches!(
            Encoding::from_header(Some("br")),
            Err(BodyError::Encoding(_))
        ));
        assert_eq!(parse_size("8M"), Ok(8 << 20));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("8X").is_err());
        assert_eq!(bytes(8 << 20), "8 MiB");
        assert!(matches!(
            decode(b"[1234]", Encoding::Identity, 3),
            Err(BodyError::TooLarge(_))
        ));
    }
}
