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

/// Joins the parts of a [`SearchText`]; no query contains it.
const SEPARATOR: char = '\u{1}';

/// Keeps only the digits of a text.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

impl SearchText {
    /// Prepares the texts to match against and the phone numbers to match by digits.
    ///
    /// Built straight into one string each: a reload prepares 50,000 of
    /// these before the first screen, where every allocation shows.
    pub fn new(texts: &[&str], phones: &[&str]) -> Self {
        let mut text = String::with_capacity(texts.iter().map(|text| text.len() + 1).sum());
        for (at, part) in texts.iter().enumerate() {
            if at > 0 {
                text.push(SEPARATOR);
            }
            // Whole-string lowercasing: it knows a word's final sigma.
            text.push_str(&part.to_lowercase());
        }
        let mut phone_digits =
            String::with_capacity(phones.iter().map(|phone| phone.len() + 1).sum());
        for (at, phone) in phones.iter().enumerate() {
            if at > 0 {
                phone_digits.push(SEPARATOR);
            }
            phone_digits.extend(phone.chars().filter(char::is_ascii_digit));
        }
        Self { text, phone_digits }
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
