//! Freeze windows: date ranges and weekly windows in a time zone, and when a freeze ends.
//!
//! Civil times are resolved in the window's time zone with jiff's "compatible"
//! disambiguation (as RFC 5545 and most calendars do): a time skipped by a DST jump is read
//! with the offset before the jump (02:30 on a spring-forward night is 03:30 summer time),
//! a time that occurs twice means the first one.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;

/// A window in which no retraining starts.
#[derive(Debug, Clone, PartialEq)]
pub struct FreezeWindow {
    /// Why (shown in the decision), e.g. "holiday freeze".
    pub reason: String,
    /// The IANA name of the time zone its civil times are in.
    pub time_zone_name: String,
    /// The time zone.
    pub time_zone: TimeZone,
    /// A date range or a weekly window.
    pub kind: FreezeKind,
}

/// The two shapes of freeze window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FreezeKind {
    /// From one instant (inclusive) to another (exclusive), resolved from the file's civil
    /// times when the policy was read.
    Range {
        /// The first frozen instant.
        start: Timestamp,
        /// The first instant after the freeze.
        end: Timestamp,
    },
    /// Every week on `days`, from `start_minute` to `end_minute` (minutes after midnight;
    /// an end at or before the start is on the next day, 1440 is midnight at the end of
    /// the day).
    Weekly {
        /// The days a window starts on.
        days: Vec<Weekday>,
        /// Start, in minutes after midnight (0..1440).
        start_minute: u16,
        /// End, in minutes after midnight (0..=1440).
        end_minute: u16,
    },
}

/// The instant of a civil date plus minutes in `tz` (compatible disambiguation).
fn resolve(date: Date, minute: u16, tz: &TimeZone) -> Option<Timestamp> {
    let (date, minute) = if minute >= 1440 {
        (date.tomorrow().ok()?, minute - 1440)
    } else {
        (date, minute)
    };
    let hour = i8::try_from(minute / 60).ok()?;
    let min = i8::try_from(minute % 60).ok()?;
    let datetime: DateTime = date.at(hour, min, 0, 0);
    datetime.to_zoned(tz.clone()).ok().map(|z| z.timestamp())
}

impl FreezeWindow {
    /// When the occurrence of this window that contains `now` ends, or `None` when `now`
    /// is outside it.
    pub fn end_if_contains(&self, now: Timestamp) -> Option<Timestamp> {
        match &self.kind {
            FreezeKind::Range { start, end } => (*start <= now && now < *end).then_some(*end),
            FreezeKind::Weekly {
                days,
                start_minute,
                end_minute,
            } => {
                let today = now.to_zoned(self.time_zone.clone()).date();
                // An occurrence lasts at most a day, so it started today or yesterday.
                let yesterday = today.yesterday().ok();
                for day in yesterday.into_iter().chain([today]) {
                    if !days.contains(&day.weekday()) {
                        continue;
                    }
                    let start = resolve(day, *start_minute, &self.time_zone)?;
                    let end_offset = if end_minute <= start_minute { 1440 } else { 0 };
                    let end = resolve(day, end_minute + end_offset, &self.time_zone)?;
                    if start <= now && now < end {
                        return Some(end);
                    }
                }
                None
            }
        }
    }
}

