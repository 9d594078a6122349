//! CSV files as people have them: read from bytes (any delimiter of the
//! three spreadsheets write, UTF-8 or Excel's Windows-1252) and written so
//! spreadsheets open them safely.
//!
//! Reading is the `csv` crate's RFC 4180 parser, which runs the same in the
//! browser and in the native tests. Windows-1252 is decoded by the WHATWG
//! Encoding Standard's decoder, handed in as a [`LegacyDecoder`]: the
//! browser's own `TextDecoder` in the app, `encoding_rs` (the same standard,
//! the decoder inside Firefox) in native code. Linking `encoding_rs` into the
//! app would ship its tables for every legacy encoding, 100 KB and more of
//! gzip, in the code every visit loads first. Every limit below turns a
//! hostile or broken file into one clear sentence before anything is saved.

use std::fmt;

/// The largest file read: ten times a 50,000-row customer base.
pub const FILE_MAX_BYTES: usize = 50 * 1024 * 1024;
/// The most columns a row may have; a CRM export has a few dozen.
pub const COLUMNS_MAX: usize = 500;
/// The longest line: every field of a record at its longest fits.
pub const LINE_MAX_BYTES: usize = 256 * 1024;
/// The most data rows one import reads.
pub const ROWS_MAX: usize = 200_000;

/// Why a file cannot be read; each says what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
    TooLarge { bytes: usize },
    Empty,
    Utf16,
    Binary { line: usize },
    UnknownEncoding,
    UnterminatedQuote { line: usize },
    TooManyColumns { line: usize, columns: usize },
    LineTooLong { line: usize },
    TooManyRows,
    Unreadable { line: usize, reason: String },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SAVE_AS: &str = "save it from your spreadsheet as \u{201c}CSV UTF-8\u{201d}";
        match self {
            FileError::TooLarge { bytes } => write!(
                f,
                "This file is {} MB; files up to {} MB can be imported. Split it and import each part.",
                bytes / (1024 * 1024),
                FILE_MAX_BYTES / (1024 * 1024)
            ),
            FileError::Empty => f.write_str("This file is empty: it has no header row."),
            FileError::Utf16 => write!(f, "This file is UTF-16 text; {SAVE_AS} and import that."),
            FileError::Binary { line } => write!(
                f,
                "Line {line} contains a NUL byte: this is not a CSV file. Choose a .csv file or {SAVE_AS}."
            ),
            FileError::UnknownEncoding => write!(
                f,
                "This file is neither UTF-8 nor Windows-1252 text; {SAVE_AS} and import that."
            ),
            FileError::UnterminatedQuote { line } => write!(
                f,
                "The quote opened on line {line} is never closed, so the rest of the file would be one cell. Fix that line and import again."
            ),
            FileError::TooManyColumns { line, columns } => write!(
                f,
                "Line {line} has {columns} columns; at most {COLUMNS_MAX} can be imported."
            ),
            FileError::LineTooLong { line } => write!(
                f,
                "Line {line} is longer than {} KB, more than any record holds.",
                LINE_MAX_BYTES / 1024
            ),
            FileError::TooManyRows => write!(
                f,
                "This file has more than {ROWS_MAX} rows; split it and import each part."
            ),
            FileError::Unreadable { line, reason } => write!(f, "Line {line} cannot be read: {reason}."),
        }
    }
}

/// The text encoding a file was read in, to tell the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceEncoding {
    Utf8,
    Windows1252,
}

/// Decodes Windows-1252 bytes as the WHATWG Encoding Standard says;
/// `None` when no decoder is at hand.
pub type LegacyDecoder = fn(&[u8]) -> Option<String>;

/// Bytes as text: UTF-8 (a byte-order mark dropped), else Windows-1252 as
/// Excel writes it. A file that is neither is refused rather than guessed.
pub fn decode(
    bytes: &[u8],
    windows_1252: LegacyDecoder,
) -> Result<(String, SourceEncoding), FileError> {
    if bytes.len() > FILE_MAX_BYTES {
        return Err(FileError::TooLarge { bytes: bytes.len() });
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::Utf16);
    }
    if let Some(at) = memchr_nul(bytes) {
        let line = bytes[..at].iter().filter(|&&byte| byte == b'\n').count() + 1;
        return Err(FileError::Binary { line });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_owned(), SourceEncoding::Utf8));
    }
    let text = windows_1252(bytes).ok_or(FileError::UnknownEncoding)?;
    // The five bytes Windows-1252 leaves undefined decode to C1 controls,
    // which no spreadsheet writes: the file is in some other encoding.
    if text.chars().any(|c| ('\u{80}'..='\u{9F}').contains(&c)) {
        return Err(FileError::UnknownEncoding);
    }
    Ok((text, SourceEncoding::Windows1252))
}

fn count_line_breaks(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&byte| byte == b'\n').count()
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&byte| byte == 0)
}

