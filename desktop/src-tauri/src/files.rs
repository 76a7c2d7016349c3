//! Files that come from the desktop into the chat: dropped on the window
//! from a file manager, or an image pasted from the clipboard.
//!
//! The webview cannot be trusted with these on its own. Tauri's native
//! drop handler takes drops before the page sees them (on Windows the page
//! never would), and WebKitGTK 2.50 gives the page neither the files of a
//! drop nor the image of a paste (only text). So the shell does the OS side
//! and the UI uploads as it does in a browser:
//!
//! - A drop grants the UI the dropped regular files, under ids (the page
//!   never learns a path), and emits [`event::FILES_DROPPED`]; the UI reads
//!   each one once with [`dropped_file`]. Nothing else on disk can be read.
//!   Hovering emits [`event::FILES_HOVER`] so the UI can show where files go.
//! - [`clipboard_image`] hands over the clipboard's image (PNG) when it
//!   holds an image and no text; Linux only: the other systems' webviews
//!   put pasted images in the paste event themselves.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use parley_shared::ipc::event::{self, Dropped, FilesDropped, Refused};
use parley_shared::ipc::DroppedFile;
use tauri::ipc::Response;
use tauri::{DragDropEvent, Emitter, Manager, Runtime, State};

use crate::ipc::Args;

/// The largest file handed to the UI: it is read into the webview's memory
/// before it is uploaded (servers take 50 MB by default).
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// The files a drop granted, until the UI reads them.
#[derive(Default)]
pub struct Grants {
    next: u64,
    files: HashMap<u64, PathBuf>,
}

impl Grants {
    /// Grants the regular files among `paths`; folders, what cannot be
    /// read and files over [`MAX_BYTES`] are refused, with the reason.
    pub fn grant(&mut self, paths: &[PathBuf]) -> (Vec<Dropped>, Vec<Refused>) {
        let (mut granted, mut refused) = (Vec::new(), Vec::new());
        for path in paths {
            let name = file_name(path);
            let why = match std::fs::metadata(path) {
                Err(e) => format!("cannot be read ({e})"),
                Ok(meta) if meta.is_dir() => "folders cannot be uploaded".to_owned(),
                Ok(meta) if !meta.is_file() => "not a regular file".to_owned(),
                Ok(meta) if meta.len() > MAX_BYTES => {
                    format!("larger than {} MB", MAX_BYTES / 1024 / 1024)
                }
                Ok(meta) => {
                    self.next += 1;
                    self.files.insert(self.next, path.clone());
                    granted.push(Dropped {
                        id: self.next,
                        name,
                        size: meta.len(),
                    });
                    continue;
                }
            };
            refused.push(Refused { name, why });
        }
        (granted, refused)
    }

    /// The path granted under `id`; a grant is good for one read.
    pub fn take(&mut self, id: u64) -> Option<PathBuf> {
        self.files.remove(&id)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

#[derive(Default)]
pub struct DroppedFiles(Mutex<Grants>);

/// Wires the window's native drag and drop to the UI (see the module doc).
pub fn on_drag_drop<R: Runtime>(app: &tauri::AppHandle<R>, event: &DragDropEvent) {
    match event {
        // Payload `true` while files are dragged over the window, `false` after.
        DragDropEvent::Enter { .. } => {
            let _ = app.emit(event::FILES_HOVER, true);
        }
        DragDropEvent::Drop { paths, .. } => {
            let _ = app.emit(event::FILES_HOVER, false);
            let (files, refused) = match app.state::<DroppedFiles>().0.lock() {
                Ok(mut grants) => grants.grant(paths),
                Err(_) => return,
            };
            let _ = app.emit(event::FILES_DROPPED, FilesDropped { files, refused });
        }
        DragDropEvent::Leave => {
            let _ = app.emit(event::FILES_HOVER, false);
        }
        _ => {}
    }
}

/// The bytes of a dropped file (raw, not JSON), once.
#[tauri::command]
pub async fn dropped_file(
    state: State<'_, DroppedFiles>,
    Args(DroppedFile { id }): Args<DroppedFile>,
) -> Result<Response, String> {
    let path = state
        .0
        .lock()
        .map_err(|_| "the dropped files are unavailable".to_owned())?
        .take(id)
        .ok_or("no such dropped file")?;
    let bytes = tauri::async_runtime::spawn_blocking(move || std::fs::read(&path))
        .await
        .map_err(|e| format!("reading the file failed: {e}"))?
        .map_err(|e| format!("cannot read the file: {e}"))?;
    Ok(Response::new(bytes))
}

/// The clipboard's image as PNG bytes, or none (empty) when it holds no
/// image or also text (pasting text stays the webview's job).
#[tauri::command]
pub async fn clipboard_image<R: Runtime>(app: tauri::AppHandle<R>) -> Result<Response, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    // GTK's clipboard lives on the main thread.
    app.run_on_main_thread(move || {
        let _ = tx.send(clipboard_png());
    })
    .map_err(|e| format!("clipboard: {e}"))?;
    let png = tauri::async_runtime::spawn_blocking(move || rx.recv().ok().flatten())
        .await
        .map_err(|e| format!("clipboard: {e}"))?;
    Ok(Response::new(png.unwrap_or_default()))
}

#[cfg(target_os = "linux")]
fn clipboard_png() -> Option<Vec<u8>> {
    let clipboard = gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD);
    if clipboard.wait_is_text_available() || !clipboard.wait_is_image_available() {
        return None;
    }
    // The PNG as offered (screenshots are); anything else as decoded by
    // GTK, saved as PNG.
    let png = clipboard.wait_for_contents(&gtk::gdk::Atom::intern("image/png"));
    if let Some(data) = png.map(|d| d.data()).filter(|d| !d.is_empty()) {
        return Some(data);
    }
    clipboard.wait_for_image()?.save_to_bufferv("png", &[]).ok()
}

#[cfg(not(target_os = "linux"))]
fn clipboard_png() -> Option<Vec<u8>> {
    None
}

#[cfg(test)]
mod tests {
    use super::Grants;

    #[test]
    fn a_drop_grants_its_files_once_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("parley-grants-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("notes.txt");
        std::fs::write(&file, b"hello").expect("write");
        let mut grants = Grants::default();
        let (dropped, refused) = grants.grant(&[file.clone(), dir.clone(), dir.join("gone.txt")]);
        assert_eq!(dropped.len(), 1, "only the regular file: {dropped:?}");
        let names: Vec<&str> = refused.iter().map(|r| r.name.as_str()).collect();
        let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert_eq!(names, [dir_name, "gone.txt"]);
        assert_eq!(refused[0].why, "folders cannot be uploaded");
        assert_eq!(
            (dropped[0].name.as_str(), dropped[0].size),
            ("notes.txt", 5)
        );
        assert_eq!(grants.take(dropped[0].id), Some(file));
        assert_eq!(grants.take(dropped[0].id), None, "a grant is read once");
        assert_eq!(grants.take(dropped[0].id + 1), None, "no other id exists");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
