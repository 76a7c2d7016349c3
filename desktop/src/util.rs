//! Small pure helpers for display: times, day labels, initials, avatar
//! colours, "Alice is typing…". Host-testable; the browser only supplies the
//! current time and the local UTC offset.

use parley_shared::api::{Channel, ChannelKind, User};
use parley_shared::{Timestamp, UserId};
use time::{OffsetDateTime, UtcOffset};

/// Local calendar date and time of an instant, given the UTC offset in minutes.
fn local(ts: Timestamp, offset_min: i32) -> Option<OffsetDateTime> {
    let off = UtcOffset::from_whole_seconds(offset_min * 60).ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts.millis()) * 1_000_000)
        .ok()
        .map(|t| t.to_offset(off))
}

/// "9:05 AM".
pub fn clock(ts: Timestamp, offset_min: i32) -> String {
    let Some(t) = local(ts, offset_min) else {
        return String::new();
    };
    let (h, m) = (t.hour(), t.minute());
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    format!("{h12}:{m:02} {}", if h < 12 { "AM" } else { "PM" })
}

/// A day number that changes at local midnight (for day separators).
pub fn day_key(ts: Timestamp, offset_min: i32) -> i32 {
    local(ts, offset_min).map_or(0, |t| t.date().to_julian_day())
}

/// "Today", "Yesterday", or "Monday, March 3" (with the year when it differs).
pub fn day_label(ts: Timestamp, now: Timestamp, offset_min: i32) -> String {
    let (Some(t), Some(n)) = (local(ts, offset_min), local(now, offset_min)) else {
        return String::new();
    };
    let diff = n.date().to_julian_day() - t.date().to_julian_day();
    match diff {
        0 => "Today".into(),
        1 => "Yesterday".into(),
        _ if t.year() == n.year() => format!("{}, {} {}", t.weekday(), t.month(), t.day()),
        _ => format!("{}, {} {}, {}", t.weekday(), t.month(), t.day(), t.year()),
    }
}

/// When something ends, as a person says it: "3:00 PM" today,
/// "tomorrow 8:00 AM", or "Monday, March 4 8:00 AM".
pub fn until_label(until: Timestamp, now: Timestamp, offset_min: i32) -> String {
    let (Some(t), Some(n)) = (local(until, offset_min), local(now, offset_min)) else {
        return String::new();
    };
    let time = clock(until, offset_min);
    match t.date().to_julian_day() - n.date().to_julian_day() {
        0 => time,
        1 => format!("tomorrow {time}"),
        _ => format!("{}, {} {} {time}", t.weekday(), t.month(), t.day()),
    }
}

/// Up to two initials for an avatar: "Alice Kim" → "AK", "bob" → "B".
pub fn initials(name: &str) -> String {
    let mut out: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if out.is_empty() {
        out.push('?');
    }
    out
}

/// A stable hue per user so the same person always has the same colour.
pub fn avatar_hue(id: UserId) -> u32 {
    // Snowflake ids share their high bits; mix before taking the hue.
    let mut x = id.get() as u64;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % 360) as u32
}

pub fn display_name(u: &User) -> &str {
    if u.display_name.trim().is_empty() {
        &u.username
    } else {
        &u.display_name
    }
}

/// "Alice is typing…", "Alice and Bob are typing…", "Several people are typing…".
pub fn typing_text(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [a] => format!("{a} is typing…"),
        [a, b] => format!("{a} and {b} are typing…"),
        [a, b, c] => format!("{a}, {b} and {c} are typing…"),
        _ => "Several people are typing…".into(),
    }
}

/// What the sidebar and header call a channel: `general` for channels, the
/// other people's names for a DM.
pub fn channel_title(c: &Channel, me: Option<UserId>) -> String {
    match c.kind {
        ChannelKind::Dm | ChannelKind::GroupDm => {
            let names: Vec<&str> = c
                .members
                .iter()
                .flatten()
                .filter(|u| Some(u.id) != me)
                .map(display_name)
                .collect();
            if names.is_empty() {
                // A DM with yourself.
                c.members
                    .iter()
                    .flatten()
                    .next()
                    .map_or_else(|| c.name.clone(), |u| format!("{} (you)", display_name(u)))
            } else {
                names.join(", ")
            }
        }
        _ => c.name.clone(),
    }
}

pub fn is_dm(c: &Channel) -> bool {
    matches!(c.kind, ChannelKind::Dm | ChannelKind::GroupDm)
}

