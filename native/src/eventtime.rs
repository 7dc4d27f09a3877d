//! Bounds on event time (the rules of `detectors.eventtime`): against the wall
//! clock and against a source's own clock, the latest event time it admitted.
//!
//! The clock is plain data carried in and out of each batch: the latest admitted
//! time (`-1` before any) and the time of a refused jump waiting for a second
//! event to confirm it. The wall clock is data too (`now_ms`, read once per batch
//! by the caller; `None` skips that bound).

/// Event time accepted at most this far after the wall clock (1 hour).
pub const MAX_FUTURE_MS: i64 = 3_600_000;
/// Event time accepted at most this far from the source's clock, either way (7 days).
pub const MAX_SKEW_MS: i64 = 7 * 86_400_000;

/// The limits an event's time is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub max_future_ms: i64,
    pub max_skew_ms: i64,
    /// The wall clock in epoch ms, or None (no wall-clock bound).
    pub now_ms: Option<i64>,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_future_ms: MAX_FUTURE_MS,
            max_skew_ms: MAX_SKEW_MS,
            now_ms: None,
        }
    }
}

/// One source's clock: the latest admitted event time and a refused jump, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub clock: i64,
    pub pending: Option<i64>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            clock: -1,
            pending: None,
        }
    }
}

impl Clock {
    /// None if `ts` is admitted (the clock moves to it if later), else the reason code.
    ///
    /// A jump beyond the skew is refused once; a second event within the skew of
    /// the refused one is admitted and moves the clock.
    pub fn admit(&mut self, ts: i64, bounds: &Bounds) -> Option<&'static str> {
        if let Some(now) = bounds.now_ms {
            if ts > now.saturating_add(bounds.max_future_ms) {
                return Some("ts_future");
            }
        }
        let (clock, skew) = (self.clock, bounds.max_skew_ms);
        if clock < 0 || (clock.saturating_sub(skew) <= ts && ts <= clock.saturating_add(skew)) {
            self.pending = None;
            if ts > clock {
                self.clock = ts;
            }
            return None;
        }
        if ts < clock {
            return Some("ts_behind");
        }
        if let Some(pending) = self.pending {
            if (i128::from(ts) - i128::from(pending)).abs() <= i128::from(skew) {
                self.pending = None;
                self.clock = ts;
                return None;
            }
        }
        self.pending = Some(ts);
        Some("ts_ahead")
    }

    /// The detail of a refused event time (the clock as it was when refusing).
    pub fn describe(&self, reason: &str, ts: i64, bounds: &Bounds) -> String {
        if reason == "ts_future" {
            let now = bounds.now_ms.map_or("None".to_string(), |n| n.to_string());
            return format!(
                "ts {ts} is more than {} ms after the wall clock {now}",
                bounds.max_future_ms
            );
        }
        let place = if reason == "ts_ahead" {
            "after"
        } else {
            "before"
        };
        format!(
            "ts {ts} is more than {} ms {place} the stream clock {}",
            bounds.max_skew_ms, self.clock
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(skew: i64, now: Option<i64>) -> Bounds {
        Bounds {
            max_future_ms: MAX_FUTURE_MS,
            max_skew_ms: skew,
            now_ms: now,
        }
    }

    #[test]
    fn refuses_outliers_and_follows_a_real_jump() {
        let b = bounds(1_000, None);
        let mut c = Clock::default();
        let got: Vec<_> = [5_000, 5_900, 99_000, 6_000, 3_000]
            .iter()
            .map(|&ts| c.admit(ts, &b))
            .collect();
        assert_eq!(got, [None, None, Some("ts_ahead"), None, Some("ts_behind")]);
        assert_eq!(c.clock, 6_000);
        assert_eq!(c.admit(50_000, &b), Some("ts_ahead"));
        assert_eq!(c.admit(50_500, &b), None);
        assert_eq!(c.clock, 50_500);
        assert_eq!(
            c.describe("ts_behind", 1, &b),
            "ts 1 is more than 1000 ms before the stream clock 50500"
        );
    }

    #[test]
    fn wall_clock_bound_and_no_overflow() {
        let b = bounds(i64::MAX, Some(1_736_726_400_000));
        let mut c = Clock::default();
        assert_eq!(c.admit(4_000_000_000_000, &b), Some("ts_future"));
        assert_eq!(c.admit(5, &b), None);
        assert_eq!(c.admit(1_736_726_400_000, &b), None);
        let far = bounds(1, Some(i64::MAX));
        assert_eq!(c.admit(0, &far), Some("ts_behind"));
    }
}
