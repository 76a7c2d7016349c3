//! Whether a test can run here: finding the programs it needs, and skipping
//! loudly when they are missing.
//!
//! What must stay true: under `CI=true` (or `CI=1`) a test that cannot run
//! fails; it only skips, with a warning no one can miss, elsewhere.

use std::path::PathBuf;

/// Whether this is a CI run, where a skipped test is a failed one.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips (loudly) outside CI, fails in CI. `test` names the test ("browser",
/// "desktop"), `fix` is the command (and what it does) that makes it runnable.
pub fn unavailable(test: &str, why: &str, fix: &str) {
    if in_ci() {
        panic!("CI=true but the {test} test cannot run: {why}");
    }
    eprintln!(
        "\n\x1b[1;33m!!! SKIPPED: {test} end-to-end test — {why}\n\
         !!! Run {fix}.\x1b[0m\n"
    );
}

/// The first of `names` found on `PATH` (programs go by several names across
/// distributions: chromium, chromium-browser, google-chrome).
pub fn find_binary(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// What a test of the desktop app needs from its session: the environment
/// variables `vars` set (DISPLAY, the D-Bus session…), the built app
/// (`PARLEY_DESKTOP_BIN`), tauri-driver, and `tools` on `PATH`. The app
/// and tauri-driver, or why the test cannot run.
pub fn desktop_rig(vars: &[&str], tools: &[&str]) -> Result<(PathBuf, PathBuf), String> {
    if let Some(var) = vars.iter().find(|v| std::env::var_os(v).is_none()) {
        return Err(format!("{var} is not set (no desktop session)"));
    }
    let app_bin = std::env::var_os("PARLEY_DESKTOP_BIN")
        .map(PathBuf::from)
        .ok_or("PARLEY_DESKTOP_BIN is not set (the built parley-desktop)")?;
    if !app_bin.is_file() {
        return Err(format!("{} does not exist", app_bin.display()));
    }
    let tauri_driver = find_binary(&["tauri-driver"])
        .ok_or("tauri-driver is missing (cargo install tauri-driver --version 2.1.0 --locked)")?;
    if let Some(tool) = tools.iter().find(|t| find_binary(&[t]).is_none()) {
        return Err(format!("{tool} is missing"));
    }
    Ok((app_bin, tauri_driver))
}
