//! The text of a JSON record: the encoding `json.detect_encoding` picks, and Python-like decode errors.

/// How the bytes of a record are encoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Encoding {
    /// UTF-8; the value is the length of a BOM to skip (0 or 3).
    Utf8(usize),
    Utf16 {
        big: bool,
        skip: usize,
    },
    Utf32 {
        big: bool,
        skip: usize,
    },
}

/// The encoding of JSON bytes, decided exactly as Python's `json.detect_encoding`.
pub fn detect(b: &[u8]) -> Encoding {
    if b.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Encoding::Utf32 { big: true, skip: 4 };
    }
    if b.starts_with(&[0xFF, 0xFE, 0, 0]) {
        return Encoding::Utf32 {
            big: false,
            skip: 4,
        };
    }
    if b.starts_with(&[0xFE, 0xFF]) {
        return Encoding::Utf16 { big: true, skip: 2 };
    }
    if b.starts_with(&[0xFF, 0xFE]) {
        return Encoding::Utf16 {
            big: false,
            skip: 2,
        };
    }
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8(3);
    }
    if b.len() >= 4 {
        if b[0] == 0 {
            return if b[1] != 0 {
                Encoding::Utf16 { big: true, skip: 0 }
            } else {
                Encoding::Utf32 { big: true, skip: 0 }
            };
        }
        if b[1] == 0 {
            return if b[2] != 0 || b[3] != 0 {
                Encoding::Utf16 {
                    big: false,
                    skip: 0,
                }
            } else {
                Encoding::Utf32 {
                    big: false,
                    skip: 0,
                }
            };
        }
    } else if b.len() == 2 {
        if b[0] == 0 {
            return Encoding::Utf16 { big: true, skip: 0 };
        }
        if b[1] == 0 {
            return Encoding::Utf16 {
                big: false,
                skip: 0,
            };
        }
    }
    Encoding::Utf8(0)
}

/// The message Python's UTF-8 decoder gives for invalid bytes.
pub fn utf8_error(bytes: &[u8], error: std::str::Utf8Error) -> String {
    let at = error.valid_up_to();
    match error.error_len() {
        None if bytes.len() - at > 1 => format!(
            "'utf-8' codec can't decode bytes in position {}-{}: unexpected end of data",
            at,
            bytes.len() - 1
        ),
        None => format!(
            "'utf-8' codec can't decode byte 0x{:02x} in position {at}: unexpected end of data",
            bytes[at]
        ),
        Some(_) => {
            let byte = bytes[at];
            let kind = if (0xC2..=0xF4).contains(&byte) {
                "invalid continuation byte"
            } else {
                "invalid start byte"
            };
            format!("'utf-8' codec can't decode byte 0x{byte:02x} in position {at}: {kind}")
        }
    }
}

/// UTF-16 or UTF-32 bytes as a UTF-8 string (no lone surrogates).
pub fn decode_wide(raw: &[u8], encoding: Encoding) -> Result<String, String> {
    match encoding {
        Encoding::Utf16 { big, skip } => {
            let body = &raw[skip..];
            let name = if skip > 0 {
                "utf-16"
            } else if big {
                "utf-16-be"
            } else {
                "utf-16-le"
            };
            if body.len() % 2 == 1 {
                return Err(format!(
                    "'{name}' codec can't decode byte 0x{:02x} in position {}: truncated data",
                    body[body.len() - 1],
                    body.len() - 1
                ));
            }
            let units = body.chunks_exact(2).map(|c| {
                if big {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            });
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| format!("'{name}' codec can't decode: illegal UTF-16 surrogate"))
        }
        Encoding::Utf32 { big, skip } => {
            let body = &raw[skip..];
            let name = if skip > 0 {
                "utf-32"
            } else if big {
                "utf-32-be"
            } else {
                "utf-32-le"
            };
            if body.len() % 4 != 0 {
                return Err(format!("'{name}' codec can't decode: truncated data"));
            }
            body.chunks_exact(4)
                .map(|c| {
                    let code = if big {
                        u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                    } else {
                        u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                    };
                    char::from_u32(code).ok_or_else(|| {
                        format!("'{name}' codec can't decode: code point not in range(0x110000)")
                    })
                })
                .collect()
        }
        Encoding::Utf8(_) => unreachable!("UTF-8 is decoded in place"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_like_python() {
        assert_eq!(detect(b"{\"a\":1}"), Encoding::Utf8(0));
        assert_eq!(detect(b"\xef\xbb\xbf[]"), Encoding::Utf8(3));
        assert_eq!(
            detect(b"[\x00]\x00"),
            Encoding::Utf16 {
                big: false,
                skip: 0
            }
        );
        assert_eq!(
            detect(b"\x00\x00\x00["),
            Encoding::Utf32 { big: true, skip: 0 }
        );
        let wide = decode_wide(b"[\x001\x00]\x00", detect(b"[\x001\x00]\x00")).unwrap();
        assert_eq!(wide, "[1]");
    }

    #[test]
    fn utf8_errors_read_like_python() {
        let raw = b"\xff\xfe\x00garbage";
        let bytes: Vec<u8> = "a".bytes().chain([0xff]).collect();
        let err = std::str::from_utf8(&bytes).unwrap_err();
        assert_eq!(
            utf8_error(&bytes, err),
            "'utf-8' codec can't decode byte 0xff in position 1: invalid start byte"
        );
        assert!(matches!(detect(raw), Encoding::Utf16 { .. }));
    }
}
