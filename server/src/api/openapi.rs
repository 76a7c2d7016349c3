//! The OpenAPI 3 document of every route, served at `/api/v1/openapi.json`.
//! A test checks that every route the router serves is listed here.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{auth, calls, channels, dms, files, health, messages, push, users, workspaces};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Parley API", description = "Team chat: workspaces, channels, DMs, messages."),
    modifiers(&BearerAuth),
    paths(
        health::healthz, health::readyz,
        auth::register, auth::login, auth::refresh, auth::logout,
        users::me, users::get, users::update, users::update_status, users::preferences,
        users::update_preferences, users::update_channel_preference, users::mentions,
        users::presence,
        files::upload, files::get, files::link, files::download, files::thumbnail, files::content,
        files::set_avatar, files::clear_avatar, files::avatar,
        push::vapid_key, push::subscribe, push::unsubscribe,
        workspaces::list, workspaces::create, workspaces::get, workspaces::update,
        workspaces::members, workspaces::set_role, workspaces::remove_member,
        workspaces::create_invite, workspaces::list_invites, workspaces::revoke_invite,
        workspaces::preview_invite, workspaces::accept_invite,
        channels::list, channels::create, channels::get, channels::update, channels::archive,
        channels::members, channels::add_members, channels::remove_member, channels::leave,
        channels::mark_read,
        messages::list, messages::send, messages::edit, messages::delete, messages::add_reaction,
        messages::remove_reaction, messages::pin, messages::unpin, messages::pins,
        messages::reply, messages::thread, messages::search,
        dms::list, dms::open, dms::messages, dms::send,
        calls::ice_servers,
        super::ws::upgrade,
    )
)]
pub struct ApiDoc;

pub async fn serve() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
