//! Blobs in an S3-compatible bucket (path-style, so MinIO, SeaweedFS and
//! Ceph work as well as AWS). Downloads never pass through the server: it
//! hands out presigned GET links with a short lifetime.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use super::{content_disposition, BlobError, BlobReader, Blobs, Disposition};
use crate::config::S3Config;

pub struct S3Blobs {
    client: Client,
    bucket: String,
    prefix: String,
}

fn other(e: impl std::error::Error) -> BlobError {
    BlobError::Other(DisplayErrorContext(e).to_string())
}

impl S3Blobs {
    /// Connects and creates the bucket when it does not exist yet, so a new
    /// deployment needs no manual step.
    pub async fn connect(c: &S3Config) -> Result<S3Blobs, BlobError> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(c.region.clone()))
            .endpoint_url(&c.endpoint)
            .force_path_style(true)
            .credentials_provider(Credentials::new(
                &c.access_key,
                &c.secret_key,
                None,
                None,
                "parley-config",
            ))
            .http_client(http)
            .build();
        let blobs = S3Blobs {
            client: Client::from_conf(conf),
            bucket: c.bucket.clone(),
            prefix: c.prefix.clone(),
        };
        blobs.ensure_bucket().await?;
        Ok(blobs)
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    async fn ensure_bucket(&self) -> Result<(), BlobError> {
        if self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Another node created it a moment ago.
            Err(e)
                if matches!(
                    e.code(),
                    Some("BucketAlreadyOwnedByYou") | Some("BucketAlreadyExists")
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(other(e)),
        }
    }
}

#[async_trait::async_trait]
impl Blobs for S3Blobs {
    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), BlobError> {
        let body = ByteStream::from_path(path).await.map_err(other)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(other)?;
        Ok(())
    }

    async fn put_bytes(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), BlobError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(other)?;
        Ok(())
    }

    async fn open(&self, key: &str) -> Result<BlobReader, BlobError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .send()
            .await
        {
            Ok(out) => Ok(Box::pin(out.body.into_async_read())),
            Err(e) if e.code() == Some("NoSuchKey") => Err(BlobError::NotFound),
            Err(e) => Err(other(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .send()
            .await
            .map_err(other)?;
        Ok(())
    }

    async fn presign(
        &self,
        key: &str,
        ttl: Duration,
        content_type: &str,
        download_name: &str,
        disposition: Disposition,
    ) -> Result<Option<String>, BlobError> {
        let presigning = PresigningConfig::expires_in(ttl).map_err(other)?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .response_content_type(content_type)
            .response_content_disposition(content_disposition(disposition, download_name))
            .presigned(presigning)
            .await
            .map_err(other)?;
        Ok(Some(req.uri().to_owned()))
    }
}
