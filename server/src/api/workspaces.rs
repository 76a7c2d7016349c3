//! `/api/v1/workspaces/*` and `/api/v1/invites/*`.

use axum::extract::State;
use axum::http::StatusCode;
use parley_shared::api::{
    CreateInviteRequest, CreateWorkspaceRequest, Invite, InvitePreview, UpdateMemberRoleRequest,
    UpdateWorkspaceRequest, Workspace, WorkspaceMember,
};
use parley_shared::{ErrorBody, InviteId, UserId, WorkspaceId};

use super::extract::{AuthUser, Json, Path};
use crate::error::ApiResult;
use crate::service::workspaces;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces", security(("bearer" = [])),
    responses((status = 200, body = [Workspace]), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
) -> ApiResult<axum::Json<Vec<Workspace>>> {
    Ok(axum::Json(workspaces::list(&state, me).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces", tag = "workspaces", security(("bearer" = [])),
    request_body = CreateWorkspaceRequest,
    responses((status = 201, body = Workspace), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Json(req): Json<CreateWorkspaceRequest>,
) -> ApiResult<(StatusCode, axum::Json<Workspace>)> {
    Ok((
        StatusCode::CREATED,
        axum::Json(workspaces::create(&state, me, req).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{id}", tag = "workspaces", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Workspace), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<WorkspaceId>,
) -> ApiResult<axum::Json<Workspace>> {
    Ok(axum::Json(workspaces::get(&state, me, id).await?))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{id}", tag = "workspaces", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateWorkspaceRequest,
    responses((status = 200, body = Workspace), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<WorkspaceId>,
    Json(req): Json<UpdateWorkspaceRequest>,
) -> ApiResult<axum::Json<Workspace>> {
    Ok(axum::Json(workspaces::update(&state, me, id, req).await?))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{id}/members", tag = "workspaces",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = [WorkspaceMember]), (status = "4XX", body = ErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<WorkspaceId>,
) -> ApiResult<axum::Json<Vec<WorkspaceMember>>> {
    Ok(axum::Json(workspaces::members(&state, me, id).await?))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{id}/members/{user_id}", tag = "workspaces",
    security(("bearer" = [])), params(("id" = String, Path), ("user_id" = String, Path)),
    request_body = UpdateMemberRoleRequest,
    responses((status = 200, body = WorkspaceMember), (status = "4XX", body = ErrorBody)))]
pub async fn set_role(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path((id, user)): Path<(WorkspaceId, UserId)>,
    Json(req): Json<UpdateMemberRoleRequest>,
) -> ApiResult<axum::Json<WorkspaceMember>> {
    Ok(axum::Json(
        workspaces::set_role(&state, me, id, user, req.role).await?,
    ))
}

/// Removes a member; removing yourself leaves the workspace.
#[utoipa::path(delete, path = "/api/v1/workspaces/{id}/members/{user_id}", tag = "workspaces",
    security(("bearer" = [])), params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path((id, user)): Path<(WorkspaceId, UserId)>,
) -> ApiResult<StatusCode> {
    workspaces::remove_member(&state, me, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates an invite link; the response is the only time its code is shown.
#[utoipa::path(post, path = "/api/v1/workspaces/{id}/invites", tag = "workspaces",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = CreateInviteRequest,
    responses((status = 201, body = Invite), (status = "4XX", body = ErrorBody)))]
pub async fn create_invite(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<WorkspaceId>,
    Json(req): Json<CreateInviteRequest>,
) -> ApiResult<(StatusCode, axum::Json<Invite>)> {
    Ok((
        StatusCode::CREATED,
        axum::Json(workspaces::create_invite(&state, me, id, req).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{id}/invites", tag = "workspaces",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = [Invite]), (status = "4XX", body = ErrorBody)))]
pub async fn list_invites(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<WorkspaceId>,
) -> ApiResult<axum::Json<Vec<Invite>>> {
    Ok(axum::Json(workspaces::list_invites(&state, me, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{id}/invites/{invite_id}", tag = "workspaces",
    security(("bearer" = [])), params(("id" = String, Path), ("invite_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn revoke_invite(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path((id, invite)): Path<(WorkspaceId, InviteId)>,
) -> ApiResult<StatusCode> {
    workspaces::revoke_invite(&state, me, id, invite).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/invites/{code}", tag = "workspaces", security(("bearer" = [])),
    params(("code" = String, Path)),
    responses((status = 200, body = InvitePreview), (status = "4XX", body = ErrorBody)))]
pub async fn preview_invite(
    State(state): State<AppState>,
    AuthUser(_): AuthUser,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<InvitePreview>> {
    Ok(axum::Json(workspaces::preview_invite(&state, &code).await?))
}

#[utoipa::path(post, path = "/api/v1/invites/{code}/accept", tag = "workspaces",
    security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = Workspace), (status = "4XX", body = ErrorBody)))]
pub async fn accept_invite(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<Workspace>> {
    Ok(axum::Json(
        workspaces::accept_invite(&state, me, &code).await?,
    ))
}