/// The emoji character for a stored reaction (`:tada:` → 🎉).
pub fn emoji_glyph(stored: &str) -> String {
    stored
        .strip_prefix(':')
        .and_then(|s| s.strip_suffix(':'))
        .and_then(emojis::get_by_shortcode)
        .map_or_else(|| stored.to_owned(), |e| e.as_str().to_owned())
}

/// The word being typed at the end of `before_cursor` if it is an
/// `@mention` in progress: returns (byte index of '@', partial name).
pub fn mention_query(before_cursor: &str) -> Option<(usize, String)> {
    let at = before_cursor.rfind('@')?;
    let prefix_ok = before_cursor[..at]
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || c == '(');
    let word = &before_cursor[at + 1..];
    let ok = prefix_ok
        && word.len() <= parley_shared::validate::USERNAME_MAX
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    ok.then(|| (at, word.to_lowercase()))
}

/// Splits `text` around highlight ranges (character offsets, end exclusive)
/// into (text, highlighted) pieces for search results.
pub fn split_highlights(text: &str, ranges: &[[u32; 2]]) -> Vec<(String, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut sorted: Vec<[u32; 2]> = ranges.to_vec();
    sorted.sort_unstable();
    for [s, e] in sorted {
        let (s, e) = (s as usize, (e as usize).min(chars.len()));
        if s < pos || s >= e {
            continue;
        }
        if s > pos {
            out.push((chars[pos..s].iter().collect(), false));
        }
        out.push((chars[s..e].iter().collect(), true));
        pos = e;
    }
    if pos < chars.len() {
        out.push((chars[pos..].iter().collect(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_days_use_the_local_offset() {
        // 2024-03-04T23:30:00Z
        let ts = Timestamp::parse_rfc3339("2024-03-04T23:30:00Z").expect("valid");
        assert_eq!(clock(ts, 0), "11:30 PM");
        assert_eq!(clock(ts, 9 * 60), "8:30 AM");
        assert_ne!(day_key(ts, 0), day_key(ts, 60));
        let now = Timestamp::parse_rfc3339("2024-03-05T08:00:00Z").expect("valid");
        assert_eq!(day_label(ts, now, 0), "Yesterday");
        assert_eq!(day_label(ts, now, 60), "Today");
        let later = Timestamp::parse_rfc3339("2024-03-20T08:00:00Z").expect("valid");
        assert_eq!(day_label(ts, later, 0), "Monday, March 4");
    }

    #[test]
    fn ends_are_said_from_today() {
        let now = Timestamp::parse_rfc3339("2024-03-04T10:00:00Z").expect("valid");
        let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid");
        assert_eq!(until_label(at("2024-03-04T15:00:00Z"), now, 0), "3:00 PM");
        assert_eq!(
            until_label(at("2024-03-05T08:00:00Z"), now, 0),
            "tomorrow 8:00 AM"
        );
        assert_eq!(
            until_label(at("2024-03-05T08:00:00Z"), now, -600),
            "10:00 PM",
            "still today ten hours west"
        );
        assert_eq!(
            until_label(at("2024-03-07T08:00:00Z"), now, 0),
            "Thursday, March 7 8:00 AM"
        );
    }

    #[test]
    fn initials_and_typing() {
        assert_eq!(initials("Alice Kim"), "AK");
        assert_eq!(initials("bob"), "B");
        assert_eq!(initials("  "), "?");
        assert_eq!(typing_text(&["Alice".into()]), "Alice is typing…");
        assert_eq!(
            typing_text(&["A".into(), "B".into()]),
            "A and B are typing…"
        );
    }

    #[test]
    fn mention_query_finds_the_word_in_progress() {
        assert_eq!(mention_query("hi @Al"), Some((3, "al".into())));
        assert_eq!(mention_query("@"), Some((0, String::new())));
        assert_eq!(mention_query("mail bob@ex"), None);
        assert_eq!(mention_query("hi @al ice"), None);
    }

    #[test]
    fn highlights_split_by_characters() {
        assert_eq!(
            split_highlights("한글 search text", &[[3, 9]]),
            vec![
                ("한글 ".to_owned(), false),
                ("search".to_owned(), true),
                (" text".to_owned(), false)
            ]
        );
        assert_eq!(emoji_glyph(":tada:"), "🎉");
        assert_eq!(emoji_glyph("👍"), "👍");
    }
}
