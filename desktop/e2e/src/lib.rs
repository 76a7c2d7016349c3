//! The helpers the end-to-end tests in `tests/` share: a real parley-server
//! in the test's process, WebDriver sessions (headless Chromium through
//! chromedriver, the desktop app through tauri-driver), waiting on the page,
//! clicking and typing, screenshots, REST calls as a second person, and the
//! desktop session's tools (X11, D-Bus, the tray). Each scenario is a list of
//! named steps run by [`steps`].
//!
//! What must stay true: nothing here asserts on its own behalf beyond what a
//! test asks for (a helper that waits fails only when its wait runs out), and
//! nothing here starts a server, a driver or a browser unless a test calls it
//! (the CI run time is the tests' to spend).

pub mod audio;
pub mod bus;
pub mod chrome;
pub mod net;
pub mod pixels;
pub mod process;
pub mod relay;
pub mod rest;
pub mod rig;
pub mod server;
pub mod shots;
pub mod skip;
pub mod steps;
pub mod tauri;
pub mod tray;
pub mod webdriver;
pub mod webrtc;
pub mod x11;
