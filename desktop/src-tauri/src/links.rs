//! Links never take the window away from Parley: the webview may only show
//! the app's own pages, and a web or mail address opens in the OS's browser
//! or mail app instead (through `tauri-plugin-opener`).
//!
//! The UI already sends link clicks to the opener; this guard catches every
//! other way a navigation can start (a script, a dragged link, a form), so
//! the window can never end up on a page with no way back to the app.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Runtime, Url};
use tauri_plugin_opener::OpenerExt;

/// What a navigation to `url` should do.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// The app's own page (`tauri://localhost`, `http://tauri.localhost`,
    /// or the dev server): the webview goes there.
    Stay,
    /// A web or mail address: opened outside, the webview stays.
    OpenOutside,
    /// Anything else (file:, data:, custom schemes): refused.
    Refuse,
}

/// Decides a navigation; pure, so it is unit-tested without a window.
pub fn decide(url: &Url) -> Decision {
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "tauri" if host == "localhost" => Decision::Stay,
        "http" | "https" if host == "tauri.localhost" => Decision::Stay,
        // Tauri's IPC goes through its own origins and custom protocols.
        "ipc" | "asset" => Decision::Stay,
        "http" | "https" if host == "ipc.localhost" || host == "asset.localhost" => Decision::Stay,
        "about" if url.path() == "blank" => Decision::Stay,
        "http" | "https" | "mailto" => Decision::OpenOutside,
        _ => Decision::Refuse,
    }
}

/// The plugin that applies [`decide`] to every navigation of every webview.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("link-guard")
        .on_navigation(|webview, url| match decide(url) {
            Decision::Stay => true,
            Decision::OpenOutside => {
                if let Err(e) = webview.opener().open_url(url.as_str(), None::<&str>) {
                    eprintln!("parley: cannot open {url}: {e}");
                }
                false
            }
            Decision::Refuse => {
                eprintln!("parley: refused to navigate the window to {url}");
                false
            }
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::{decide, Decision};
    use tauri::Url;

    fn d(s: &str) -> Decision {
        match Url::parse(s) {
            Ok(u) => decide(&u),
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn the_window_stays_on_the_app() {
        assert_eq!(d("tauri://localhost/c/12"), Decision::Stay);
        assert_eq!(d("http://tauri.localhost/"), Decision::Stay);
        assert_eq!(d("https://example.com/page"), Decision::OpenOutside);
        assert_eq!(d("http://127.0.0.1:8080/"), Decision::OpenOutside);
        assert_eq!(d("mailto:bob@example.com"), Decision::OpenOutside);
        assert_eq!(
            d("http://tauri.localhost.evil.example/"),
            Decision::OpenOutside
        );
        assert_eq!(d("file:///etc/passwd"), Decision::Refuse);
        assert_eq!(d("data:text/html,hi"), Decision::Refuse);
    }
}
