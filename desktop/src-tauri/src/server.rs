//! Which Parley server the app talks to, chosen on first run and kept in
//! `server.json` in the app's config directory (not in the webview's
//! storage, which belongs to one origin and is wiped with "clear data").
//!
//! Only a normalized origin (`scheme://host[:port]`) is ever stored, so the
//! UI can append `/api/v1/...` to it and the keychain entries keyed by it are
//! stable.

use std::path::PathBuf;

use parley_shared::ipc as shared;
use serde::{Deserialize, Serialize};
use tauri::{Manager, Runtime};

use crate::ipc::{Answer, Args};

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    url: Option<String>,
}

/// Turns what a user typed into a server origin, or says what is wrong.
/// A bare host gets `https://`; paths, queries and fragments are dropped.
pub fn normalize(input: &str) -> Result<String, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Enter your Parley server's address".into());
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let url = tauri::Url::parse(&with_scheme).map_err(|e| format!("Not a valid address: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("The address must start with http:// or https://".into());
    }
    let host = url
        .host_str()
        .ok_or_else(|| "The address has no host name".to_owned())?;
    Ok(match url.port() {
        Some(p) => format!("{}://{host}:{p}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

fn config_file<R: Runtime>(app: &tauri::AppHandle<R>) -> Result<PathBuf, String> {
    app.path()
        .app_config_dir()
        .map(|d| d.join("server.json"))
        .map_err(|e| format!("no config directory: {e}"))
}

/// The saved server, if any. `PARLEY_SERVER_URL` overrides it (tests,
/// managed installs).
pub fn current<R: Runtime>(app: &tauri::AppHandle<R>) -> Option<String> {
    if let Ok(env) = std::env::var("PARLEY_SERVER_URL") {
        return normalize(&env).ok();
    }
    let text = std::fs::read_to_string(config_file(app).ok()?).ok()?;
    let saved: Saved = serde_json::from_str(&text).ok()?;
    saved.url.and_then(|u| normalize(&u).ok())
}

#[tauri::command]
pub fn server_get<R: Runtime>(app: tauri::AppHandle<R>) -> Answer<shared::ServerGet> {
    current(&app)
}

/// Normalizes `url` and, when `save`, remembers it; returns the origin.
/// The UI checks the origin answers before it asks to save it.
#[tauri::command]
pub fn server_set<R: Runtime>(
    app: tauri::AppHandle<R>,
    Args(shared::ServerSet { url, save }): Args<shared::ServerSet>,
) -> Result<Answer<shared::ServerSet>, String> {
    let url = normalize(&url)?;
    if !save {
        return Ok(url);
    }
    let file = config_file(&app)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&Saved {
        url: Some(url.clone()),
    })
    .map_err(|e| e.to_string())?;
    // Written aside and renamed: a crash never leaves half a file.
    let tmp = file.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &file).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn addresses_become_origins() {
        assert_eq!(
            normalize("chat.example.com").as_deref(),
            Ok("https://chat.example.com")
        );
        assert_eq!(
            normalize(" http://127.0.0.1:8080/some/page?x=1 ").as_deref(),
            Ok("http://127.0.0.1:8080")
        );
        assert_eq!(
            normalize("https://Chat.Example.com/").as_deref(),
            Ok("https://chat.example.com")
        );
        assert!(normalize("").is_err());
        assert!(normalize("ftp://example.com").is_err());
        assert!(normalize("http://").is_err());
    }
}
