//! Page zoom for the desktop app: Ctrl (Cmd on macOS) with `+`/`=`, `-` or
//! `0`, kept across starts. A browser zooms on its own; the Tauri webview
//! does not, so the platform layer drives the webview's zoom from these
//! rules (pure, so they are tested on the host).

/// The levels browsers step through, so the app zooms like one.
const LEVELS: [f64; 12] = [
    0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0,
];
const MIN: f64 = LEVELS[0];
const MAX: f64 = LEVELS[LEVELS.len() - 1];

/// Where the level is kept (the webview's storage: not a secret).
pub const KEY: &str = "parley.zoom";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zoom {
    In,
    Out,
    Reset,
}

/// What a key press asks for, if anything.
pub fn from_key(key: &str, ctrl_or_cmd: bool) -> Option<Zoom> {
    if !ctrl_or_cmd {
        return None;
    }
    match key {
        "+" | "=" => Some(Zoom::In),
        "-" | "_" => Some(Zoom::Out),
        "0" => Some(Zoom::Reset),
        _ => None,
    }
}

/// The level after `zoom`, from any current level (a saved one may be
/// between steps); it stops at the smallest and largest step.
pub fn next(current: f64, zoom: Zoom) -> f64 {
    const EPS: f64 = 1e-6;
    match zoom {
        Zoom::Reset => 1.0,
        Zoom::In => LEVELS
            .iter()
            .copied()
            .find(|l| *l > current + EPS)
            .unwrap_or(MAX),
        Zoom::Out => LEVELS
            .iter()
            .rev()
            .copied()
            .find(|l| *l < current - EPS)
            .unwrap_or(MIN),
    }
}

/// A saved level; anything unreadable or out of range is 100 %.
pub fn parse(saved: Option<&str>) -> f64 {
    saved
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| (MIN..=MAX).contains(v))
        .unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ctrl_or_cmd_with_plus_minus_or_zero_zooms() {
        assert_eq!(from_key("=", true), Some(Zoom::In));
        assert_eq!(from_key("+", true), Some(Zoom::In));
        assert_eq!(from_key("-", true), Some(Zoom::Out));
        assert_eq!(from_key("0", true), Some(Zoom::Reset));
        assert_eq!(from_key("=", false), None);
        assert_eq!(from_key("k", true), None);
    }

    #[test]
    fn steps_like_a_browser_and_stops_at_the_ends() {
        assert_eq!(next(1.0, Zoom::In), 1.1);
        assert_eq!(next(1.0, Zoom::Out), 0.9);
        assert_eq!(next(1.2, Zoom::In), 1.25);
        assert_eq!(next(1.2, Zoom::Out), 1.1);
        assert_eq!(next(3.0, Zoom::In), 3.0);
        assert_eq!(next(0.5, Zoom::Out), 0.5);
        assert_eq!(next(2.5, Zoom::Reset), 1.0);
    }

    #[test]
    fn a_bad_saved_level_is_one_hundred_percent() {
        assert_eq!(parse(Some("1.25")), 1.25);
        assert_eq!(parse(None), 1.0);
        assert_eq!(parse(Some("huge")), 1.0);
        assert_eq!(parse(Some("40")), 1.0);
        assert_eq!(parse(Some("NaN")), 1.0);
    }
}
