//! Dates and times as the user's clock shows them, and as a
//! `datetime-local` input reads and writes them.
//!
//! Written as chrono format items rather than format strings: a format
//! string pulls chrono's strftime parser into the WASM bundle.

use chrono::format::{Fixed, Item, Numeric, Pad};
use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};

/// `1 Dec 2026, 09:30`: when an activity happened or is due.
const DAY_MONTH_YEAR_TIME: &[Item<'static>] = &[
    Item::Numeric(Numeric::Day, Pad::None),
    Item::Literal(" "),
    Item::Fixed(Fixed::ShortMonthName),
    Item::Literal(" "),
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal(", "),
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
];

/// `01 Dec 09:30`: when a recent edit conflicted.
const DAY_MONTH_TIME: &[Item<'static>] = &[
    Item::Numeric(Numeric::Day, Pad::Zero),
    Item::Literal(" "),
    Item::Fixed(Fixed::ShortMonthName),
    Item::Literal(" "),
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
];

/// `1 December 2026`: until when an invitation holds.
const LONG_DAY: &[Item<'static>] = &[
    Item::Numeric(Numeric::Day, Pad::None),
    Item::Literal(" "),
    Item::Fixed(Fixed::LongMonthName),
    Item::Literal(" "),
    Item::Numeric(Numeric::Year, Pad::Zero),
];

/// `09:30:05`: when the last sync finished.
const TIME_OF_DAY: &[Item<'static>] = &[
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Second, Pad::Zero),
];

/// `2026-12-01T09:30`, the value of a `datetime-local` input.
const DATE_TIME_INPUT: &[Item<'static>] = &[
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Day, Pad::Zero),
    Item::Literal("T"),
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
];

fn local<Tz: TimeZone>(time: &DateTime<Tz>, items: &'static [Item<'static>]) -> String {
    time.with_timezone(&Local)
        .format_with_items(items.iter())
        .to_string()
}

/// An activity's time: `1 Dec 2026, 09:30`.
pub fn day_month_year_time(time: &DateTime<Utc>) -> String {
    local(time, DAY_MONTH_YEAR_TIME)
}

/// A conflict's time: `01 Dec 09:30`.
pub fn day_month_time(time: &DateTime<Utc>) -> String {
    local(time, DAY_MONTH_TIME)
}

/// A day in words: `1 December 2026`.
pub fn long_day(time: &DateTime<Utc>) -> String {
    local(time, LONG_DAY)
}

/// The time of day to the second: `09:30:05`.
pub fn time_of_day(time: &DateTime<Utc>) -> String {
    local(time, TIME_OF_DAY)
}

/// Today on this clock.
pub fn today() -> chrono::NaiveDate {
    Local::now().date_naive()
}

/// When today ends on this clock, as a UTC instant: what "due today" is
/// measured against.
pub fn end_of_today() -> DateTime<Utc> {
    today()
        .succ_opt()
        .and_then(|tomorrow| tomorrow.and_hms_opt(0, 0, 0))
        .and_then(|midnight| Local.from_local_datetime(&midnight).earliest())
        .map_or_else(Utc::now, |midnight| midnight.with_timezone(&Utc))
}

/// A month as a chart labels it: `Jan`.
pub fn short_month(month: chrono::NaiveDate) -> String {
    month
        .format_with_items([Item::Fixed(Fixed::ShortMonthName)].iter())
        .to_string()
}

/// What a `datetime-local` input shows for a stored time.
pub fn date_time_input<Tz: TimeZone>(time: &DateTime<Tz>) -> String {
    local(time, DATE_TIME_INPUT)
}

/// A `datetime-local` input's value as the time it names on this clock;
/// `None` unless it reads `2026-12-01T09:30` and exists here.
pub fn parse_date_time_input(text: &str) -> Option<DateTime<Local>> {
    let mut parsed = chrono::format::Parsed::new();
    chrono::format::parse(&mut parsed, text, DATE_TIME_INPUT.iter()).ok()?;
    let naive: NaiveDateTime = parsed.to_naive_datetime_with_offset(0).ok()?;
    Local.from_local_datetime(&naive).earliest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_value_reads_back_as_the_time_it_showed() {
        let time = Local
            .with_ymd_and_hms(2026, 12, 1, 9, 30, 0)
            .single()
            .expect("a plain local time");
        let shown = date_time_input(&time);
        assert_eq!(shown, "2026-12-01T09:30");
        assert_eq!(parse_date_time_input(&shown), Some(time));
    }

    #[test]
    fn input_values_of_another_shape_are_refused() {
        for text in [
            "2026-12-01",
            "2026-12-01T09:30:00",
            "01/12/2026 09:30",
            "2026-13-01T09:30",
        ] {
            assert_eq!(parse_date_time_input(text), None, "{text}");
        }
    }
}
