//! "Open Parley when I log in", the way each system starts apps at login:
//! an XDG autostart entry on Linux (`~/.config/autostart`), a launch agent
//! on macOS (`~/Library/LaunchAgents`), the `Run` key of the user's
//! registry on Windows. Each starts this executable with [`FLAG`], and
//! such a start stays in the tray instead of opening the window.

use parley_shared::ipc as shared;
use tauri::Runtime;

use crate::ipc::{Answer, Args};

/// The argument a login start carries.
pub const FLAG: &str = "--autostart";

/// Whether this process was started at login.
pub fn started_at_login() -> bool {
    std::env::args().any(|a| a == FLAG)
}

/// The XDG autostart entry for `exe` (Desktop Entry spec: the program is
/// quoted, `"`, `` ` ``, `$` and `\` inside the quotes escaped, and `%`
/// doubled, since `%x` is a field code).
pub fn desktop_entry(exe: &str) -> String {
    let mut quoted = String::with_capacity(exe.len() + 2);
    for c in exe.chars() {
        match c {
            '"' | '`' | '$' | '\\' => quoted.push('\\'),
            '%' => quoted.push('%'),
            _ => {}
        }
        quoted.push(c);
    }
    format!(
        "[Desktop Entry]\nType=Application\nName=Parley\nComment=Parley team chat\n\
         Exec=\"{quoted}\" {FLAG}\nIcon=parley-desktop\nTerminal=false\n\
         X-GNOME-Autostart-enabled=true\n"
    )
}

/// The macOS launch agent for `exe`.
pub fn launch_agent(exe: &str, label: &str) -> String {
    let xml = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\"><dict>\n\
         <key>Label</key><string>{}</string>\n\
         <key>ProgramArguments</key><array><string>{}</string><string>{FLAG}</string></array>\n\
         <key>RunAtLoad</key><true/>\n\
         </dict></plist>\n",
        xml(label),
        xml(exe)
    )
}

/// The program to start: this executable, or for an AppImage the image
/// (its executable lives in a mount that changes every run).
fn exe() -> Result<String, String> {
    if let Some(image) = std::env::var_os("APPIMAGE").filter(|i| !i.is_empty()) {
        return Ok(image.to_string_lossy().into_owned());
    }
    std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .map_err(|e| format!("cannot find Parley's program: {e}"))
}

/// The file that starts Parley at login (Linux, macOS).
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn entry_path<R: Runtime>(app: &tauri::AppHandle<R>) -> Result<std::path::PathBuf, String> {
    use tauri::Manager;
    #[cfg(target_os = "linux")]
    let path = app
        .path()
        .config_dir()
        .map(|d| d.join("autostart").join("Parley.desktop"));
    #[cfg(target_os = "macos")]
    let path = app.path().home_dir().map(|d| {
        d.join("Library/LaunchAgents")
            .join(format!("{}.plist", app.config().identifier))
    });
    path.map_err(|e| format!("no place for the login item: {e}"))
}

/// Whether Parley opens at login.
#[tauri::command]
pub fn autostart_get<R: Runtime>(
    app: tauri::AppHandle<R>,
) -> Result<Answer<shared::AutostartGet>, String> {
    is_on(&app)
}

/// Makes Parley open at login, or not; answers the setting after.
#[tauri::command]
pub fn autostart_set<R: Runtime>(
    app: tauri::AppHandle<R>,
    Args(shared::AutostartSet { on }): Args<shared::AutostartSet>,
) -> Result<Answer<shared::AutostartSet>, String> {
    switch(&app, on)?;
    is_on(&app)
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
fn is_on<R: Runtime>(app: &tauri::AppHandle<R>) -> Result<bool, String> {
    Ok(entry_path(app)?.is_file())
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
fn switch<R: Runtime>(app: &tauri::AppHandle<R>, on: bool) -> Result<(), String> {
    let path = entry_path(app)?;
    if !on {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("{}: {e}", path.display()))
            }
            _ => Ok(()),
        };
    }
    #[cfg(target_os = "linux")]
    let body = desktop_entry(&exe()?);
    #[cfg(target_os = "macos")]
    let body = launch_agent(&exe()?, &app.config().identifier);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, body).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(windows)]
fn is_on<R: Runtime>(_app: &tauri::AppHandle<R>) -> Result<bool, String> {
    Ok(windows_run::get().is_some())
}

#[cfg(windows)]
fn switch<R: Runtime>(_app: &tauri::AppHandle<R>, on: bool) -> Result<(), String> {
    windows_run::set(on.then(exe).transpose()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn is_on<R: Runtime>(_app: &tauri::AppHandle<R>) -> Result<bool, String> {
    Err("not available on this system".into())
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn switch<R: Runtime>(_app: &tauri::AppHandle<R>, _on: bool) -> Result<(), String> {
    Err("not available on this system".into())
}

/// The `Run` key: `"<exe>" --autostart` under the value `Parley`.
#[cfg(windows)]
mod windows_run {
    const KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\Run";
    const VALUE: &str = "Parley";

    pub fn get() -> Option<String> {
        windows_registry::CURRENT_USER
            .open(KEY)
            .and_then(|k| k.get_string(VALUE))
            .ok()
    }

    pub fn set(exe: Option<String>) -> Result<(), String> {
        let key = windows_registry::CURRENT_USER
            .create(KEY)
            .map_err(|e| format!("registry: {e}"))?;
        match exe {
            Some(exe) => key
                .set_string(VALUE, format!("\"{exe}\" {}", super::FLAG))
                .map_err(|e| format!("registry: {e}")),
            None => match key.remove_value(VALUE) {
                Ok(()) => Ok(()),
                Err(_) if get().is_none() => Ok(()),
                Err(e) => Err(format!("registry: {e}")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{desktop_entry, launch_agent};

    #[test]
    fn login_items_start_this_program_in_the_tray() {
        let entry = desktop_entry("/opt/My Apps/parley-desktop");
        assert!(entry.contains("Exec=\"/opt/My Apps/parley-desktop\" --autostart\n"));
        assert!(entry.starts_with("[Desktop Entry]\nType=Application\n"));
        let odd = desktop_entry("/home/a$b/\"x\"/100%");
        assert!(
            odd.contains(r#"Exec="/home/a\$b/\"x\"/100%%" --autostart"#),
            "{odd}"
        );
        let agent = launch_agent(
            "/Applications/P&Q.app/Contents/MacOS/parley",
            "chat.parley.desktop",
        );
        assert!(agent.contains("<string>/Applications/P&amp;Q.app/Contents/MacOS/parley</string><string>--autostart</string>"));
        assert!(agent.contains("<key>RunAtLoad</key><true/>"));
    }
}
