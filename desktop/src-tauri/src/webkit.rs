//! WebKitGTK set up for one chat window rather than a web browser, to keep
//! the app's memory down (docs/benchmarks.md, "Desktop", has the numbers
//! each setting bought).
//!
//! Two kinds of knobs: environment variables, which WebKit and
//! JavaScriptCore read once when their processes start (so [`env_defaults`]
//! must run first thing in `main`, before GTK or any thread exists), and
//! per-webview settings applied to the window once it exists ([`tune`]).
//! A variable the user already set is left alone, and
//! `PARLEY_WEBKIT_TUNING=off` skips all of it (to measure what it buys).

use tauri::{Runtime, WebviewWindow};

fn enabled() -> bool {
    std::env::var("PARLEY_WEBKIT_TUNING").map_or(true, |v| v != "off")
}

/// The environment WebKit's processes start with; set before GTK starts.
pub fn env_defaults() {
    if !enabled() {
        return;
    }
    for (key, value) in ENV {
        if std::env::var_os(key).is_none() {
            // Safe while single-threaded: this runs first thing in main.
            std::env::set_var(key, value);
        }
    }
}

/// Measured one by one; only those that helped are here.
const ENV: &[(&str, &str)] = &[
    // WebKitGTK 2.46+ rasterizes with OpenGL; without a GPU that is Mesa's
    // software GL, whose buffers cost the web process 26 MiB (PSS, attempt 2
    // in docs/benchmarks.md). Skia on the CPU draws the same page.
    ("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"),
    // A chat page has nothing to composite on a GPU: drawn straight into
    // the window, the web process keeps no compositing layers or GL
    // buffers (−63 MiB PSS, attempt 4). Set here, before any WebKit
    // process starts, rather than as the webview's hardware-acceleration
    // policy, which can only be switched once the page is already loading
    // (attempt 5, withdrawn after desktop tests lost their page).
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    // No top compiler tier for JavaScript (FTL) or wasm (OMG): their shared
    // backend (B3/Air) is where the web process crashed in about one desktop
    // test run in twenty ("page crash or hang"; the kernel's segfault line
    // points into libjavascriptcoregtk's B3 Air code). A chat page never
    // runs hot enough to need them; memory and start are unchanged
    // (attempts 6 and 24 in docs/benchmarks.md).
    ("JSC_useFTLJIT", "0"),
    ("JSC_useOMGJIT", "0"),
];

