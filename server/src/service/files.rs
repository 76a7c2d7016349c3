//! Files: uploads (typed by their bytes), attachments, thumbnails, avatars
//! and download links.
//!
//! Who may read a file: its uploader until it is attached; afterwards
//! whoever may read the message's channel (and nobody once the message is
//! deleted). Everyone else gets the same 404 as for a file that does not
//! exist. Avatars are public profile pictures, readable without a token.
//!
//! Downloads never carry a bearer token in a URL: an authorized request gets
//! a short-lived link — presigned by S3, or signed by this server (HMAC) and
//! streamed from the local directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use image::{ImageError, ImageReader};
use parley_content::file_type::{self, Sniffed};
use parley_content::images;
use parley_shared::api::{FileInfo, FileLink, User};
use parley_shared::validate::ValidationError;
use parley_shared::{ChannelId, FileId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::convert::{file_info, user};
use super::{access, now_ms, users};
use crate::blobs::{BlobError, BlobReader, Disposition};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{FileRow, NewJob};

/// Files one message may carry.
pub const MAX_ATTACHMENTS: usize = 10;
/// Larger images are refused: decoding them could take gigabytes
/// (decompression bombs).
/// Lifetime of download links.
pub const LINK_TTL: Duration = Duration::from_secs(15 * 60);
/// Bytes kept in memory to learn the type.
const HEAD: usize = 8 * 1024;

pub const JOB_THUMBNAIL: &str = "thumbnail";

#[derive(Debug, Serialize, Deserialize)]
pub struct ThumbnailJob {
    pub file_id: i64,
}

fn storage_error(e: BlobError) -> ApiError {
    match e {
        BlobError::NotFound => ApiError::NotFound("file"),
        BlobError::Other(msg) => {
            tracing::error!(error = %msg, "file storage failed");
            ApiError::Unavailable("file storage")
        }
    }
}

/// An upload on its way in: bytes go to a temporary file as they arrive,
/// with the first few KB kept for sniffing. Dropped unfinished, it cleans
/// up after itself.
pub struct Spool {
    path: PathBuf,
    file: tokio::fs::File,
    head: Vec<u8>,
    size: u64,
    limit: u64,
}

impl Spool {
    pub async fn new(state: &AppState) -> ApiResult<Spool> {
        let dir = state.config.data_dir.join("tmp");
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(ApiError::internal)?;
        let path = dir.join(format!("upload-{}", state.next_id()));
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(ApiError::internal)?;
        Ok(Spool {
            path,
            file,
            head: Vec::with_capacity(HEAD),
            size: 0,
            limit: state.config.max_upload_bytes,
        })
    }

    /// Appends a chunk; past the size limit the upload is refused (and the
    /// rest of the body is never read).
    pub async fn write(&mut self, chunk: &[u8]) -> ApiResult<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(ApiError::PayloadTooLarge);
        }
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.file.write_all(chunk).await.map_err(ApiError::internal)
    }

    async fn finish(&mut self) -> ApiResult<()> {
        self.file.flush().await.map_err(ApiError::internal)?;
        self.file.sync_all().await.map_err(ApiError::internal)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A name safe to show and to put in a header: the last path part, no
/// control characters, at most 200 characters.
pub fn clean_name(raw: Option<&str>) -> String {
    let base = raw
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>();
    let base = base.trim();
    if base.is_empty() || base == "." || base == ".." {
        "file".into()
    } else {
        base.to_owned()
    }
}

/// Checks the claimed types (header and name) against the bytes.
fn check_type(name: &str, declared: Option<&str>, sniffed: &Sniffed) -> ApiResult<()> {
    let by_name = file_type::implied_by_name(name);
    for claim in declared.into_iter().chain(by_name.as_deref()) {
        file_type::check_claim(claim, sniffed).map_err(ApiError::UnsupportedMediaType)?;
    }
    Ok(())
}

/// Width and height from the image header, refusing bombs and non-images.
async fn image_size(path: &Path) -> ApiResult<(u32, u32)> {
    let path = path.to_owned();
    let dims = tokio::task::spawn_blocking(move || {
        ImageReader::open(&path)
            .and_then(ImageReader::with_guessed_format)
            .map_err(ImageError::from)?
            .into_dimensions()
    })
    .await
    .map_err(ApiError::internal)?;
    let (w, h) =
        dims.map_err(|e| ApiError::UnsupportedMediaType(format!("the image cannot be read: {e}")))?;
    if !images::fits(w, h) {
        return Err(ValidationError::new(
            "file",
            format!(
                "images may be at most {} pixels a side and 50 megapixels",
                images::MAX_SIDE
            ),
        )
        .into());
    }
    Ok((w, h))
}

/// Stores a finished upload for `viewer` and queues its thumbnail.
pub async fn upload(
    state: &AppState,
    viewer: UserId,
    name: &str,
    declared: Option<&str>,
    mut spool: Spool,
) -> ApiResult<FileInfo> {
    spool.finish().await?;
    if spool.size == 0 {
        return Err(ValidationError::new("file", "must not be empty").into());
    }
    let sniffed = file_type::sniff(&spool.head);
    check_type(name, declared, &sniffed)?;
    let dims = if sniffed.is_raster_image() {
        Some(image_size(&spool.path).await?)
    } else {
        None
    };
    let id = state.next_id();
    let key = format!("files/{id}");
    state
        .blobs
        .put_file(&key, &spool.path, &sniffed.mime)
        .await
        .map_err(storage_error)?;
    let now = now_ms();
    let row = FileRow {
        id,
        uploader_id: viewer.get(),
        name: name.to_owned(),
        content_type: sniffed.mime,
        size: i64::try_from(spool.size).unwrap_or(i64::MAX),
        width: dims.map(|d| i64::from(d.0)),
        height: dims.map(|d| i64::from(d.1)),
        storage_key: key,
        thumb_key: None,
        message_id: None,
        channel_id: None,
        created_at: now,
    };
    let jobs = match dims {
        Some(_) => vec![NewJob {
            id: state.next_id(),
            kind: JOB_THUMBNAIL,
            payload: serde_json::to_string(&ThumbnailJob { file_id: id })
                .map_err(ApiError::internal)?,
            now,
        }],
        None => Vec::new(),
    };
    state.store.insert_file(&row, &jobs).await?;
    state.queue.kick();
    Ok(file_info(&row))
}

/// The viewer's own unattached uploads, ready to go on a new message.
pub async fn attachable(
    state: &AppState,
    viewer: UserId,
    ids: &[FileId],
) -> ApiResult<Vec<FileInfo>> {
    if ids.len() > MAX_ATTACHMENTS {
        return Err(ValidationError::new(
            "file_ids",
            format!("at most {MAX_ATTACHMENTS} files per message"),
        )
        .into());
    }
    let ids: Vec<i64> = ids.iter().map(|f| f.get()).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != ids.len() {
        return Err(ValidationError::new("file_ids", "a file is listed twice").into());
    }
    let rows = state.store.fetch_files(&ids).await?;
    let mut infos = Vec::with_capacity(ids.len());
    for &id in &ids {
        let row = rows
            .iter()
            .find(|r| r.id == id && r.uploader_id == viewer.get())
            .ok_or_else(|| {
                ValidationError::new("file_ids", format!("no upload of yours has id {id}"))
            })?;
        if row.message_id.is_some() || row.channel_id.is_some() {
            return Err(ValidationError::new(
                "file_ids",
                "a file is already attached to another message",
            )
            .into());
        }
        infos.push(file_info(row));
    }
    Ok(infos)
}

/// The file, if `viewer` may read it (404 otherwise, as if it did not exist).
async fn readable(state: &AppState, viewer: UserId, file_id: FileId) -> ApiResult<FileRow> {
    let not_found = || ApiError::NotFound("file");
    let row = state
        .store
        .fetch_file(file_id.get())
        .await?
        .ok_or_else(not_found)?;
    match row.message_id {
        None if row.uploader_id == viewer.get() && row.channel_id.is_none() => Ok(row),
        None => Err(not_found()),
        Some(message_id) => {
            let message = state
                .store
                .fetch_message(message_id)
                .await?
                .filter(|m| m.deleted_at.is_none())
                .ok_or_else(not_found)?;
            access::channel(state, viewer, ChannelId(message.channel_id))
                .await
                .map_err(|e| match e {
                    ApiError::NotFound(_) | ApiError::Forbidden(_) => not_found(),
                    other => other,
                })?;
            Ok(row)
        }
    }
}

pub async fn info(state: &AppState, viewer: UserId, file_id: FileId) -> ApiResult<FileInfo> {
    Ok(file_info(&readable(state, viewer, file_id).await?))
}

/// Which bytes of a file a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    Original,
    Thumbnail,
}

