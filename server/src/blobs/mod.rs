//! The Blobs port: bytes of uploads, thumbnails and avatars, by key.
//!
//! Adapters: [`LocalBlobs`] (a directory, the embedded default) and
//! [`S3Blobs`] (any S3-compatible bucket, path-style). Keys are made by the
//! server (`files/<id>`, `thumbs/<id>`, `avatars/<id>`), never by clients.

mod local;
mod s3;

pub use local::LocalBlobs;
pub use s3::S3Blobs;

use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::AsyncRead;

pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob not found")]
    NotFound,
    #[error("blob storage: {0}")]
    Other(String),
}

impl From<std::io::Error> for BlobError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => BlobError::NotFound,
            _ => BlobError::Other(e.to_string()),
        }
    }
}

/// How a browser should treat a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown in place (images the server has checked).
    Inline,
    /// Always saved, never rendered (HTML, SVG, anything else).
    Attachment,
}

#[async_trait::async_trait]
pub trait Blobs: Send + Sync {
    /// Stores a finished local file under `key` (the file may be moved).
    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), BlobError>;
    async fn put_bytes(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), BlobError>;
    async fn open(&self, key: &str) -> Result<BlobReader, BlobError>;
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    /// A link a browser may GET without credentials until `ttl` passes, or
    /// `None` when this store has no such links (the server then signs its
    /// own and streams the bytes).
    async fn presign(
        &self,
        key: &str,
        ttl: Duration,
        content_type: &str,
        download_name: &str,
        disposition: Disposition,
    ) -> Result<Option<String>, BlobError>;
}

/// `Content-Disposition` for a download named `name` (RFC 6266: an ASCII
/// fallback plus the UTF-8 name, so Korean file names survive).
pub fn content_disposition(disposition: Disposition, name: &str) -> String {
    let kind = match disposition {
        Disposition::Inline => "inline",
        Disposition::Attachment => "attachment",
    };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .-_()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_keeps_utf8_names_and_quotes_nothing_raw() {
        let d = content_disposition(Disposition::Attachment, "회의록 \"final\".pdf");
        assert_eq!(
            d,
            "attachment; filename=\"___ _final_.pdf\"; filename*=UTF-8''%ED%9A%8C%EC%9D%98%EB%A1%9D%20%22final%22.pdf"
        );
    }
}
