//! WebDriver sessions and what the tests do through them: run a script,
//! wait for the page, click, type, find a message.
//!
//! What must stay true: every wait has a timeout and, when it runs out,
//! fails saying what it waited for and what the page showed; a helper never
//! succeeds without the page having done what it waited for.

use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::Value;

/// WebDriver's Enter key.
pub const ENTER: &str = "\u{E007}";
/// WebDriver's Up arrow.
pub const UP: &str = "\u{E013}";
/// WebDriver's Control key (held until [`NO_MODIFIERS`]).
pub const CONTROL: &str = "\u{E009}";
/// WebDriver's Escape key.
pub const ESCAPE: &str = "\u{E00C}";
/// Releases the modifier keys a `send_keys` holds.
pub const NO_MODIFIERS: &str = "\u{E000}";

/// A short wait, for what headless Chromium shows at once.
pub const SECS5: Duration = Duration::from_secs(5);
/// A long wait, for the desktop app under Xvfb on a busy machine.
pub const SECS20: Duration = Duration::from_secs(20);

/// How a session waits on its page. The browser tests and the desktop test
/// had drifted apart here, for reasons that still hold, so the difference
/// is a setting of the session rather than two copies of each helper.
#[derive(Clone, Copy, Debug)]
pub struct Patience {
    /// How often [`wait_js`] asks again. Chromium answers a script in a
    /// millisecond or two, and the message latency check waits with it, so
    /// it is asked often; WebKitWebDriver under Xvfb is slower and shares
    /// two cores with the app, so it is asked less.
    pub poll: Duration,
    /// How long [`click`] waits for its element to appear.
    pub appear: Duration,
}

/// Headless Chromium through chromedriver.
pub const CHROMIUM: Patience = Patience {
    poll: Duration::from_millis(40),
    appear: SECS5,
};

/// The desktop app's WebKitGTK webview through tauri-driver.
pub const WEBKIT: Patience = Patience {
    poll: Duration::from_millis(100),
    appear: SECS20,
};

/// A WebDriver session with the way its helpers wait. It dereferences to
/// fantoccini's [`Client`] for everything else (`goto`, `screenshot`, …).
pub struct Session {
    client: Client,
    patience: Patience,
}

impl std::ops::Deref for Session {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Session {
    /// Asks the driver at `driver` (a URL) for a session with `caps`.
    pub async fn connect(driver: &str, caps: Value, patience: Patience) -> Session {
        let Value::Object(caps) = caps else {
            panic!("capabilities are a JSON object: {caps}")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(driver)
            .await
            .unwrap_or_else(|e| panic!("a WebDriver session at {driver}: {e}"));
        Session { client, patience }
    }

    /// Ends the session (for the desktop app, that ends the app). By
    /// reference, so a world can end its session and put the next in its
    /// place; the session is unusable afterwards.
    pub async fn close(&self) -> Result<(), fantoccini::error::CmdError> {
        self.client.clone().close().await
    }
}

/// Runs `script` in the page; what it returns.
pub async fn js(c: &Session, script: &str) -> Value {
    c.execute(script, Vec::new()).await.expect("script runs")
}

/// Polls a JS expression until it is truthy; how long that took, or the
/// last error a script run gave when `timeout` ran out without it.
///
/// A script that fails counts as "not yet": right after a start
/// WebKitWebDriver can fail a script while the page is still being set up
/// ("Could not parse script result"). The browser tests used to fail at
/// once instead; waiting out the timeout is the more patient of the two,
/// and the error is still reported when the wait fails.
async fn poll_js(c: &Session, expr: &str, timeout: Duration) -> Result<Duration, String> {
    let start = Instant::now();
    let script = format!("return !!({expr});");
    let mut last = String::new();
    loop {
        match c.execute(&script, Vec::new()).await {
            Ok(Value::Bool(true)) => return Ok(start.elapsed()),
            Ok(_) => {}
            Err(e) => last = format!(" (the last run failed: {e})"),
        }
        if start.elapsed() > timeout {
            return Err(last);
        }
        tokio::time::sleep(c.patience.poll).await;
    }
}

/// Polls a JS expression until it is truthy; false after `timeout`.
pub async fn wait_until(c: &Session, expr: &str, timeout: Duration) -> bool {
    poll_js(c, expr, timeout).await.is_ok()
}

/// Polls a JS expression until it is truthy; how long that took. Fails
/// after `timeout`, naming `what` and showing where the page got to.
pub async fn wait_js(c: &Session, expr: &str, timeout: Duration, what: &str) -> Duration {
    let last = match poll_js(c, expr, timeout).await {
        Ok(took) => return took,
        Err(last) => last,
    };
    let url = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    // What the page got to: its text, and what it loaded (a page stuck on
    // the loading spinner has text but no app).
    let page = c
        .execute(
            "return document.readyState + ' | ' + document.body.innerText.slice(0, 1500) \
             + ' | loaded: ' + performance.getEntriesByType('resource').map(e => e.name).join(' ');",
            Vec::new(),
        )
        .await
        .map_or_else(|e| format!("(unreadable: {e})"), |v| v.to_string());
    panic!("timed out after {timeout:?} waiting for {what} ({expr}) at {url}{last}\npage: {page}");
}

/// Types into an element, finding it again if a re-render replaced it
/// between the lookup and the keys.
///
/// The two tests' copies had drifted (40 tries 50 ms apart after waiting
/// fantoccini's default 30 s for the element, against 50 tries 100 ms apart
/// after 20 s); this keeps the more patient of each: a slow machine only
/// takes longer, it does not fail.
pub async fn type_into(c: &Session, css: &str, text: &str) {
    let mut last = None;
    for _ in 0..50 {
        let el = c
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
        match el.send_keys(text).await {
            Ok(()) => return,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot type into {css}: {last:?}");
}

/// Clicks the first element matching `css`, once it is there (waiting the
/// session's [`Patience::appear`]).
pub async fn click(c: &Session, css: &str) {
    // Through JS: hover-only toolbars are hidden from WebDriver clicks.
    let sel = serde_json::to_string(css).expect("json string");
    wait_js(
        c,
        &format!("document.querySelector({sel})"),
        c.patience.appear,
        css,
    )
    .await;
    js(
        c,
        &format!("document.querySelector({sel}).click(); return null;"),
    )
    .await;
}

/// The message element (`.msg`, sent, not pending) whose text contains
/// `text`, as a JS expression.
pub fn msg_with(text: &str) -> String {
    let t = serde_json::to_string(text).expect("json string");
    format!("[...document.querySelectorAll('#message-list .msg:not(.pending)')].find(m => m.innerText.includes({t}))")
}
