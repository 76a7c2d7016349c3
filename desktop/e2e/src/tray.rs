//! The app's tray icon as the desktop's panel sees it: a StatusNotifierItem
//! (libayatana-appindicator) on the session bus, its icon, badge and menu.
//!
//! What must stay true: the tray is read and clicked only the way a panel
//! does (D-Bus properties, dbusmenu events), never through the app.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::bus::{gdbus, quoted};
use crate::pixels::red_pixels;
use crate::webdriver::SECS20;

/// The app's tray icon as the desktop's panel sees it: a
/// StatusNotifierItem (libayatana-appindicator) on the session bus.
pub struct Tray {
    /// Its owner's unique name on the bus.
    pub bus_name: String,
    /// The item's object path.
    pub item: String,
    /// Its dbusmenu object path.
    menu: String,
}

impl Tray {
    /// Waits for the item the app's process exports.
    pub async fn wait(pid: u32) -> Tray {
        let start = Instant::now();
        loop {
            if let Some(t) = Tray::find(pid) {
                return t;
            }
            assert!(start.elapsed() < SECS20, "no tray item on the session bus");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Finds the item the app's process exports.
    pub fn find(pid: u32) -> Option<Tray> {
        let names = gdbus(&[
            "--dest",
            "org.freedesktop.DBus",
            "--object-path",
            "/org/freedesktop/DBus",
            "--method",
            "org.freedesktop.DBus.ListNames",
        ])?;
        for name in quoted(&names).into_iter().filter(|n| n.starts_with(':')) {
            let owner = gdbus(&[
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                &name,
            ]);
            if !owner.is_some_and(|o| o.contains(&format!(" {pid},"))) {
                continue;
            }
            let Some(xml) = gdbus(&[
                "--dest",
                &name,
                "--object-path",
                "/org/ayatana/NotificationItem",
                "--method",
                "org.freedesktop.DBus.Introspectable.Introspect",
            ]) else {
                continue;
            };
            let Some(child) = xml
                .split("<node name=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
            else {
                continue;
            };
            let item = format!("/org/ayatana/NotificationItem/{child}");
            let tray = Tray {
                bus_name: name.clone(),
                menu: String::new(),
                item,
            };
            let menu = tray.property("Menu")?;
            let menu = quoted(&menu).into_iter().next()?;
            return Some(Tray { menu, ..tray });
        }
        None
    }

    pub fn property(&self, prop: &str) -> Option<String> {
        gdbus(&[
            "--dest",
            &self.bus_name,
            "--object-path",
            &self.item,
            "--method",
            "org.freedesktop.DBus.Properties.Get",
            "org.kde.StatusNotifierItem",
            prop,
        ])
    }

    /// The icon a panel shows: appindicator hands panels a PNG file, as a
    /// theme path and an icon name.
    pub fn icon_png(&self) -> Vec<u8> {
        let read = |prop: &str| {
            self.property(prop)
                .and_then(|r| quoted(&r).into_iter().next())
                .unwrap_or_else(|| panic!("no {prop} on the tray item"))
        };
        let name = read("IconName");
        let name = if name.ends_with(".png") {
            name
        } else {
            format!("{name}.png")
        };
        let file = Path::new(&read("IconThemePath")).join(name);
        std::fs::read(&file).unwrap_or_else(|e| panic!("tray icon {}: {e}", file.display()))
    }

    /// Red pixels in the icon's top-right quarter (the mention dot).
    pub fn red_in_corner(&self) -> usize {
        let png = self.icon_png();
        let mut decoder = png::Decoder::new(std::io::Cursor::new(&png));
        decoder.set_transformations(png::Transformations::EXPAND);
        let (w, h) = decoder
            .read_info()
            .map(|r| (r.info().width, r.info().height))
            .expect("a PNG");
        red_pixels(&png, &[w / 2, 0, w, h / 2])
    }

    /// The label a Linux panel shows beside the icon (the badge).
    pub fn label(&self) -> String {
        self.property("XAyatanaLabel")
            .and_then(|r| quoted(&r).into_iter().next())
            .unwrap_or_default()
    }

    /// The menu as a panel reads it (dbusmenu's whole layout).
    pub fn layout(&self) -> String {
        gdbus(&[
            "--dest",
            &self.bus_name,
            "--object-path",
            &self.menu,
            "--method",
            "com.canonical.dbusmenu.GetLayout",
            // The parameters follow; "-1" is not an option.
            "--",
            "0",
            "-1",
            "[]",
        ])
        .expect("the tray menu's layout")
    }

    /// Waits until the menu has an item labelled like `label` starts.
    pub async fn wait_item(&self, label: &str) {
        let start = Instant::now();
        while !self.layout().contains(&format!("'label': <'{label}")) {
            assert!(
                start.elapsed() < SECS20,
                "no tray menu item {label:?}…: {}",
                self.layout()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the menu item labelled `label`, as a panel does (dbusmenu).
    pub fn click(&self, label: &str) {
        let layout = self.layout();
        // Each item reads `<(ID, {'label': <'...'>, ...}, [...])>`.
        let at = layout
            .find(&format!("'label': <'{label}'>"))
            .unwrap_or_else(|| panic!("no tray menu item {label:?} in {layout}"));
        let start = layout[..at].rfind("<(").expect("an item before its label") + 2;
        let id: String = layout[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        gdbus(&[
            "--dest",
            &self.bus_name,
            "--object-path",
            &self.menu,
            "--method",
            "com.canonical.dbusmenu.Event",
            "--",
            &id,
            "clicked",
            "<0>",
            "0",
        ])
        .unwrap_or_else(|| panic!("clicking tray menu item {label:?} ({id}) failed"));
    }
}

/// Polls until the tray's badge reads `want`.
pub async fn wait_label(tray: &Tray, want: &str) {
    let start = Instant::now();
    loop {
        let label = tray.label();
        if label == want {
            return;
        }
        assert!(
            start.elapsed() < SECS20,
            "the tray badge reads {label:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