impl Variant {
    fn as_str(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Thumbnail => "thumbnail",
        }
    }
}

/// Thumbnails are JPEG, or PNG when the image has transparency; the key
/// says which.
fn thumb_type(key: &str) -> &'static str {
    if key.ends_with("-png") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

/// (key, content type, download name, disposition) of one variant.
fn variant_of(row: &FileRow, variant: Variant) -> Option<(String, String, String, Disposition)> {
    match variant {
        Variant::Original => {
            // Only images we decoded are shown in place; everything else
            // (HTML, SVG, PDF …) is always a download, never rendered in our
            // origin's context.
            let disposition = if row.width.is_some() {
                Disposition::Inline
            } else {
                Disposition::Attachment
            };
            Some((
                row.storage_key.clone(),
                row.content_type.clone(),
                row.name.clone(),
                disposition,
            ))
        }
        Variant::Thumbnail => row.thumb_key.as_ref().map(|k| {
            (
                k.clone(),
                thumb_type(k).to_owned(),
                format!("thumb-{}", row.name),
                Disposition::Inline,
            )
        }),
    }
}

fn signed_data(file_id: i64, variant: Variant, expires: i64) -> String {
    format!("{file_id}:{}:{expires}", variant.as_str())
}

async fn make_link(
    state: &AppState,
    row: &FileRow,
    variant: Variant,
    expires: i64,
) -> ApiResult<Option<String>> {
    let Some((key, mime, name, disposition)) = variant_of(row, variant) else {
        return Ok(None);
    };
    if let Some(url) = state
        .blobs
        .presign(&key, LINK_TTL, &mime, &name, disposition)
        .await
        .map_err(storage_error)?
    {
        return Ok(Some(url));
    }
    let sig = state
        .tokens
        .sign_link(&signed_data(row.id, variant, expires));
    Ok(Some(format!(
        "/api/v1/files/{}/content?variant={}&expires={expires}&sig={sig}",
        row.id,
        variant.as_str()
    )))
}

