//! The UTC offsets of a time zone over a span of time, as constant-offset pieces.
//!
//! chrono-tz does not expose its transition list, so the pieces are found by probing the
//! zone's offset every [`PROBE_STEP`] seconds and bisecting each change down to the
//! second (tzdb transitions fall on whole seconds). A pair of transitions closer together
//! than the step that returns to the same total offset would be missed; the tz database
//! has none (DST and zone changes are weeks apart).

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// How far apart the offset probes are, in seconds.
pub(crate) const PROBE_STEP: i64 = 6 * 3600;

/// A span of UTC seconds `[start, end)` during which the zone's offset is constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OffsetPiece {
    /// First UTC second of the piece.
    pub(crate) start: i64,
    /// First UTC second after the piece.
    pub(crate) end: i64,
    /// Local time minus UTC, in seconds.
    pub(crate) offset: i64,
}

/// The zone's offset (local minus UTC, in seconds) at UTC second `secs`.
pub(crate) fn offset_at(tz: Tz, secs: i64) -> i64 {
    DateTime::from_timestamp(secs, 0).map_or(0, |t| {
        i64::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    })
}

/// Splits the UTC seconds `[from, to)` into pieces of constant offset, in order.
pub(crate) fn offset_pieces(tz: Tz, from: i64, to: i64) -> Vec<OffsetPiece> {
    let mut pieces = Vec::new();
    let mut start = from;
    let mut offset = offset_at(tz, from);
    let mut probe = from;
    while probe < to {
        let next = (probe + PROBE_STEP).min(to);
        let next_offset = offset_at(tz, next);
        if next_offset == offset {
            probe = next;
            continue;
        }
        // Bisect (probe, next] for a second whose offset differs from `offset`.
        let (mut lo, mut hi) = (probe, next);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if offset_at(tz, mid) == offset {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if hi >= to {
            break;
        }
        pieces.push(OffsetPiece {
            start,
            end: hi,
            offset,
        });
        start = hi;
        offset = offset_at(tz, hi);
        probe = hi;
    }
    pieces.push(OffsetPiece {
        start,
        end: to,
        offset,
    });
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_york_2026_has_two_transitions_at_the_right_seconds() {
        let tz = chrono_tz::America::New_York;
        // 2026-01-01T00:00Z .. 2027-01-01T00:00Z
        let pieces = offset_pieces(tz, 1_767_225_600, 1_798_761_600);
        let starts: Vec<i64> = pieces.iter().skip(1).map(|p| p.start).collect();
        // 2026-03-08T07:00Z and 2026-11-01T06:00Z
        assert_eq!(starts, vec![1_772_953_200, 1_793_512_800]);
        let offsets: Vec<i64> = pieces.iter().map(|p| p.offset).collect();
        assert_eq!(offsets, vec![-18_000, -14_400, -18_000]);
    }
}
