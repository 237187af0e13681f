//! A JSON cursor for the one answer that dominates ccetl's CPU: pages of Genesys conversation
//! details, read where a general parser costs more than the rest of the ETL together.
//!
//! [`JsonCursor`] walks a document once, front to back, and hands the caller each member's key
//! and the value at that point: the caller takes what it wants (a string, borrowed from the text
//! unless it holds an escape; a number; a list) and skips the rest, which is still checked as
//! JSON. Nothing is built for what is skipped. It checks what `serde_json` checks (the grammar,
//! escapes, control characters in strings, the end of the document; the text is UTF-8 already,
//! being a `&str`), so a document it accepts is one `serde_json` accepts; when it refuses one,
//! [`ScanError::into_json`] asks `serde_json` to say what is wrong, so a page that is cut short is
//! reported as truncated as any other answer is.

use std::borrow::Cow;

/// Where a document stops being what its reader wanted, and what it wanted there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    /// Byte offset in the text.
    pub offset: usize,
    /// What was expected (`a string`, `a list`, `member conversationId`…).
    pub expected: &'static str,
}

impl ScanError {
    /// The error as `serde_json` would report the document: its own error when the text is not
    /// JSON (syntax, or cut short: `is_eof`), else a data error naming what was expected and
    /// where (a number where a string belongs, a missing member).
    pub fn into_json(self, text: &str) -> serde_json::Error {
        // A `Value`, not `IgnoredAny`: skipping, serde_json checks neither surrogates nor depth.
        if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
            return e;
        }
        let before = &text.as_bytes()[..self.offset.min(text.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.len()
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
        <serde_json::Error as serde::de::Error>::custom(format_args!(
            "expected {} at line {line} column {}",
            self.expected,
            column + 1
        ))
    }
}

type Scan<T> = Result<T, ScanError>;

/// An answer's bytes as text, checked as UTF-8 once (SIMD) instead of string by string; bytes
/// that are not UTF-8 are an error that says where, as `serde_json` reports it.
pub fn answer_text(bytes: &[u8]) -> Result<&str, serde_json::Error> {
    simdutf8::basic::from_utf8(bytes).map_err(|_| {
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Err(e) => e,
            Ok(_) => <serde_json::Error as serde::de::Error>::custom("the answer is not UTF-8"),
        }
    })
}

