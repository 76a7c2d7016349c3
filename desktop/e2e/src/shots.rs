//! Screenshots for a person to look at (design review, a failure's
//! aftermath), in `PARLEY_E2E_SHOTS` (default: the temporary folder).
//!
//! What must stay true: a screenshot is evidence, never a check; the tests
//! assert on the page, not on these files.

use std::path::PathBuf;

use crate::webdriver::Session;

/// Where screenshots go.
pub fn shots_dir() -> PathBuf {
    std::env::var_os("PARLEY_E2E_SHOTS").map_or_else(std::env::temp_dir, PathBuf::from)
}

/// Saves what the session's page shows as `parley-{name}.png`; its path.
pub async fn shot(c: &Session, name: &str) -> PathBuf {
    let path = shots_dir().join(format!("parley-{name}.png"));
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(&path, png).expect("write screenshot");
    eprintln!("screenshot: {}", path.display());
    path
}