/// Short-lived links to a file and its thumbnail (made now if the job has
/// not run yet).
pub async fn link(state: &AppState, viewer: UserId, file_id: FileId) -> ApiResult<FileLink> {
    let mut row = readable(state, viewer, file_id).await?;
    if row.width.is_some() && row.thumb_key.is_none() {
        row.thumb_key = Some(ensure_thumbnail(state, FileId(row.id)).await?);
    }
    let expires = now_ms() / 1000 + LINK_TTL.as_secs() as i64;
    Ok(FileLink {
        url: make_link(state, &row, Variant::Original, expires)
            .await?
            .ok_or(ApiError::NotFound("file"))?,
        thumbnail_url: make_link(state, &row, Variant::Thumbnail, expires).await?,
        expires_at: Timestamp::from_millis(expires * 1000),
    })
}

/// The bytes behind a server-signed link (local storage).
pub struct Download {
    pub reader: BlobReader,
    pub content_type: String,
    pub name: String,
    pub disposition: Disposition,
    pub size: Option<u64>,
}

pub async fn open_signed(
    state: &AppState,
    file_id: FileId,
    variant: Variant,
    expires: i64,
    sig: &str,
) -> ApiResult<Download> {
    if expires < now_ms() / 1000
        || !state
            .tokens
            .verify_link(&signed_data(file_id.get(), variant, expires), sig)
    {
        return Err(ApiError::Forbidden(
            "this download link is invalid or has expired",
        ));
    }
    let row = state
        .store
        .fetch_file(file_id.get())
        .await?
        .ok_or(ApiError::NotFound("file"))?;
    let (key, content_type, name, disposition) =
        variant_of(&row, variant).ok_or(ApiError::NotFound("file"))?;
    let reader = state.blobs.open(&key).await.map_err(storage_error)?;
    Ok(Download {
        reader,
        content_type,
        name,
        disposition,
        size: (variant == Variant::Original).then(|| u64::try_from(row.size).unwrap_or(0)),
    })
}