/// Whether `raw`, a checked JSON value, is written exactly as `serde_json` writes the value it
/// reads from it: no whitespace, no escape, no object (whose keys it sorts), whole numbers of at
/// most 18 digits (no `-0`, which it reads as a float), lists nested at most 32 deep. Anything
/// else may be canonical too, but is read and written again to be sure.
pub fn is_canonical(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut at = 0;
    let mut depth = 0u32;
    while let Some(&b) = bytes.get(at) {
        match b {
            b'"' => {
                at += 1;
                loop {
                    match bytes.get(at) {
                        Some(b'"') => break,
                        Some(b'\\') | None => return false,
                        Some(_) => at += 1,
                    }
                }
                at += 1;
            }
            b'[' => {
                depth += 1;
                if depth > 32 {
                    return false;
                }
                at += 1;
            }
            b']' => {
                depth = depth.saturating_sub(1);
                at += 1;
            }
            b',' => at += 1,
            b't' | b'f' | b'n' => {
                while let Some(b'a'..=b'z') = bytes.get(at) {
                    at += 1;
                }
            }
            b'-' | b'0'..=b'9' => {
                let negative = b == b'-';
                if negative {
                    at += 1;
                }
                let digits = at;
                while let Some(b'0'..=b'9') = bytes.get(at) {
                    at += 1;
                }
                let n = at - digits;
                if n == 0 || n > 18 || matches!(bytes.get(at), Some(b'.' | b'e' | b'E')) {
                    return false;
                }
                if bytes[digits] == b'0' && (n > 1 || negative) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

/// A position in a JSON text, moving forward only.
#[derive(Debug)]
pub struct JsonCursor<'a> {
    text: &'a str,
    at: usize,
    /// Containers being skipped, one inside the other.
    depth: u32,
}

/// How deep skipped values may nest, as in `serde_json`: deeper is an error, not a stack overflow.
const MAX_DEPTH: u32 = 128;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `x` that ends a plain run of string text: `"`, `\` or a control
/// character (below 0x20). Bytes of 0x80 and above never match, so UTF-8 sequences pass through.
/// Exact for every byte (the shorter test for a zero byte marks bytes after a borrow as well).
#[inline(always)]
fn string_stops(x: u64) -> u64 {
    const LOW_BITS: u64 = ONES * 0x7f;
    // A byte's high bit stays clear only when its low seven bits are zero and it was clear.
    let zero_byte = |v: u64| !(((v & LOW_BITS) + LOW_BITS) | v) & HIGH_BITS;
    // … and below 0x20 only when its low seven bits are below 0x20.
    let control = !(((x & LOW_BITS) + ONES * 0x60) | x) & HIGH_BITS;
    zero_byte(x ^ (ONES * u64::from(b'"'))) | zero_byte(x ^ (ONES * u64::from(b'\\'))) | control
}

/// [`string_stops`] of 16 bytes, one bit a byte, with SSE2 (part of every x86-64 processor):
/// 16 bytes in about as many instructions as [`stops_of_words`] takes for 8.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn stops_of(chunk: &[u8; 16]) -> u32 {
    // SAFETY: the function needs SSE2, which this build targets (the `cfg` above; every x86-64
    // processor has it), and reads the 16 bytes `chunk` holds.
    unsafe { stops_of_sse2(chunk) }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
#[inline]
unsafe fn stops_of_sse2(chunk: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: `chunk` is 16 readable bytes; the load needs no alignment.
    let bytes = unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) };
    let found = _mm_or_si128(
        _mm_or_si128(
            _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8)),
            _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8)),
        ),
        // A byte of at most 0x1f is its own minimum with 0x1f.
        _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1f)), bytes),
    );
    _mm_movemask_epi8(found) as u32
}

/// [`string_stops`] of 16 bytes, one bit a byte, eight bytes at a time.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn stops_of(chunk: &[u8; 16]) -> u32 {
    stops_of_words(chunk)
}

/// [`stops_of`] without SIMD: what the SSE2 version is tested against, and what other
/// processors run.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn stops_of_words(chunk: &[u8; 16]) -> u32 {
    let (words, _) = chunk.as_chunks::<8>();
    let mut stops = 0;
    for (i, word) in words.iter().enumerate() {
        // The high bit of byte k moves to bit 56 + k: the products' bits never overlap.
        let high = string_stops(u64::from_le_bytes(*word));
        stops |= ((high.wrapping_mul(0x0002_0408_1020_4081) >> 56) as u32) << (8 * i);
    }
    stops
}

impl<'a> JsonCursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            at: 0,
            depth: 0,
        }
    }

    /// Where the cursor is: a byte offset in the text.
    pub fn offset(&self) -> usize {
        self.at
    }

    fn error<T>(&self, expected: &'static str) -> Scan<T> {
        Err(ScanError {
            offset: self.at,
            expected,
        })
    }

    #[inline(always)]
    fn skip_whitespace(&mut self) {
        let bytes = self.text.as_bytes();
        // Every byte of JSON but whitespace is above b' ': one comparison for compact text.
        while let Some(&b) = bytes.get(self.at) {
            if b > b' ' || !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return;
            }
            self.at += 1;
        }
    }

    /// The next byte that is not whitespace (not taken).
    #[inline(always)]
    fn peek(&mut self) -> Scan<u8> {
        self.skip_whitespace();
        match self.text.as_bytes().get(self.at) {
            Some(&b) => Ok(b),
            None => self.error("more of the document"),
        }
    }

    #[inline(always)]
    fn take(&mut self, byte: u8, expected: &'static str) -> Scan<()> {
        if self.peek()? == byte {
            self.at += 1;
            Ok(())
        } else {
            self.error(expected)
        }
    }

    /// After `{` or `[`: whether another member follows (taking the `,` before it), or the
    /// container ends here (taking `close`).
    #[inline(always)]
    fn another(&mut self, close: u8, first: &mut bool) -> Scan<bool> {
        let b = self.peek()?;
        if b == close {
            self.at += 1;
            return Ok(false);
        }
        if std::mem::take(first) {
            return Ok(true);
        }
        if b == b',' {
            self.at += 1;
            Ok(true)
        } else {
            self.error("`,` or the end of the list or object")
        }
    }

    /// Reads an object, handing `member` each key with the cursor at its value, which `member`
    /// must read or [`skip`](Self::skip).
    #[inline(always)]
    pub fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Scan<()>,
    ) -> Scan<()> {
        self.take(b'{', "an object")?;
        let mut first = true;
        while self.another(b'}', &mut first)? {
            let key = self.string()?;
            self.take(b':', "`:`")?;
            member(self, key)?;
        }
        Ok(())
    }

    /// Reads a list that may also be `null` (as good as empty), handing `item` the cursor at each
    /// element, which `item` must read.
    #[inline(always)]
    pub fn list(&mut self, mut item: impl FnMut(&mut Self) -> Scan<()>) -> Scan<()> {
        match self.peek()? {
            b'n' => self.literal(b"null"),
            b'[' => {
                self.at += 1;
                let mut first = true;
                while self.another(b']', &mut first)? {
                    item(self)?;
                }
                Ok(())
            }
            _ => self.error("a list"),
        }
    }

    /// A string, borrowed from the text unless it holds an escape.
    #[inline(always)]
    pub fn string(&mut self) -> Scan<Cow<'a, str>> {
        if self.peek()? != b'"' {
            return self.error("a string");
        }
        let bytes = self.text.as_bytes();
        let start = self.at + 1;
        let mut at = start;
        loop {
            'stop: {
                // Sixteen bytes at a time up to the first quote, backslash or control
                // character, then eight.
                while let Some(Ok(chunk)) = bytes.get(at..at + 16).map(<&[u8; 16]>::try_from) {
                    let stops = stops_of(chunk);
                    if stops != 0 {
                        at += stops.trailing_zeros() as usize;
                        break 'stop;
                    }
                    at += 16;
                }
                while let Some(chunk) = bytes.get(at..at + 8) {
                    let mut word = [0; 8];
                    word.copy_from_slice(chunk);
                    let stops = string_stops(u64::from_le_bytes(word));
                    if stops != 0 {
                        at += (stops.trailing_zeros() / 8) as usize;
                        break 'stop;
                    }
                    at += 8;
                }
            }
            match bytes.get(at) {
                Some(b'"') => {
                    self.at = at + 1;
                    // SAFETY: `start` follows a quote and `at` is one, both within the text;
                    // quotes are ASCII, so both ends are character boundaries. (The checked
                    // slice tests both again, out of line: 1.6% of a backfill's instructions.)
                    let text = unsafe { self.text.get_unchecked(start..at) };
                    return Ok(Cow::Borrowed(text));
                }
                Some(b'\\') => {
                    self.at = at;
                    return self.escaped(start).map(Cow::Owned);
                }
                Some(0..0x20) => {
                    self.at = at;
                    return self.error("no control character in a string");
                }
                Some(_) => at += 1,
                None => {
                    self.at = at;
                    return self.error("the end of the string");
                }
            }
        }
    }

    /// The rest of a string from `start` (the cursor is at its first backslash), unescaped.
    #[cold]
    fn escaped(&mut self, start: usize) -> Scan<String> {
        let bytes = self.text.as_bytes();
        let mut out = String::from(&self.text[start..self.at]);
        loop {
            match bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escape = bytes.get(self.at).copied();
                    self.at += 1;
                    let ch = match escape {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => {
                            self.at -= 1;
                            return self.error("a valid escape");
                        }
                    };
                    out.push(ch);
                }
                Some(0..0x20) => return self.error("no control character in a string"),
                Some(_) => {
                    let run = self.at;
                    while let Some(&b) = bytes.get(self.at) {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.at += 1;
                    }
                    // The run ends before an ASCII byte (or the text's end): a boundary.
                    out.push_str(&self.text[run..self.at]);
                }
                None => return self.error("the end of the string"),
            }
        }
    }

    /// The character of a `\uXXXX` escape (the cursor after the `u`), a surrogate pair joined.
    fn unicode_escape(&mut self) -> Scan<char> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            if self.text.as_bytes().get(self.at..self.at + 2) != Some(b"\\u") {
                return self.error("the second half of a surrogate pair");
            }
            self.at += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return self.error("the second half of a surrogate pair");
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => self.error("a unicode scalar value"),
        }
    }

    fn hex4(&mut self) -> Scan<u32> {
        let Some(digits) = self.text.as_bytes().get(self.at..self.at + 4) else {
            return self.error("four hex digits");
        };
        let mut code = 0;
        for &d in digits {
            match char::from(d).to_digit(16) {
                Some(v) => code = code * 16 + v,
                None => return self.error("four hex digits"),
            }
        }
        self.at += 4;
        Ok(code)
    }

    /// Takes a `null` if one is next, saying whether it did.
    #[inline(always)]
    pub fn null(&mut self) -> Scan<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null").map(|()| true)
        } else {
            Ok(false)
        }
    }

    /// A string or `null`.
    #[inline(always)]
    pub fn optional_string(&mut self) -> Scan<Option<Cow<'a, str>>> {
        if self.null()? {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Scan<()> {
        if self.text.as_bytes().get(self.at..self.at + word.len()) == Some(word) {
            self.at += word.len();
            Ok(())
        } else {
            self.error("a value")
        }
    }

    /// A number's text, checked against JSON's grammar.
    fn number_text(&mut self) -> Scan<&'a str> {
        self.skip_whitespace();
        let bytes = self.text.as_bytes();
        let start = self.at;
        let digits = |at: &mut usize| {
            let from = *at;
            while let Some(b'0'..=b'9') = bytes.get(*at) {
                *at += 1;
            }
            *at > from
        };
        let mut at = start;
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        match bytes.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => {
                digits(&mut at);
            }
            _ => return self.error("a value"),
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if !digits(&mut at) {
                self.at = at;
                return self.error("a digit after the decimal point");
            }
        }
        if let Some(b'e' | b'E') = bytes.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            if !digits(&mut at) {
                self.at = at;
                return self.error("a digit in the exponent");
            }
        }
        self.at = at;
        Ok(&self.text[start..at])
    }

    /// A number as `f64`: integers as `serde_json` reads them (exactly, then converted), others
    /// correctly rounded (serde_json's default parsing can be one unit in the last place off for
    /// large exponents; the milliseconds and counts Genesys sends are integers).
    pub fn f64(&mut self) -> Scan<f64> {
        // Nearly every number of a page is a whole number of milliseconds or a count: read in
        // the one pass that finds its end. At most 15 digits, so the value is exact as `f64`.
        self.skip_whitespace();
        let bytes = self.text.as_bytes();
        let negative = bytes.get(self.at) == Some(&b'-');
        let first = self.at + usize::from(negative);
        let mut at = first;
        let mut value = 0u64;
        while let Some(&digit @ b'0'..=b'9') = bytes.get(at) {
            value = value.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
            at += 1;
        }
        let digits = at - first;
        if (1..=15).contains(&digits)
            && (digits == 1 || bytes[first] != b'0')
            && !matches!(bytes.get(at), Some(b'.' | b'e' | b'E'))
        {
            self.at = at;
            let value = value as f64;
            // `-0` too is the float it is.
            return Ok(if negative { -value } else { value });
        }
        self.f64_in_full()
    }

    /// [`f64`](Self::f64) of any number JSON allows.
    #[cold]
    fn f64_in_full(&mut self) -> Scan<f64> {
        let text = self.number_text()?;
        if !text.contains(['.', 'e', 'E']) {
            if let Ok(n) = text.parse::<u64>() {
                return Ok(n as f64);
            }
            if let Ok(n) = text.parse::<i64>() {
                // serde_json reads `-0` as the float it is.
                return Ok(if n == 0 { -0.0 } else { n as f64 });
            }
        }
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => self.error("a number within range"),
        }
    }

    /// A whole number of 0 or more, or `null`.
    pub fn optional_u64(&mut self) -> Scan<Option<u64>> {
        if self.null()? {
            return Ok(None);
        }
        match self.number_text()?.parse::<u64>() {
            Ok(n) => Ok(Some(n)),
            Err(_) => self.error("a whole number of 0 or more"),
        }
    }

    /// Skips a value of any kind, checking it.
    pub fn skip(&mut self) -> Scan<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            open @ (b'{' | b'[') => {
                if self.depth == MAX_DEPTH {
                    return self.error("values nested less deeply");
                }
                self.depth += 1;
                let skipped = if open == b'{' {
                    self.object(|cursor, _| cursor.skip())
                } else {
                    self.list(|cursor| cursor.skip())
                };
                self.depth -= 1;
                skipped
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number_text().map(drop),
        }
    }

    /// The text of the value at the cursor (checked, as [`skip`](Self::skip)), to be read by
    /// `serde_json` where its shape is not known in advance.
    pub fn raw(&mut self) -> Scan<&'a str> {
        self.skip_whitespace();
        let start = self.at;
        self.skip()?;
        Ok(&self.text[start..self.at])
    }

    /// Reads the value at the cursor with `serde_json` (a shape not known in advance).
    pub fn json<T: serde::Deserialize<'a>>(&mut self, expected: &'static str) -> Scan<T> {
        let start = self.at;
        let raw = self.raw()?;
        serde_json::from_str(raw).or_else(|_| {
            self.at = start;
            self.error(expected)
        })
    }

    /// The value at the cursor as JSON text the way `serde_json` writes the value it reads:
    /// the text itself, borrowed, when it already is (the common case: a list of ids), else
    /// read and written again. Checked as [`json`](Self::json) checks it.
    pub fn canonical_json(&mut self, expected: &'static str) -> Scan<Cow<'a, str>> {
        let start = self.at;
        let raw = self.raw()?;
        if is_canonical(raw) {
            return Ok(Cow::Borrowed(raw));
        }
        // The rare other value is read again from its start, by `json` and its error.
        self.at = start;
        let value: serde_json::Value = self.json(expected)?;
        Ok(Cow::Owned(value.to_string()))
    }

    /// Checks that nothing but whitespace follows.
    pub fn end(&mut self) -> Scan<()> {
        self.skip_whitespace();
        if self.at == self.text.len() {
            Ok(())
        } else {
            self.error("the end of the document")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value of `text` as `serde_json` makes it, rebuilt from what the cursor reads.
    fn rebuild(cursor: &mut JsonCursor<'_>) -> Scan<serde_json::Value> {
        use serde_json::Value;
        Ok(match cursor.peek()? {
            b'{' => {
                let mut map = serde_json::Map::new();
                cursor.object(|c, key| {
                    let value = rebuild(c)?;
                    map.insert(key.into_owned(), value);
                    Ok(())
                })?;
                Value::Object(map)
            }
            b'[' => {
                let mut items = Vec::new();
                cursor.list(|c| {
                    items.push(rebuild(c)?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            b'"' => Value::String(cursor.string()?.into_owned()),
            b'n' | b't' | b'f' => cursor.json("a literal")?,
            _ => cursor.json("a number")?,
        })
    }

    fn read(text: &str) -> Result<serde_json::Value, ScanError> {
        let mut cursor = JsonCursor::new(text);
        let value = rebuild(&mut cursor)?;
        cursor.end()?;
        Ok(value)
    }

    #[test]
    fn canonical_text_is_what_serde_json_writes_and_the_rest_is_written_again() {
        let canonical = [
            r#"["d-1","d-2"]"#,
            "[]",
            r#""plain é 日本 and spaces""#,
            "0",
            "-7",
            "123456789012345678",
            "-123456789012345678",
            "[true,false,null,[1,[2]]]",
        ];
        let other = [
            r#"[ "d-1" ]"#,
            "[\n1]",
            r#"{"b":1,"a":2}"#,
            "{}",
            r#""slash \/ escaped""#,
            r#""\u00e9""#,
            "-0",
            "4.5",
            "1e3",
            "1E+2",
            "1234567890123456789012",
            "12345678901234567890",
            "-0.0",
        ];
        for (text, expect) in canonical
            .iter()
            .map(|t| (t, true))
            .chain(other.iter().map(|t| (t, false)))
        {
            assert_eq!(is_canonical(text), expect, "{text}");
            let mut cursor = JsonCursor::new(text);
            let read = cursor.canonical_json("a value").unwrap();
            let written = serde_json::from_str::<serde_json::Value>(text)
                .unwrap()
                .to_string();
            assert_eq!(read, written, "{text}");
            assert_eq!(matches!(read, Cow::Borrowed(_)), expect, "{text}");
        }
        // Every value of a page with every kind of member: where the text is taken as it is,
        // serde_json writes that text.
        let page = r#"{"a": [1, -2, 30], "b": ["x", "y\"z", []], "c": {"k": [null]}, "d": -0,
            "e": 0, "f": "ok", "g": 1.5, "h": [[[["deep"]]]], "i": true, "j": 99999999999999999999}"#;
        let mut cursor = JsonCursor::new(page);
        let mut borrowed = 0;
        cursor
            .object(|c, key| {
                let start = c.offset();
                let read = c.canonical_json("a value")?;
                let raw = page[start..c.offset()].trim();
                let written = serde_json::from_str::<serde_json::Value>(raw)
                    .unwrap()
                    .to_string();
                assert_eq!(read, written, "{key}");
                borrowed += usize::from(matches!(read, Cow::Borrowed(_)));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            borrowed, 4,
            "e, f, h and i are taken as they are (a has spaces)"
        );
        // What serde_json refuses is refused, where it starts.
        let mut cursor = JsonCursor::new("[1e400]");
        let refused = cursor.canonical_json("a value").unwrap_err();
        assert_eq!((refused.offset, refused.expected), (0, "a value"));
    }

    #[test]
    fn strings_of_every_length_end_at_their_first_quote_escape_or_control_character() {
        // Every length and every start around the 16- and 8-byte steps, with the text after
        // the string longer and shorter than a step, and a string cut short by the text's end.
        for pad in 0..70 {
            let pad = " ".repeat(pad);
            for n in 0..140 {
                let body: String = "é0123456789abcdef".chars().cycle().take(n).collect();
                for tail in ["", ",1]", &"x".repeat(70)] {
                    let text = format!("{pad}\"{body}\"{tail}");
                    let mut cursor = JsonCursor::new(&text);
                    assert_eq!(cursor.string().unwrap(), body, "{text}");
                    assert_eq!(cursor.offset(), pad.len() + body.len() + 2, "{text}");
                    let escaped = format!("{pad}\"{body}\\n{body}\"{tail}");
                    let mut cursor = JsonCursor::new(&escaped);
                    assert_eq!(
                        cursor.string().unwrap(),
                        format!("{body}\n{body}"),
                        "{escaped}"
                    );
                    let control = format!("{pad}\"{body}\t\"");
                    let refused = JsonCursor::new(&control).string().unwrap_err();
                    assert_eq!(
                        (refused.offset, refused.expected),
                        (control.len() - 2, "no control character in a string"),
                        "{control:?}"
                    );
                }
                let open = format!("{pad}\"{body}");
                let refused = JsonCursor::new(&open).string().unwrap_err();
                assert_eq!(
                    (refused.offset, refused.expected),
                    (open.len(), "the end of the string"),
                    "{open:?}"
                );
            }
        }
    }

    #[test]
    fn sixteen_bytes_stops_are_their_quotes_backslashes_and_control_characters() {
        // Every byte value at every position, then chunks of random bytes, against the
        // definition itself (and, on x86-64, the SSE2 version against the word version).
        let is_stop = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
        let expected = |chunk: &[u8; 16]| {
            (0..16).fold(0u32, |stops, i| stops | (u32::from(is_stop(chunk[i])) << i))
        };
        for value in 0..=255u8 {
            for at in 0..16 {
                let mut chunk = [b'a'; 16];
                chunk[at] = value;
                assert_eq!(stops_of(&chunk), expected(&chunk), "{value:#x} at {at}");
                assert_eq!(
                    stops_of_words(&chunk),
                    expected(&chunk),
                    "{value:#x} at {at}"
                );
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            let mut chunk = [0u8; 16];
            for byte in &mut chunk {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly text, often a stop, sometimes any byte.
                *byte = match state % 8 {
                    0 => b'"',
                    1 => b'\\',
                    2 => (state >> 8) as u8,
                    3 => (state >> 8) as u8 % 0x21,
                    _ => b'a' + (state >> 8) as u8 % 26,
                };
            }
            assert_eq!(stops_of(&chunk), expected(&chunk), "{chunk:?}");
            assert_eq!(stops_of_words(&chunk), expected(&chunk), "{chunk:?}");
        }
    }

    #[test]
    fn strings_are_borrowed_unless_escaped_and_unescape_as_serde_json_does() {
        for text in [
            r#""plain""#,
            r#""""#,
            r#""a long plain string of more than eight bytes, é and 日本""#,
            r#""quote \" backslash \\ slash \/ \b\f\n\r\t""#,
            r#""\u00e9\u65e5 and a pair \ud83d\ude00 after""#,
            r#""12345678\"12345678""#,
        ] {
            let mut cursor = JsonCursor::new(text);
            let read = cursor.string().unwrap();
            let expected: String = serde_json::from_str(text).unwrap();
            assert_eq!(read, expected, "{text}");
            assert_eq!(
                matches!(read, Cow::Borrowed(_)),
                !text.contains('\\'),
                "{text}"
            );
            cursor.end().unwrap();
        }
    }

    #[test]
    fn what_serde_json_refuses_is_refused() {
        for text in [
            "\"tab\tinside\"",
            "\"newline\ninside a string longer than eight\"",
            r#""\x""#,
            r#""\u12""#,
            r#""\ud83d alone""#,
            r#""\ud83d\u0041""#,
            r#""unterminated"#,
            r#"{"a": 1,}"#,
            r#"[1, 2,]"#,
            r#"[1 2]"#,
            r#"{"a" 1}"#,
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a": .5}"#,
            r#"{"a": 1e}"#,
            r#"{"a": -}"#,
            r#"{"a": tru}"#,
            r#"{"a": nul}"#,
            r#"{"a": 1} x"#,
            r#"{"a": 1"#,
            "",
            "   ",
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text}"
            );
            let e = read(text).expect_err(text);
            let json = e.clone().into_json(text);
            assert!(json.is_syntax() || json.is_eof(), "{text}: {json}");
        }
    }

    #[test]
    fn documents_read_as_serde_json_reads_them() {
        for text in [
            r#"{"a": [1, -2, 3.25, -0.5e-3, 1E+2, 18446744073709551615, -9223372036854775808],
                "b": {"c": null, "d": true, "e": false, "f": [], "g": {}},
                "h": "x\"y", "i": [[[]]], "j": 0}"#,
            " \n\t\r[ ] ",
            "12",
            r#"{"duplicate": 1, "duplicate": 2}"#,
        ] {
            let ours = read(text).unwrap();
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = JsonCursor::new(&deep).skip().unwrap_err();
        assert_eq!(e.expected, "values nested less deeply");
        let e = e.into_json(&deep);
        assert!(e.to_string().contains("recursion limit"), "{e}");
        let fine = format!("{}{}", "[".repeat(100), "]".repeat(100));
        JsonCursor::new(&fine).skip().unwrap();
    }

    #[test]
    fn numbers_read_as_serde_json_reads_them() {
        for text in [
            "0",
            "-0",
            "7",
            "1234",
            "-17",
            "2.5",
            "1e3",
            "-1.5E-2",
            "9007199254740993",
        ] {
            let ours = JsonCursor::new(text).f64().unwrap();
            let theirs: f64 = serde_json::from_str(text).unwrap();
            assert_eq!(ours.to_bits(), theirs.to_bits(), "{text}");
        }
        // The whole-number reading agrees with the full one on the value, where it stops, and
        // what it refuses, around its limits (15 digits, leading zeros, signs, fractions).
        for text in [
            "999999999999999",
            "-999999999999999",
            "1000000000000000",
            "-1000000000000001",
            "18446744073709551616",
            "-9223372036854775809",
            " 42",
            "42,",
            "42}",
            "12.0",
            "12e0",
            "-0.0",
            "00",
            "01",
            "-01",
            "-",
            "--1",
            "+1",
            "1.",
            ".5",
            "",
        ] {
            let (mut fast, mut full) = (JsonCursor::new(text), JsonCursor::new(text));
            let (a, b) = (fast.f64(), full.f64_in_full());
            assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{text:?}");
            assert_eq!(fast.offset(), full.offset(), "{text:?}");
            if let Ok(theirs) = serde_json::from_str::<f64>(text) {
                assert!(fast.f64_in_full().is_err(), "{text:?} read to its end");
                let ours = JsonCursor::new(text).f64().unwrap();
                assert_eq!(ours.to_bits(), theirs.to_bits(), "{text:?}");
            }
        }
        assert_eq!(JsonCursor::new("12").optional_u64(), Ok(Some(12)));
        assert_eq!(JsonCursor::new(" null").optional_u64(), Ok(None));
        assert!(JsonCursor::new("-1").optional_u64().is_err());
        assert!(JsonCursor::new("1e999").f64().is_err());
    }

    #[test]
    fn a_wrong_kind_of_value_is_a_data_error_that_says_where() {
        let text = "{\"a\":\n  [1, 2]}";
        let mut cursor = JsonCursor::new(text);
        let e = cursor
            .object(|c, _| c.string().map(drop))
            .expect_err("a list is not a string");
        let json = e.into_json(text);
        assert!(json.is_data(), "{json}");
        assert_eq!(json.to_string(), "expected a string at line 2 column 3");
        // A document cut short says so, as serde_json says it.
        let e = read(r#"{"a": [1, 2"#)
            .unwrap_err()
            .into_json(r#"{"a": [1, 2"#);
        assert!(e.is_eof(), "{e}");
    }
}