/// The delimiter of the header line: whichever of comma, semicolon (Excel
/// where the comma is the decimal mark) and tab occurs most outside quotes.
pub fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0_usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in text.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(count) = counts.iter_mut().find(|(delimiter, _)| *delimiter == byte) {
                    count.1 += 1;
                }
            }
            _ => {}
        }
    }
    counts
        .iter()
        .rev()
        .max_by_key(|(_, count)| *count)
        .filter(|(_, count)| *count > 0)
        .map_or(b',', |(delimiter, _)| *delimiter)
}

/// The line of a quote that is still open at the end of the text, if any.
/// The `csv` crate reads an unclosed quote to the end of the file as one
/// cell; a user should hear where the quote is instead.
fn unclosed_quote_line(text: &str, delimiter: u8) -> Option<usize> {
    let mut line = 1;
    let mut opened_on = None;
    let mut at_field_start = true;
    let mut bytes = text.bytes().peekable();
    while let Some(byte) = bytes.next() {
        if byte == b'\n' {
            line += 1;
        }
        match opened_on {
            Some(_) if byte == b'"' => {
                if bytes.peek() == Some(&b'"') {
                    bytes.next();
                } else {
                    opened_on = None;
                }
            }
            Some(_) => {}
            None if byte == b'"' && at_field_start => opened_on = Some(line),
            None => {}
        }
        at_field_start = opened_on.is_none() && (byte == delimiter || byte == b'\n');
    }
    opened_on
}

/// A file read into rows: the header row's cells, then each data row with
/// the line it starts on (for "line 12: invalid email").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
    pub encoding: Option<SourceEncoding>,
}

/// One data row of a [`Table`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRow {
    /// Where the row starts in the file, counting from 1 (the header).
    pub line: usize,
    pub cells: Vec<String>,
}

