//! Files saved from messages: "Download" on a file card or in the image
//! viewer saves into the user's Downloads folder, as a desktop app should,
//! instead of handing the link to a browser.
//!
//! The webview's own downloader fetches the file (Linux: WebKitGTK's
//! `download_uri`), so the shell needs no HTTP client, and a large file
//! streams to disk in WebKit's network process. The file is named as the
//! server's `Content-Disposition` says, made free in the Downloads folder
//! (`report (1).pdf` beside an existing `report.pdf`). The UI learns the
//! outcome from a [`event::DOWNLOAD_FINISHED`] event and may then ask to
//! show the file in its folder — by the id it was given, never by a path,
//! so the page cannot reveal (or learn) anything else on disk. Downloaded
//! files are not opened from the app: a file a teammate sent could be a
//! program.
//!
//! Windows and macOS webviews have no "download this address" call Tauri
//! reaches; there `download` says so and the UI opens the link in the
//! browser, as before.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use parley_shared::ipc as shared;
use parley_shared::ipc::event::{self, DownloadFinished};
use tauri::webview::DownloadEvent;
use tauri::{Emitter, Manager, Runtime, Url, Webview};
use tauri_plugin_opener::OpenerExt;

use crate::ipc::{Answer, Args};

/// Downloads asked for by the UI, by address, and those finished, by id.
#[derive(Default)]
pub struct Downloads(Mutex<Book>);

#[derive(Default)]
struct Book {
    next: u64,
    /// Ids by address, oldest first: the same file may be saved twice at
    /// once (its link is cached), and each save must hear its end.
    asked: HashMap<Url, VecDeque<u64>>,
    saved: HashMap<u64, PathBuf>,
}

impl Downloads {
    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        // A panic elsewhere cannot leave the book half-written.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a download of `url`; its id.
    fn ask(&self, url: Url) -> u64 {
        let mut book = self.lock();
        book.next += 1;
        let id = book.next;
        book.asked.entry(url).or_default().push_back(id);
        id
    }

    /// Records the end of the download of `url`, if the UI asked for it.
    fn finish(&self, url: &Url, path: Option<PathBuf>, ok: bool) -> Option<DownloadFinished> {
        let mut book = self.lock();
        let waiting = book.asked.get_mut(url)?;
        let id = waiting.pop_front()?;
        if waiting.is_empty() {
            book.asked.remove(url);
        }
        let name = path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned());
        // "Success" without a path cannot be shown in its folder; the
        // webview reports none only on macOS, where this is not reached.
        let ok = ok && path.is_some();
        if let (true, Some(path)) = (ok, path) {
            book.saved.insert(id, path);
        }
        Some(DownloadFinished { id, name, ok })
    }

    fn saved(&self, id: u64) -> Option<PathBuf> {
        self.lock().saved.get(&id).cloned()
    }
}

/// Only web addresses are downloaded (the server's own links and its
/// storage's presigned ones).
fn parse(url: &str) -> Result<Url, String> {
    let url = Url::parse(url).map_err(|e| format!("not an address: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("cannot download {other}: addresses")),
    }
}

/// Starts saving `url` into the Downloads folder; the id the
/// [`event::DOWNLOAD_FINISHED`] event will carry. Fails where the webview
/// cannot download by itself (Windows, macOS): the UI then opens the link.
#[tauri::command]
pub fn download<R: Runtime>(
    webview: Webview<R>,
    state: tauri::State<'_, Downloads>,
    Args(shared::Download { url }): Args<shared::Download>,
) -> Result<Answer<shared::Download>, String> {
    let url = parse(&url)?;
    let id = state.ask(url.clone());
    start(&webview, url.clone()).inspect_err(|_| {
        if let Some(waiting) = state.lock().asked.get_mut(&url) {
            waiting.retain(|i| *i != id);
        }
    })?;
    Ok(id)
}

/// Hands `url` to the webview's downloader.
#[cfg(target_os = "linux")]
fn start<R: Runtime>(webview: &Webview<R>, url: Url) -> Result<(), String> {
    webview
        .with_webview(move |pv| {
            use webkit2gtk::WebViewExt;
            let _ = pv.inner().download_uri(url.as_str());
        })
        .map_err(|e| e.to_string())
}

#[cfg(not(target_os = "linux"))]
fn start<R: Runtime>(_webview: &Webview<R>, _url: Url) -> Result<(), String> {
    Err("unsupported".into())
}

/// Shows a finished download in the file manager (selected, where the
/// file manager can: `org.freedesktop.FileManager1` on Linux), else opens
/// its folder.
#[tauri::command]
pub fn download_show<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: tauri::State<'_, Downloads>,
    Args(shared::DownloadShow { id }): Args<shared::DownloadShow>,
) -> Result<Answer<shared::DownloadShow>, String> {
    let path = state.saved(id).ok_or("no such download")?;
    let opener = app.opener();
    opener.reveal_item_in_dir(&path).or_else(|e| {
        let dir = path.parent().ok_or_else(|| e.to_string())?;
        opener
            .open_path(dir.to_string_lossy(), None::<&str>)
            .map_err(|e| format!("cannot show {}: {e}", path.display()))
    })
}