/// Underlines misspelled words as the browsers and the Windows and macOS
/// webviews do; WebKitGTK leaves spell checking off unless asked, and then
/// needs the languages (enchant's dictionaries, e.g. Debian's
/// `hunspell-en-us`). Not part of [`tune`]: it is a feature, not a knob.
pub fn spell_check<R: Runtime>(window: &WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let languages = spelling_languages(&locale());
        let done = window.with_webview(move |pv| {
            use webkit2gtk::{WebContextExt, WebViewExt};
            if let Some(ctx) = pv.inner().context() {
                let languages: Vec<&str> = languages.iter().map(String::as_str).collect();
                ctx.set_spell_checking_languages(&languages);
                ctx.set_spell_checking_enabled(true);
            }
        });
        if let Err(e) = done {
            eprintln!("parley: no spell checking: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// The right-click menu of an app, not of a browser: WebKitGTK's own has
/// Back, Forward, Stop and Reload, "Open … in New Window" and "Save …
/// As" items that make no sense in Parley's one window (a reload drops
/// what is on screen, new windows are refused, and saving goes through
/// the app's own Download), and a debug build's "Inspect Element".
/// What edits, copies and corrects spelling stays.
pub fn app_context_menu<R: Runtime>(window: &WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let done = window.with_webview(|pv| {
            use webkit2gtk::{ContextMenuExt, ContextMenuItemExt, WebViewExt};
            pv.inner().connect_context_menu(|_, menu, _, _| {
                for item in menu.items() {
                    if !item.is_separator() && !in_app_menu(item.stock_action()) {
                        menu.remove(&item);
                    }
                }
                // No separator may lead, trail or follow another.
                let mut last_was_separator = true;
                for item in menu.items() {
                    if item.is_separator() && last_was_separator {
                        menu.remove(&item);
                    }
                    last_was_separator = item.is_separator();
                }
                if let Some(last) = menu.items().last() {
                    if last.is_separator() {
                        menu.remove(last);
                    }
                }
                // Nothing left (a right-click on plain page): no menu.
                menu.n_items() == 0
            });
        });
        if let Err(e) = done {
            eprintln!("parley: browser context menu kept: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// Whether a right-click menu item belongs in the app (see
/// [`app_context_menu`]).
#[cfg(target_os = "linux")]
fn in_app_menu(action: webkit2gtk::ContextMenuAction) -> bool {
    use webkit2gtk::ContextMenuAction as A;
    !matches!(
        action,
        A::GoBack
            | A::GoForward
            | A::Stop
            | A::Reload
            | A::OpenLinkInNewWindow
            | A::OpenImageInNewWindow
            | A::OpenFrameInNewWindow
            | A::OpenVideoInNewWindow
            | A::OpenAudioInNewWindow
            | A::DownloadLinkToDisk
            | A::DownloadImageToDisk
            | A::DownloadVideoToDisk
            | A::DownloadAudioToDisk
            // Debug builds: Ctrl+Shift+I still opens the inspector.
            | A::InspectElement
    )
}

/// The locale messages are in, by POSIX precedence.
#[cfg(target_os = "linux")]
fn locale() -> String {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default()
}

/// The user's language (`de_DE.UTF-8` → `de_DE`) and English, which chat
/// about software mixes in whatever the locale.
#[cfg(any(target_os = "linux", test))]
fn spelling_languages(locale: &str) -> Vec<String> {
    let lang = locale
        .split(['.', '@'])
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut out = Vec::new();
    if !lang.is_empty() && lang != "C" && lang != "POSIX" {
        out.push(lang);
    }
    if !out.iter().any(|l| l == "en_US") {
        out.push("en_US".to_owned());
    }
    out
}

/// Applies the per-webview settings (Linux; other systems' webviews keep
/// their defaults).
pub fn tune<R: Runtime>(window: &WebviewWindow<R>) {
    if !enabled() {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let done = window.with_webview(|pv| {
            use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
            let view = pv.inner();
            if let Some(s) = WebViewExt::settings(&view) {
                // Back/forward never leaves the app's one page: no cache
                // of whole pages.
                s.set_enable_page_cache(false);
                s.set_enable_smooth_scrolling(false);
                // The inspector's hooks cost memory in release builds.
                s.set_enable_developer_extras(cfg!(debug_assertions));
                // A debug build shows the page's console on stderr, so a
                // page that fails to start says why in the test's log.
                s.set_enable_write_console_messages_to_stdout(cfg!(debug_assertions));
            }
            if let Some(ctx) = view.context() {
                // One app, not a browsing session: the smallest caches.
                ctx.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = done {
            eprintln!("parley: cannot tune the webview: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

#[cfg(test)]
mod tests {
    use super::spelling_languages;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_menu_keeps_editing_and_drops_browsing() {
        use super::in_app_menu;
        use webkit2gtk::ContextMenuAction as A;
        for keep in [
            A::Copy,
            A::Cut,
            A::Paste,
            A::SelectAll,
            A::SpellingGuess,
            A::IgnoreSpelling,
            A::CopyLinkToClipboard,
            A::CopyImageToClipboard,
            A::OpenLink,
            A::Unicode,
        ] {
            assert!(in_app_menu(keep), "{keep:?} stays");
        }
        for drop in [
            A::GoBack,
            A::GoForward,
            A::Stop,
            A::Reload,
            A::OpenLinkInNewWindow,
            A::OpenImageInNewWindow,
            A::DownloadImageToDisk,
            A::InspectElement,
        ] {
            assert!(!in_app_menu(drop), "{drop:?} goes");
        }
    }

    #[test]
    fn spelling_follows_the_locale_and_keeps_english() {
        assert_eq!(spelling_languages("de_DE.UTF-8"), ["de_DE", "en_US"]);
        assert_eq!(spelling_languages("fr_FR@euro"), ["fr_FR", "en_US"]);
        assert_eq!(spelling_languages("en_US.UTF-8"), ["en_US"]);
        assert_eq!(spelling_languages("C.UTF-8"), ["en_US"]);
        assert_eq!(spelling_languages(""), ["en_US"]);
    }
}