/// Reads a whole blob (bounded by the upload limit) for decoding.
async fn read_blob(state: &AppState, key: &str) -> ApiResult<Vec<u8>> {
    let mut reader = state.blobs.open(key).await.map_err(storage_error)?;
    let mut bytes = Vec::new();
    (&mut reader)
        .take(state.config.max_upload_bytes + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| storage_error(BlobError::Other(e.to_string())))?;
    Ok(bytes)
}

/// Makes the thumbnail of an image upload unless it exists; returns its
/// key. Idempotent: the thumbnail job and an impatient reader may both run
/// it, and they write the same bytes under the same key.
pub async fn ensure_thumbnail(state: &AppState, file_id: FileId) -> ApiResult<String> {
    let row = state
        .store
        .fetch_file(file_id.get())
        .await?
        .ok_or(ApiError::NotFound("file"))?;
    if let Some(k) = row.thumb_key {
        return Ok(k);
    }
    if row.width.is_none() {
        return Err(ApiError::NotFound("thumbnail"));
    }
    let bytes = read_blob(state, &row.storage_key).await?;
    let (thumb, ext) = tokio::task::spawn_blocking(move || images::thumbnail(&bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(anyhow::anyhow!("thumbnail of file {file_id}: {e}")))?;
    let key = format!("thumbs/{file_id}-{ext}");
    state
        .blobs
        .put_bytes(&key, thumb, thumb_type(&key))
        .await
        .map_err(storage_error)?;
    state.store.update_file_thumb(file_id.get(), &key).await?;
    Ok(key)
}

/// Sets the viewer's avatar from an uploaded image: cropped to a square and
/// scaled to 256 px.
pub async fn set_avatar(
    state: &AppState,
    viewer: UserId,
    name: &str,
    declared: Option<&str>,
    mut spool: Spool,
) -> ApiResult<User> {
    spool.finish().await?;
    let sniffed = file_type::sniff(&spool.head);
    check_type(name, declared, &sniffed)?;
    if !sniffed.is_raster_image() {
        return Err(ApiError::UnsupportedMediaType(
            "an avatar must be a PNG, JPEG, GIF or WebP image".into(),
        ));
    }
    image_size(&spool.path).await?;
    let bytes = tokio::fs::read(&spool.path)
        .await
        .map_err(ApiError::internal)?;
    let avatar = tokio::task::spawn_blocking(move || images::avatar(&bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::UnsupportedMediaType(format!("the image cannot be read: {e}")))?;
    let id = state.next_id();
    state
        .blobs
        .put_bytes(&format!("avatars/{id}"), avatar, "image/jpeg")
        .await
        .map_err(storage_error)?;
    let (profile, old) = users::update_avatar(state, viewer, Some(FileId(id))).await?;
    if let Some(old) = old {
        let _ = state.blobs.delete(&format!("avatars/{old}")).await;
    }
    Ok(profile)
}

pub async fn clear_avatar(state: &AppState, viewer: UserId) -> ApiResult<User> {
    let (profile, old) = users::update_avatar(state, viewer, None).await?;
    if let Some(old) = old {
        let _ = state.blobs.delete(&format!("avatars/{old}")).await;
    }
    Ok(profile)
}

/// A user's avatar: a redirect to a presigned link, or the bytes.
pub enum Avatar {
    Redirect(String),
    Bytes(BlobReader),
}

pub async fn avatar(state: &AppState, user_id: UserId) -> ApiResult<Avatar> {
    let row = state
        .store
        .fetch_user(user_id.get())
        .await?
        .ok_or(ApiError::NotFound("avatar"))?;
    let id = row.avatar_file_id.ok_or(ApiError::NotFound("avatar"))?;
    let key = format!("avatars/{id}");
    let name = format!("{}.jpg", user(&row, now_ms()).username);
    if let Some(url) = state
        .blobs
        .presign(&key, LINK_TTL, "image/jpeg", &name, Disposition::Inline)
        .await
        .map_err(storage_error)?
    {
        return Ok(Avatar::Redirect(url));
    }
    Ok(Avatar::Bytes(
        state.blobs.open(&key).await.map_err(storage_error)?,
    ))
}
