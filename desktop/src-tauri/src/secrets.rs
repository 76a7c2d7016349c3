//! Tokens in the OS keychain (Windows Credential Manager, macOS Keychain,
//! the Secret Service on Linux) through `keyring`.
//!
//! One entry per (server, key): service `parley`, account
//! `<key>@<server origin>`, so signing in to two servers keeps two sessions.
//! The desktop UI never writes tokens anywhere else (not localStorage, not
//! a file); sign-out calls [`token_delete`].

use parley_shared::ipc as shared;
use tauri::Runtime;

use crate::ipc::{Answer, Args};

/// The keychain service name every entry is filed under.
pub const SERVICE: &str = "parley";

/// The keychain account for `key` on `server`.
pub fn account(key: &str, server: &str) -> String {
    format!("{key}@{server}")
}

fn entry<R: Runtime>(app: &tauri::AppHandle<R>, key: &str) -> Result<keyring::Entry, String> {
    let server = crate::server::current(app).ok_or("no server is chosen yet")?;
    keyring::Entry::new(SERVICE, &account(key, &server)).map_err(|e| format!("keychain: {e}"))
}

/// Runs a keychain call off the main thread: on Linux it is a D-Bus round
/// trip that may wait for an unlock prompt, and the window must stay live.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| format!("keychain task failed: {e}"))?
}

#[tauri::command]
pub async fn token_get<R: Runtime>(
    app: tauri::AppHandle<R>,
    Args(shared::TokenGet { key }): Args<shared::TokenGet>,
) -> Result<Answer<shared::TokenGet>, String> {
    blocking(move || match entry(&app, &key)?.get_password() {
        Ok(v) => Ok(Some(v)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(format!("keychain: {e}")),
    })
    .await
}

#[tauri::command]
pub async fn token_set<R: Runtime>(
    app: tauri::AppHandle<R>,
    Args(shared::TokenSet { key, value }): Args<shared::TokenSet>,
) -> Result<Answer<shared::TokenSet>, String> {
    blocking(move || {
        entry(&app, &key)?
            .set_password(&value)
            .map_err(|e| format!("keychain: {e}"))
    })
    .await
}

#[tauri::command]
pub async fn token_delete<R: Runtime>(
    app: tauri::AppHandle<R>,
    Args(shared::TokenDelete { key }): Args<shared::TokenDelete>,
) -> Result<Answer<shared::TokenDelete>, String> {
    blocking(move || match entry(&app, &key)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(format!("keychain: {e}")),
    })
    .await
}
