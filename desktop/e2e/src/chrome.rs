//! Headless Chromium sessions through a chromedriver of the test's own.
//!
//! What must stay true: each session has a profile folder of its own (two
//! people, two browsers), and chromedriver with every browser it started
//! dies with the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::net::{free_port, wait_for_ports};
use crate::process::Proc;
use crate::skip::find_binary;
use crate::webdriver::{Session, CHROMIUM};

/// A running chromedriver and the Chromium it drives.
pub struct Chrome {
    _driver: Proc,
    url: String,
    chromium: PathBuf,
}

impl Chrome {
    /// Finds Chromium and chromedriver; what is missing (and how to
    /// install it) when they are not both there.
    pub fn find() -> Result<(PathBuf, PathBuf), &'static str> {
        let chromium = find_binary(&["chromium", "chromium-browser", "google-chrome"])
            .ok_or("chromium is not installed (apt-get install -y chromium)")?;
        let chromedriver = find_binary(&["chromedriver"])
            .ok_or("chromedriver is not installed (apt-get install -y chromium-driver)")?;
        Ok((chromium, chromedriver))
    }

    /// Starts chromedriver on a free port (in a process group of its own,
    /// with the browsers it starts) and waits until it listens.
    pub async fn start(chromium: PathBuf, chromedriver: &Path) -> Chrome {
        let port = free_port();
        let driver = Proc::group(
            Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .expect("start chromedriver");
        wait_for_ports(&[port], "chromedriver").await;
        Chrome {
            _driver: driver,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
        }
    }

    /// A new browser with its profile in `profile`, and Chromium flags of
    /// the test's own in `extra`.
    pub async fn session(&self, profile: &Path, extra: &[&str]) -> Session {
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1360,860",
        ]
        .iter()
        .chain(extra)
        .map(|a| (*a).to_owned())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.chromium.display().to_string(),
                "args": args,
            }
        });
        let c = Session::connect(&self.url, caps, CHROMIUM).await;
        // Seeding scripts post hundreds of messages.
        let timeouts = fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(180)),
            Some(Duration::from_secs(30)),
            Some(Duration::ZERO),
        );
        c.update_timeouts(timeouts).await.expect("set timeouts");
        c
    }
}
