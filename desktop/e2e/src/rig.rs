//! What every browser test starts from: a temporary folder, a server that
//! serves the built UI, and a chromedriver; and the lock that runs the
//! browser scenarios of one test binary one at a time.
//!
//! What must stay true: a test that cannot run here (no Chromium, no built
//! UI) gets `None` after a loud skip — a failure under `CI=true` — and
//! everything a rig started ends with it.

use std::path::PathBuf;

use crate::chrome::Chrome;
use crate::server::{web_dir, Server};
use crate::skip::unavailable;
use crate::webdriver::Session;

/// The browser tests share two cores with everything else: one at a time,
/// so timings measure the app and not the neighbours.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct Rig {
    pub tmp: PathBuf,
    pub server: Server,
    pub chrome: Chrome,
}

impl Rig {
    /// Sets up in a fresh temporary folder named after `name`, with the
    /// server settings `env` on top of the browser tests' own; `None`,
    /// after saying why, when the test cannot run here. `test` and `fix`
    /// name the test and what makes it runnable, for the skip.
    pub async fn start(test: &str, fix: &str, name: &str, env: &[(&str, String)]) -> Option<Rig> {
        let (chromium, chromedriver) = match Chrome::find() {
            Ok(found) => found,
            Err(why) => {
                unavailable(test, why, fix);
                return None;
            }
        };
        let web = web_dir();
        if !web.join("index.html").is_file() {
            let why = format!(
                "the UI is not built ({} is missing; run scripts/build-ui)",
                web.display()
            );
            unavailable(test, &why, fix);
            return None;
        }
        let tmp = std::env::temp_dir().join(format!("parley-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).expect("temp dir");
        let mut settings = vec![
            ("PARLEY_WEB_DIR", web.display().to_string()),
            // Typing stops showing soon after the typist goes quiet.
            ("PARLEY_TYPING_EXPIRY", "3s".into()),
            // Pings every 3 s, so a silent connection is noticed in ~10 s.
            ("PARLEY_WS_HEARTBEAT", "6s".into()),
            // The embedded TURN relay on any free port, not 3478: servers
            // of other tests may run at the same time.
            ("PARLEY_TURN_PORT", "0".into()),
        ];
        settings.extend(env.iter().cloned());
        let server = Server::start(&tmp.join("data"), &settings).await;
        let chrome = Chrome::start(chromium, &chromedriver).await;
        Some(Rig {
            tmp,
            server,
            chrome,
        })
    }

    /// A browser with a profile of its own, `profile`.
    pub async fn browser(&self, profile: &str) -> Session {
        self.browser_with(profile, &[]).await
    }

    /// A browser with a profile of its own and Chromium flags of the
    /// test's (fake media devices, say).
    pub async fn browser_with(&self, profile: &str, args: &[&str]) -> Session {
        self.chrome.session(&self.tmp.join(profile), args).await
    }

    /// Closes the browsers, stops the server, removes the folder.
    pub async fn finish(mut self, sessions: Vec<Session>) {
        for c in sessions {
            let _ = c.close().await;
        }
        self.server.down().await;
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}
