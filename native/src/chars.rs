//! Character classes as Python's `re` and `str` methods see them (tables from `unicodedata`).

use crate::tables;

fn in_ranges(table: &[(u32, u32)], c: char) -> bool {
    let code = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < code {
                std::cmp::Ordering::Less
            } else if lo > code {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `\w`: a letter, digit or numeric character of any script, or `_`.
pub fn is_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        in_ranges(&tables::WORD, c)
    }
}

/// A character that may continue a tag: `\w`, a combining mark or a zero-width (non-)joiner.
pub fn is_tag_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    c == '\u{200c}' || c == '\u{200d}' || in_ranges(&tables::WORD, c) || in_ranges(&tables::MARK, c)
}

/// `str.isspace` (and `\s`).
pub fn is_space(c: char) -> bool {
    if c.is_ascii() {
        matches!(
            c,
            ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f'
        )
    } else {
        in_ranges(&tables::SPACE, c)
    }
}

/// `str.isdecimal` (and `\d`).
pub fn is_decimal(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        in_ranges(&tables::DECIMAL, c)
    }
}

/// `str.isprintable` (what `repr` leaves unescaped).
pub fn is_printable(c: char) -> bool {
    if c.is_ascii() {
        (' '..='~').contains(&c)
    } else {
        in_ranges(&tables::PRINTABLE, c)
    }
}

/// Assigned in the Unicode version of the tables (newer characters are left as they are).
pub fn is_assigned(c: char) -> bool {
    c.is_ascii() || in_ranges(&tables::ASSIGNED, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(is_word('a') && is_word('_') && is_word('小') && is_word('١') && is_word('Ⅻ'));
        assert!(!is_word('-') && !is_word('🔥') && !is_word('\u{301}'));
        assert!(is_tag_char('\u{301}') && is_tag_char('\u{200d}') && !is_tag_char('\u{fe0f}'));
        assert!(is_space('\u{3000}') && is_space('\x1f') && !is_space('\u{200b}'));
        assert!(is_decimal('٣') && !is_decimal('Ⅻ') && !is_decimal('²'));
        assert!(is_assigned('小') && !is_assigned('\u{378}'));
    }
}
