//! Reminder points before a due instant (A17: remind the unit before the limit runs out).
//!
//! A reminder point is a fraction of the time allowed: 0.5 fires when half of the time from
//! the start of the clock to its due instant has passed, 0.8 when four fifths have. Points
//! are kept in thousandths ([`ReminderPoint`]), so the point a reminder was sent for is an
//! exact key (`deadline_watcher.reminders_sent`), never a float compared for equality.

use chrono::{DateTime, Utc};

/// A reminder point, in thousandths of the time allowed (1..=999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReminderPoint(u16);

/// A configured reminder fraction that is not strictly between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("reminder fraction {0} is not strictly between 0 and 1 (in thousandths)")]
pub struct InvalidFraction(pub f64);

impl ReminderPoint {
    /// The point for `fraction` of the time allowed, rounded to thousandths.
    ///
    /// # Errors
    ///
    /// [`InvalidFraction`] unless the rounded fraction lies strictly between 0 and 1: a
    /// reminder at the start or at the due instant reminds nobody in time.
    pub fn from_fraction(fraction: f64) -> Result<Self, InvalidFraction> {
        let permille = (fraction * 1000.0).round();
        if permille.is_finite() && (1.0..=999.0).contains(&permille) {
            // In 1..=999, so the cast is exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(Self(permille as u16))
        } else {
            Err(InvalidFraction(fraction))
        }
    }

    /// The point of `permille` thousandths, if in 1..=999.
    pub fn from_permille(permille: u16) -> Option<Self> {
        (1..=999).contains(&permille).then_some(Self(permille))
    }

    /// The point in thousandths (the stored key).
    pub fn permille(self) -> u16 {
        self.0
    }

    /// When this point is reached on a clock running from `started_at` to `due_at`.
    pub fn instant(self, started_at: DateTime<Utc>, due_at: DateTime<Utc>) -> DateTime<Utc> {
        let allowed = due_at - started_at;
        started_at + allowed * i32::from(self.0) / 1000
    }
}

/// The configured fractions as reminder points, sorted and without duplicates.
///
/// # Errors
///
/// The first fraction that is not strictly between 0 and 1.
pub fn reminder_points(fractions: &[f64]) -> Result<Vec<ReminderPoint>, InvalidFraction> {
    let mut points = fractions
        .iter()
        .map(|&f| ReminderPoint::from_fraction(f))
        .collect::<Result<Vec<_>, _>>()?;
    points.sort_unstable();
    points.dedup();
    Ok(points)
}

/// Whether the reminder at `point` is due at `now` for a running clock from `started_at` to
/// `due_at`: the point has been reached and the due instant has not passed (past it, the
/// overdue scan flags the clock instead; a reminder then would come too late to help).
pub fn reminder_due(
    point: ReminderPoint,
    started_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    point.instant(started_at, due_at) <= now && now <= due_at && due_at > started_at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_points_are_half_and_four_fifths_of_the_time_allowed() {
        let points = reminder_points(&[0.8, 0.5, 0.5]).unwrap();
        assert_eq!(
            points.iter().map(|p| p.permille()).collect::<Vec<_>>(),
            [500, 800]
        );
        let start = at("2026-11-03T02:00:00Z");
        let due = at("2026-11-04T02:00:00Z");
        assert_eq!(points[0].instant(start, due), at("2026-11-03T14:00:00Z"));
        assert_eq!(points[1].instant(start, due), at("2026-11-03T21:12:00Z"));
    }

    #[test]
    fn fractions_outside_the_open_unit_interval_are_refused() {
        for f in [0.0, 1.0, -0.2, 1.5, f64::NAN, 0.0001, 0.9996] {
            assert!(ReminderPoint::from_fraction(f).is_err(), "{f}");
        }
        assert_eq!(ReminderPoint::from_fraction(0.001).unwrap().permille(), 1);
        assert_eq!(ReminderPoint::from_fraction(0.999).unwrap().permille(), 999);
    }

    #[test]
    fn a_reminder_is_due_from_its_point_until_the_due_instant() {
        let half = ReminderPoint::from_fraction(0.5).unwrap();
        let start = at("2026-11-03T00:00:00Z");
        let due = at("2026-11-03T10:00:00Z");
        assert!(!reminder_due(half, start, due, at("2026-11-03T04:59:59Z")));
        assert!(reminder_due(half, start, due, at("2026-11-03T05:00:00Z")));
        assert!(reminder_due(half, start, due, at("2026-11-03T10:00:00Z")));
        assert!(!reminder_due(half, start, due, at("2026-11-03T10:00:01Z")));
        assert!(
            !reminder_due(half, due, due, due),
            "no time allowed, no reminder"
        );
    }
}