/// Whether `now` is frozen, and if so until when and by which window: windows that touch
/// or overlap are followed to the end of the whole frozen stretch.
pub fn frozen_until(
    windows: &[FreezeWindow],
    now: Timestamp,
) -> Option<(Timestamp, &FreezeWindow)> {
    let first = windows
        .iter()
        .find_map(|w| w.end_if_contains(now).map(|end| (end, w)))?;
    let mut until = first.0;
    // Each step moves forward by at least one whole occurrence; a week of back-to-back
    // daily windows is at most a few dozen steps, so a bound only guards against a policy
    // that freezes forever.
    for _ in 0..400 {
        match windows.iter().find_map(|w| w.end_if_contains(until)) {
            Some(end) if end > until => until = end,
            _ => break,
        }
    }
    Some((until, first.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn weekly(tz: &str, days: &[Weekday], start: u16, end: u16) -> FreezeWindow {
        FreezeWindow {
            reason: "test".into(),
            time_zone_name: tz.into(),
            time_zone: TimeZone::get(tz).unwrap(),
            kind: FreezeKind::Weekly {
                days: days.to_vec(),
                start_minute: start,
                end_minute: end,
            },
        }
    }

    #[test]
    fn range_is_half_open() {
        let window = FreezeWindow {
            reason: "r".into(),
            time_zone_name: "UTC".into(),
            time_zone: TimeZone::UTC,
            kind: FreezeKind::Range {
                start: ts("2026-12-20T00:00:00Z"),
                end: ts("2027-01-04T00:00:00Z"),
            },
        };
        assert_eq!(window.end_if_contains(ts("2026-12-19T23:59:59Z")), None);
        assert_eq!(
            window.end_if_contains(ts("2026-12-20T00:00:00Z")),
            Some(ts("2027-01-04T00:00:00Z"))
        );
        assert_eq!(window.end_if_contains(ts("2027-01-04T00:00:00Z")), None);
    }

    #[test]
    fn weekly_window_crossing_midnight_in_a_zone() {
        // Friday 22:00 to Saturday 06:00, New York (UTC-5 in January).
        let window = weekly("America/New_York", &[Weekday::Friday], 22 * 60, 6 * 60);
        // 2027-01-08 is a Friday. 22:30 local = 03:30Z Saturday.
        assert_eq!(
            window.end_if_contains(ts("2027-01-09T03:30:00Z")),
            Some(ts("2027-01-09T11:00:00Z"))
        );
        // Saturday 05:59 local, still inside the Friday occurrence.
        assert_eq!(
            window.end_if_contains(ts("2027-01-09T10:59:00Z")),
            Some(ts("2027-01-09T11:00:00Z"))
        );
        assert_eq!(window.end_if_contains(ts("2027-01-09T11:00:00Z")), None);
        // Friday 21:59 local.
        assert_eq!(window.end_if_contains(ts("2027-01-09T02:59:00Z")), None);
        // Thursday night is not frozen (only Friday starts a window).
        assert_eq!(window.end_if_contains(ts("2027-01-08T03:30:00Z")), None);
    }

    #[test]
    fn weekly_window_over_the_autumn_dst_change() {
        // Berlin leaves summer time on Sunday 2026-10-25 at 03:00 CEST (01:00Z).
        // Saturday 22:00 CEST = 20:00Z; Sunday 06:00 CET = 05:00Z: nine hours, not eight.
        let window = weekly("Europe/Berlin", &[Weekday::Saturday], 22 * 60, 6 * 60);
        assert_eq!(window.end_if_contains(ts("2026-10-24T19:59:00Z")), None);
        assert_eq!(
            window.end_if_contains(ts("2026-10-24T20:00:00Z")),
            Some(ts("2026-10-25T05:00:00Z"))
        );
        // 04:30Z is 05:30 CET: still frozen (a fixed +02:00 would have ended at 04:00Z).
        assert!(window.end_if_contains(ts("2026-10-25T04:30:00Z")).is_some());
        assert_eq!(window.end_if_contains(ts("2026-10-25T05:00:00Z")), None);
    }

    #[test]
    fn weekly_window_starting_in_the_spring_gap() {
        // New York skips 02:00-03:00 on Sunday 2027-03-14; a 02:30 start is read with the
        // offset before the jump (-05:00), so it is 07:30Z = 03:30 EDT (RFC 5545).
        let window = weekly("America/New_York", &[Weekday::Sunday], 2 * 60 + 30, 5 * 60);
        assert_eq!(window.end_if_contains(ts("2027-03-14T07:29:00Z")), None);
        assert_eq!(
            window.end_if_contains(ts("2027-03-14T07:30:00Z")),
            Some(ts("2027-03-14T09:00:00Z"))
        );
    }

    #[test]
    fn whole_day_windows_chain_into_one_stretch() {
        // Saturday and Sunday, all day, UTC: frozen from Saturday 00:00 until Monday 00:00.
        let window = weekly("UTC", &[Weekday::Saturday, Weekday::Sunday], 0, 1440);
        let (until, _) =
            frozen_until(std::slice::from_ref(&window), ts("2027-01-09T12:00:00Z")).unwrap();
        assert_eq!(until, ts("2027-01-11T00:00:00Z"));
        assert!(frozen_until(&[window], ts("2027-01-11T00:00:00Z")).is_none());
    }

    #[test]
    fn overlapping_range_and_weekly_windows_extend_each_other() {
        let range = FreezeWindow {
            reason: "release".into(),
            time_zone_name: "UTC".into(),
            time_zone: TimeZone::UTC,
            kind: FreezeKind::Range {
                start: ts("2027-01-07T00:00:00Z"),
                end: ts("2027-01-09T01:00:00Z"),
            },
        };
        let weekend = weekly("UTC", &[Weekday::Saturday], 0, 1440);
        let windows = [range, weekend];
        let (until, by) = frozen_until(&windows, ts("2027-01-08T00:00:00Z")).unwrap();
        assert_eq!(by.reason, "release");
        assert_eq!(until, ts("2027-01-10T00:00:00Z"));
    }
}