/// The user's Downloads folder: the XDG one where `user-dirs.dirs` names
/// it, else `~/Downloads` (wry would use the working directory, which for
/// an app started from a menu is `/` or the home folder).
fn downloads_dir<R: Runtime>(app: &tauri::AppHandle<R>) -> Option<PathBuf> {
    app.path()
        .download_dir()
        .ok()
        .or_else(|| app.path().home_dir().ok().map(|h| h.join("Downloads")))
}

/// `name` in `dir`, or `name (1)`, `name (2)` … before the extension, so
/// nothing already there is overwritten. Only the last part of `name`
/// counts, without leading dots: a name from a message never picks
/// another folder or hides the file.
fn free_path(dir: &Path, name: &Path) -> PathBuf {
    let name = name
        .file_name()
        .map(|n| n.to_string_lossy().trim_start_matches('.').to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "download".to_owned());
    let (stem, ext) = match name.split_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_owned(), format!(".{ext}")),
        _ => (name.clone(), String::new()),
    };
    let mut path = dir.join(&name);
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{stem} ({n}){ext}"));
        n += 1;
    }
    path
}

/// The window's download handler: every download goes to the Downloads
/// folder under a free name, and the UI hears how the ones it asked for
/// ended.
pub fn on_download<R: Runtime>(webview: Webview<R>, event: DownloadEvent<'_>) -> bool {
    match event {
        DownloadEvent::Requested { destination, .. } => {
            let Some(dir) = downloads_dir(webview.app_handle()) else {
                return false;
            };
            if let Err(e) = std::fs::create_dir_all(&dir) {
                eprintln!("parley: cannot create {}: {e}", dir.display());
                return false;
            }
            *destination = free_path(&dir, destination);
            true
        }
        DownloadEvent::Finished { url, path, success } => {
            let finished = webview
                .app_handle()
                .state::<Downloads>()
                .finish(&url, path, success);
            match finished {
                Some(f) => {
                    let _ = webview.emit_to(crate::MAIN_WINDOW, event::DOWNLOAD_FINISHED, f);
                }
                None => eprintln!("parley: download of {url} ended (success: {success})"),
            }
            true
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_download() {
        assert!(parse("https://chat.example.com/api/v1/files/1/content?sig=x").is_ok());
        assert!(parse("http://127.0.0.1:8080/f").is_ok());
        assert!(parse("file:///etc/passwd").is_err());
        assert!(parse("javascript:alert(1)").is_err());
        assert!(parse("report.pdf").is_err());
    }

    #[test]
    fn downloads_never_overwrite_or_leave_the_folder() {
        let dir = std::env::temp_dir().join(format!("parley-dl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let free = |n: &str| free_path(&dir, Path::new(n));
        assert_eq!(free("report.pdf"), dir.join("report.pdf"));
        std::fs::write(dir.join("report.pdf"), "x").unwrap();
        assert_eq!(free("report.pdf"), dir.join("report (1).pdf"));
        std::fs::write(dir.join("report (1).pdf"), "x").unwrap();
        assert_eq!(free("report.pdf"), dir.join("report (2).pdf"));
        assert_eq!(free("archive.tar.gz"), dir.join("archive.tar.gz"));
        assert_eq!(free("/etc/../home/x/notes"), dir.join("notes"));
        assert_eq!(free(".."), dir.join("download"));
        // Not hidden in the folder.
        assert_eq!(free(".bashrc"), dir.join("bashrc"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn finished_downloads_are_known_by_id_only_when_saved() {
        let d = Downloads::default();
        let a = Url::parse("http://s/a").unwrap();
        let b = Url::parse("http://s/b").unwrap();
        let (ia, ib) = (d.ask(a.clone()), d.ask(b.clone()));
        assert_ne!(ia, ib);
        let saved = d.finish(&a, Some(PathBuf::from("/home/u/Downloads/a (1).pdf")), true);
        assert_eq!(
            saved,
            Some(DownloadFinished {
                id: ia,
                name: Some("a (1).pdf".into()),
                ok: true
            })
        );
        assert_eq!(
            d.saved(ia),
            Some(PathBuf::from("/home/u/Downloads/a (1).pdf"))
        );
        let failed = d.finish(&b, None, false);
        assert_eq!(
            failed,
            Some(DownloadFinished {
                id: ib,
                name: None,
                ok: false
            })
        );
        assert_eq!(d.saved(ib), None);
        // Not asked for by the UI (or told twice): nothing to tell.
        assert_eq!(d.finish(&a, None, true), None);
        // The same file saved twice at once: each save hears its end.
        let (i1, i2) = (d.ask(a.clone()), d.ask(a.clone()));
        let ends: Vec<u64> = [
            d.finish(&a, Some(PathBuf::from("/d/a.pdf")), true),
            d.finish(&a, Some(PathBuf::from("/d/a (1).pdf")), true),
        ]
        .into_iter()
        .flatten()
        .map(|f| f.id)
        .collect();
        assert_eq!(ends, [i1, i2]);
    }
}