/// Reads a CSV file: decoded, its delimiter detected, every row checked
/// against the limits. Blank lines are skipped; short rows are padded.
pub fn read_table(bytes: &[u8], windows_1252: LegacyDecoder) -> Result<Table, FileError> {
    let (text, encoding) = decode(bytes, windows_1252)?;
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let delimiter = detect_delimiter(&text);
    if let Some(line) = unclosed_quote_line(&text, delimiter) {
        return Err(FileError::UnterminatedQuote { line });
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table {
        encoding: Some(encoding),
        ..Table::default()
    };
    let mut record = csv::StringRecord::new();
    let (mut counted_to, mut line_at) = (0, 1);
    loop {
        let more = reader
            .read_record(&mut record)
            .map_err(|error| FileError::Unreadable {
                line: line_at,
                reason: error.to_string(),
            })?;
        if !more {
            break;
        }
        // The `csv` crate counts records, not line breaks inside quotes.
        // Its positions point at the end of the previous line's break.
        let mut start = record.position().map_or(counted_to, |p| p.byte() as usize);
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line_at += count_line_breaks(text.as_bytes().get(counted_to..start).unwrap_or_default());
        counted_to = start;
        let line = line_at;
        if record.len() > COLUMNS_MAX {
            return Err(FileError::TooManyColumns {
                line,
                columns: record.len(),
            });
        }
        if record.as_slice().len() > LINE_MAX_BYTES {
            return Err(FileError::LineTooLong { line });
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cells: Vec<String> = record.iter().map(undo_formula_guard).collect();
        if table.headers.is_empty() {
            table.headers = cells.iter().map(|cell| cell.trim().to_owned()).collect();
            continue;
        }
        if table.rows.len() == ROWS_MAX {
            return Err(FileError::TooManyRows);
        }
        table.rows.push(TableRow { line, cells });
    }
    if table.headers.is_empty() {
        return Err(FileError::Empty);
    }
    Ok(table)
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP's
/// CSV injection list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written to a file: one starting like a formula gets a leading
/// apostrophe, which spreadsheets show as text and [`read_table`] removes.
fn guard_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A cell as read: the apostrophe [`guard_formula`] added is dropped again,
/// so an exported "+44 20 7946 0000" imports as itself.
fn undo_formula_guard(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

/// A CSV file as spreadsheets open it: UTF-8 with a byte-order mark (Excel
/// otherwise reads accents as Windows-1252), RFC 4180 quoting, CRLF line
/// ends, and no cell that a spreadsheet would run as a formula.
pub fn write_csv<I, R>(headers: &[&str], rows: I) -> Vec<u8>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut write = |cells: Vec<String>| {
        // Writing to memory fails only on a cell count of zero, never here.
        let _ = writer.write_record(cells.iter().map(|cell| guard_formula(cell).into_owned()));
    };
    write(headers.iter().map(|header| (*header).to_owned()).collect());
    for row in rows {
        write(row.into_iter().collect());
    }
    writer.into_inner().unwrap_or_default()
}

/// What native code decodes Windows-1252 with: `encoding_rs`, the WHATWG
/// standard's decoder, for the tests of the import.
#[cfg(test)]
pub(crate) fn windows_1252(bytes: &[u8]) -> Option<String> {
    Some(
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(table: &Table) -> Vec<Vec<&str>> {
        table
            .rows
            .iter()
            .map(|row| row.cells.iter().map(String::as_str).collect())
            .collect()
    }

    #[test]
    fn commas_semicolons_and_tabs_are_detected_from_the_header() {
        for (text, expected) in [
            ("Name,Email\nAcme,a@x.test\n", b','),
            ("Name;Email;Phone\nAcme;a@x.test;1,5\n", b';'),
            ("Name\tEmail\nAcme\ta@x.test\n", b'\t'),
            ("\"Name, full\";Email\n", b';'),
            ("Name\n", b','),
        ] {
            assert_eq!(detect_delimiter(text), expected, "{text:?}");
            assert!(read_table(text.as_bytes(), windows_1252).is_ok());
        }
    }

    #[test]
    fn quoted_cells_keep_their_commas_quotes_and_line_breaks() {
        let file = "Name,Notes\r\n\"Acme, Inc.\",\"Said \"\"hi\"\"\nthen left\"\r\nGlobex,\r\n";
        let table = read_table(file.as_bytes(), windows_1252).expect("reads");
        assert_eq!(table.headers, ["Name", "Notes"]);
        assert_eq!(
            cells(&table),
            [
                vec!["Acme, Inc.", "Said \"hi\"\nthen left"],
                vec!["Globex", ""]
            ]
        );
        assert_eq!(table.rows[1].line, 4, "the quoted line break counts");
    }

    #[test]
    fn a_byte_order_mark_is_dropped_and_windows_1252_is_converted() {
        let table = read_table(b"\xEF\xBB\xBFName\nCaf\xC3\xA9\n", windows_1252).expect("utf-8");
        assert_eq!(table.headers, ["Name"]);
        assert_eq!(cells(&table), [vec!["Café"]]);
        assert_eq!(table.encoding, Some(SourceEncoding::Utf8));
        let table =
            read_table(b"Name;Price\nCaf\xE9 M\xFCller;\x80 5\n", windows_1252).expect("1252");
        assert_eq!(cells(&table), [vec!["Café Müller", "€ 5"]]);
        assert_eq!(table.encoding, Some(SourceEncoding::Windows1252));
    }

    #[test]
    fn hostile_files_are_refused_with_a_sentence_each() {
        let big = vec![b'a'; FILE_MAX_BYTES + 1];
        assert!(matches!(
            read_table(&big, windows_1252),
            Err(FileError::TooLarge { .. })
        ));
        assert_eq!(
            read_table(b"Name\nAc\0me\n", windows_1252),
            Err(FileError::Binary { line: 2 })
        );
        assert_eq!(
            read_table(b"\xFF\xFEN\0a\0", windows_1252),
            Err(FileError::Utf16)
        );
        assert_eq!(
            read_table(b"Name\n\x81\x8D\n", windows_1252),
            Err(FileError::UnknownEncoding)
        );
        assert_eq!(
            read_table(b"Name,Notes\nAcme,\"open\nGlobex,x\n", windows_1252),
            Err(FileError::UnterminatedQuote { line: 2 })
        );
        let wide = vec!["c"; 10_000].join(",");
        assert_eq!(
            read_table(wide.as_bytes(), windows_1252),
            Err(FileError::TooManyColumns {
                line: 1,
                columns: 10_000
            })
        );
        let long = format!("Name\n{}\n", "x".repeat(1024 * 1024));
        assert_eq!(
            read_table(long.as_bytes(), windows_1252),
            Err(FileError::LineTooLong { line: 2 })
        );
        assert_eq!(read_table(b" \n\n", windows_1252), Err(FileError::Empty));
        for error in [
            FileError::TooManyRows,
            FileError::UnterminatedQuote { line: 2 },
        ] {
            assert!(error.to_string().ends_with('.'), "a sentence: {error}");
        }
    }

    #[test]
    fn written_files_open_in_spreadsheets_and_read_back_as_written() {
        let rows = vec![
            vec!["Acme, Inc.".to_owned(), "=HYPERLINK(\"x\")".to_owned()],
            vec!["Zoë \"Z\"".to_owned(), "+44 20 7946 0000".to_owned()],
            vec!["@home".to_owned(), "-5".to_owned()],
        ];
        let bytes = write_csv(&["Name", "Phone"], rows.clone());
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.contains("\r\n'@home,'-5\r\n"), "{text}");
        assert!(text.contains(",\"'=HYPERLINK(\"\"x\"\")\"\r\n"), "{text}");
        let table = read_table(&bytes, windows_1252).expect("reads back");
        assert_eq!(table.headers, ["Name", "Phone"]);
        let read: Vec<Vec<String>> = table.rows.into_iter().map(|row| row.cells).collect();
        assert_eq!(read, rows);
    }
}
