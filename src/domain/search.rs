//! Search as you type, shared by every list: case-insensitive text match, and
//! digit-only match for queries that look like phone numbers.

/// The searchable text of one record, prepared once when the record is read
/// so a keystroke does not re-lowercase every record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchText {
    /// Lowercased searchable texts joined by a separator no query contains.
    text: String,
    /// The digits of the record's phone numbers, so "+44 20 7946" finds "0044207946…".
    phone_digits: String,
}

/// Keeps only the digits of a text.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

impl SearchText {
    /// Prepares the texts to match against and the phone numbers to match by digits.
    pub fn new(texts: &[&str], phones: &[&str]) -> Self {
        Self {
            text: texts
                .iter()
                .map(|text| text.to_lowercase())
                .collect::<Vec<_>>()
                .join("\u{1}"),
            phone_digits: phones
                .iter()
                .map(|phone| digits(phone))
                .collect::<Vec<_>>()
                .join("\u{1}"),
        }
    }

    /// Whether the record matches a prepared query; an empty query matches all.
    pub fn matches(&self, query: &SearchQuery) -> bool {
        if query.lowered.is_empty() {
            return true;
        }
        self.text.contains(&query.lowered)
            || query
                .phone_digits
                .as_deref()
                .is_some_and(|digits| self.phone_digits.contains(digits))
    }
}

/// What the user typed, prepared once per keystroke rather than per record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    lowered: String,
    /// Set when the query looks like a phone number (digits and the usual
    /// separators, at least three digits), so an e-mail address with digits
    /// in it does not match phone numbers.
    phone_digits: Option<String>,
}

impl SearchQuery {
    pub fn new(query: &str) -> Self {
        let query = query.trim();
        let looks_like_phone = query
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
            && digits(query).len() >= 3;
        Self {
            lowered: query.to_lowercase(),
            phone_digits: looks_like_phone.then(|| digits(query)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_text_anywhere_and_phones_by_digits() {
        let record = SearchText::new(&["Acme Ltd", "sales@acme.test"], &["+44 20 7946 0000"]);
        assert!(record.matches(&SearchQuery::new("ACME.test")));
        assert!(record.matches(&SearchQuery::new("(20) 7946")));
        assert!(record.matches(&SearchQuery::new("  ")));
        assert!(!record.matches(&SearchQuery::new("info2079@nowhere.test")));
        assert!(!record.matches(&SearchQuery::new("globex")));
    }
}
