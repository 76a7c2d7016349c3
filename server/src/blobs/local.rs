//! Blobs in a local directory: the embedded default. Writes go to a
//! temporary name and are renamed into place, so a reader never sees half a
//! file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{BlobError, BlobReader, Blobs, Disposition};

pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    pub fn new(root: PathBuf) -> std::io::Result<LocalBlobs> {
        std::fs::create_dir_all(&root)?;
        Ok(LocalBlobs { root })
    }

    /// Server-made keys only contain `[a-z0-9/]`; anything else is a bug,
    /// refused rather than allowed to escape the root.
    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        let safe = !key.is_empty()
            && !key.starts_with('/')
            && key.split('/').all(|part| {
                !part.is_empty()
                    && part != ".."
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !safe {
            return Err(BlobError::Other(format!("bad blob key {key:?}")));
        }
        Ok(self.root.join(key))
    }

    async fn prepare(&self, key: &str) -> Result<(PathBuf, PathBuf), BlobError> {
        let dest = self.path(key)?;
        if let Some(dir) = dest.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = dest.with_extension("partial");
        Ok((dest, tmp))
    }
}

#[async_trait::async_trait]
impl Blobs for LocalBlobs {
    async fn put_file(&self, key: &str, path: &Path, _: &str) -> Result<(), BlobError> {
        let (dest, tmp) = self.prepare(key).await?;
        // A rename when both are on one file system, a copy otherwise.
        if tokio::fs::rename(path, &dest).await.is_err() {
            tokio::fs::copy(path, &tmp).await?;
            tokio::fs::rename(&tmp, &dest).await?;
        }
        Ok(())
    }

    async fn put_bytes(&self, key: &str, bytes: Vec<u8>, _: &str) -> Result<(), BlobError> {
        let (dest, tmp) = self.prepare(key).await?;
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &dest).await?;
        Ok(())
    }

    async fn open(&self, key: &str) -> Result<BlobReader, BlobError> {
        let file = tokio::fs::File::open(self.path(key)?).await?;
        Ok(Box::pin(file))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    async fn presign(
        &self,
        _: &str,
        _: Duration,
        _: &str,
        _: &str,
        _: Disposition,
    ) -> Result<Option<String>, BlobError> {
        Ok(None)
    }
}
