//! Deadline arithmetic: working days (R-A15.2) and calendar hours.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};

use crate::{Calendar, CalendarError, TIME_ZONE};

/// The largest `n` accepted by [`Calendar::add_working_days`] (about 14 years).
pub const MAX_WORKING_DAYS: u32 = 3650;

impl Calendar {
    /// Deadline for "within N working days" of an instant.
    ///
    /// The deadline is the end of the `n`-th working day after the day of
    /// receipt, i.e. 00:00 Asia/Shanghai of the day after that working day,
    /// returned in UTC. The day of receipt (taken in Asia/Shanghai) is never
    /// counted, whatever the hour and whether or not it is a working day.
    /// `n == 0` returns `received` unchanged. See the crate docs for examples.
    ///
    /// # Errors
    ///
    /// [`CalendarError::MissingYear`] naming the first uncovered year the
    /// search reaches; [`CalendarError::TooManyWorkingDays`] when
    /// `n > MAX_WORKING_DAYS`.
    pub fn add_working_days(
        &self,
        received: DateTime<Utc>,
        n: u32,
    ) -> Result<DateTime<Utc>, CalendarError> {
        if n == 0 {
            return Ok(received);
        }
        if n > MAX_WORKING_DAYS {
            return Err(CalendarError::TooManyWorkingDays {
                n,
                max: MAX_WORKING_DAYS,
            });
        }
        // R-A15.2: handling deadlines are counted in working days on the official
        // calendar, in Asia/Shanghai; the day of receipt is not counted.
        // A15: "sign within 1 working day" therefore ends at the end of the
        // first working day after the day of receipt.
        let mut day = received.with_timezone(&TIME_ZONE).date_naive();
        let mut counted = 0;
        // Terminates: each step either counts a working day or advances through
        // a covered year; finitely many years are covered, so an uncovered year
        // (an error) is reached otherwise.
        while counted < n {
            day = next_day(day)?;
            if self.is_working_day(day)? {
                counted += 1;
            }
        }
        start_of_day(next_day(day)?)
    }

    /// Deadline for "within N hours": calendar hours, holidays not skipped
    /// (urgent matters). Saturates at the largest representable instant.
    pub fn add_calendar_hours(&self, received: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
        TimeDelta::try_hours(i64::from(hours))
            .and_then(|delta| received.checked_add_signed(delta))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

fn next_day(day: NaiveDate) -> Result<NaiveDate, CalendarError> {
    day.succ_opt().ok_or(CalendarError::OutOfRange(day))
}

/// 00:00 Asia/Shanghai on `day`, in UTC.
pub(crate) fn start_of_day(day: NaiveDate) -> Result<DateTime<Utc>, CalendarError> {
    TIME_ZONE
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or(CalendarError::OutOfRange(day))
}
