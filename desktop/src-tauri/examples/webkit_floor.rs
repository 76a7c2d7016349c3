//! The memory floor under the desktop app: a bare WebKitGTK window showing
//! one line of text, started with the same WebKit environment as Parley
//! (`webkit::env_defaults`). Whatever this costs, every WebKitGTK app on the
//! same system pays before it does anything, and so does every Tauri app on
//! Linux, whose only webview is WebKitGTK. The desktop benchmark runs it
//! beside the app (docs/benchmarks.md, "The floor").
//!
//! `cargo run --release -p parley-desktop --example webkit_floor [URL]` (it
//! runs until its window is closed). With a URL it shows that page instead,
//! to measure what a page costs on top of the bare window.

#[cfg(target_os = "linux")]
fn main() {
    use gtk::prelude::*;
    use webkit2gtk::WebViewExt;

    parley_desktop::webkit::env_defaults();
    if let Err(e) = gtk::init() {
        eprintln!("webkit_floor: GTK cannot start: {e}");
        std::process::exit(1);
    }
    let window = gtk::Window::new(gtk::WindowType::Toplevel);
    window.set_title("WebKitGTK floor");
    window.set_default_size(1024, 700);
    let view = webkit2gtk::WebView::new();
    match std::env::args().nth(1) {
        Some(url) => view.load_uri(&url),
        None => view.load_html(
            "<!doctype html><p>Hello from a bare WebKitGTK window.</p>",
            None,
        ),
    }
    window.add(&view);
    window.connect_destroy(|_| gtk::main_quit());
    window.show_all();
    gtk::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("webkit_floor measures WebKitGTK, the webview of Linux only");
}
