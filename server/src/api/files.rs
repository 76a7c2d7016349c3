//! `/api/v1/files/*` and avatars: uploads (multipart, streamed to disk),
//! file info, short-lived download links and the bytes behind them.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use parley_shared::api::{FileInfo, FileLink, User};
use parley_shared::{ErrorBody, FileId, UserId};
use serde::Deserialize;
use tokio_util::io::ReaderStream;

use super::extract::{AuthUser, Multipart, Path, Query};
use crate::blobs::content_disposition;
use crate::error::{ApiError, ApiResult};
use crate::service::files::{self, Avatar, Spool, Variant};
use crate::state::AppState;

/// The form of an upload, for the OpenAPI document: one file field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Reads the multipart field named `file` into a spool; returns its name
/// and declared type too. Other fields are ignored.
async fn receive(
    state: &AppState,
    Multipart(mut form): Multipart,
) -> ApiResult<(String, Option<String>, Spool)> {
    let bad = |e: axum::extract::multipart::MultipartError| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => ApiError::BadRequest(e.body_text()),
    };
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = files::clean_name(field.file_name());
        let declared = field.content_type().map(str::to_owned);
        let mut spool = Spool::new(state).await?;
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            spool.write(&chunk).await?;
        }
        return Ok((name, declared, spool));
    }
    Err(ApiError::BadRequest(
        "expected multipart/form-data with a `file` field".into(),
    ))
}

#[utoipa::path(post, path = "/api/v1/files", tag = "files", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "a `file` field"),
    responses((status = 201, body = FileInfo), (status = "4XX", body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    form: Multipart,
) -> ApiResult<(StatusCode, axum::Json<FileInfo>)> {
    let (name, declared, spool) = receive(&state, form).await?;
    let info = files::upload(&state, me, &name, declared.as_deref(), spool).await?;
    Ok((StatusCode::CREATED, axum::Json(info)))
}

#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = FileInfo), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<FileId>,
) -> ApiResult<axum::Json<FileInfo>> {
    Ok(axum::Json(files::info(&state, me, id).await?))
}

#[utoipa::path(get, path = "/api/v1/files/{id}/link", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = FileLink), (status = "4XX", body = ErrorBody)))]
pub async fn link(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<FileId>,
) -> ApiResult<axum::Json<FileLink>> {
    Ok(axum::Json(files::link(&state, me, id).await?))
}

#[utoipa::path(get, path = "/api/v1/files/{id}/download", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 303, description = "to a short-lived link"), (status = "4XX", body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<FileId>,
) -> ApiResult<Redirect> {
    Ok(Redirect::to(&files::link(&state, me, id).await?.url))
}

#[utoipa::path(get, path = "/api/v1/files/{id}/thumbnail", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 303, description = "to a short-lived link"), (status = "4XX", body = ErrorBody)))]
pub async fn thumbnail(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<FileId>,
) -> ApiResult<Redirect> {
    let link = files::link(&state, me, id).await?;
    let url = link.thumbnail_url.ok_or(ApiError::NotFound("thumbnail"))?;
    Ok(Redirect::to(&url))
}

#[derive(Debug, Deserialize)]
pub struct SignedQuery {
    variant: Variant,
    expires: i64,
    sig: String,
}

#[utoipa::path(get, path = "/api/v1/files/{id}/content", tag = "files",
    params(("id" = String, Path), ("variant" = String, Query), ("expires" = i64, Query), ("sig" = String, Query)),
    responses((status = 200, description = "the bytes"), (status = "4XX", body = ErrorBody)))]
pub async fn content(
    State(state): State<AppState>,
    Path(id): Path<FileId>,
    Query(q): Query<SignedQuery>,
) -> ApiResult<Response> {
    let d = files::open_signed(&state, id, q.variant, q.expires, &q.sig).await?;
    let mut res = Body::from_stream(ReaderStream::new(d.reader)).into_response();
    let headers = res.headers_mut();
    let value = |v: String| HeaderValue::from_str(&v).map_err(ApiError::internal);
    headers.insert(header::CONTENT_TYPE, value(d.content_type)?);
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(content_disposition(d.disposition, &d.name))?,
    );
    if let Some(size) = d.size {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    // The link itself expires; browsers may keep the bytes until then.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=900"),
    );
    // Even if a browser rendered it, nothing in it could run.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(res)
}

#[utoipa::path(put, path = "/api/v1/users/me/avatar", tag = "users", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "a `file` field with an image"),
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)))]
pub async fn set_avatar(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    form: Multipart,
) -> ApiResult<axum::Json<User>> {
    let (name, declared, spool) = receive(&state, form).await?;
    Ok(axum::Json(
        files::set_avatar(&state, me, &name, declared.as_deref(), spool).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/me/avatar", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)))]
pub async fn clear_avatar(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(files::clear_avatar(&state, me).await?))
}

#[utoipa::path(get, path = "/api/v1/users/{id}/avatar", tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, description = "a 256 px JPEG", content_type = "image/jpeg"), (status = 307, description = "to a presigned link"), (status = "4XX", body = ErrorBody)))]
pub async fn avatar(State(state): State<AppState>, Path(id): Path<UserId>) -> ApiResult<Response> {
    Ok(match files::avatar(&state, id).await? {
        Avatar::Redirect(url) => Redirect::temporary(&url).into_response(),
        Avatar::Bytes(reader) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg")),
                // Avatar URLs carry the avatar's id (`?v=`), so a new avatar
                // is a new URL and the old one may be cached for long.
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
            ],
            Body::from_stream(ReaderStream::new(reader)),
        )
            .into_response(),
    })
}
