//! First steps: create a workspace or join one with an invite code, and
//! the invite link page (`/invite/{code}`).

use parley_shared::api::{
    Channel, CreateWorkspaceRequest, InvitePreview, Workspace, WorkspaceMember,
};
use parley_shared::validate;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{use_ctx, Ctx, Route};
use crate::store::Action;
use crate::ui::common::{logo, ErrorBanner};
use crate::ui::target_value;

/// Where an invite code is remembered while its holder signs up.
pub const PENDING_INVITE: &str = "parley.pending_invite";

/// Accepts a bare code or a pasted link ending in `/invite/<code>`.
pub fn invite_code(input: &str) -> Option<String> {
    let s = input.trim().trim_end_matches('/');
    let code = s.rsplit('/').next().unwrap_or(s);
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    ok.then(|| code.to_owned())
}

/// Joins a workspace and loads it into the store; returns the first channel.
pub async fn accept_invite(
    ctx: &Ctx,
    code: &str,
) -> Result<Option<parley_shared::ChannelId>, crate::api::ApiError> {
    let ws: Workspace = ctx.api.accept_invite(code).await?;
    ctx.api.platform().remove(PENDING_INVITE);
    open_workspace(ctx, ws).await
}

/// Puts a workspace (new or joined) in the store and selects it.
pub async fn open_workspace(
    ctx: &Ctx,
    ws: Workspace,
) -> Result<Option<parley_shared::ChannelId>, crate::api::ApiError> {
    let id = ws.id;
    ctx.dispatch(Action::WorkspaceUpsert(ws));
    ctx.dispatch(Action::SelectWorkspace(Some(id)));
    let chans: Vec<Channel> = ctx.api.workspace_channels(id).await?;
    let first = chans
        .iter()
        .find(|c| c.name == "general")
        .or(chans.first())
        .map(|c| c.id);
    ctx.dispatch(Action::Channels(Some(id), chans));
    let members: Vec<WorkspaceMember> = ctx.api.workspace_members(id).await?;
    ctx.dispatch(Action::Members(id, members));
    crate::app::subscribe_presence(&ctx.ws);
    Ok(first)
}

fn go(nav: &Option<Navigator>, channel: Option<parley_shared::ChannelId>) {
    if let Some(nav) = nav {
        match channel {
            Some(id) => nav.push(&Route::Channel { id: id.to_string() }),
            None => nav.push(&Route::Home),
        }
    }
}

#[function_component(Welcome)]
pub fn welcome() -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let name = use_state(String::new);
    let code = use_state(String::new);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    if ctx.state().me.is_none() {
        return html! { <Redirect<Route> to={Route::Login} /> };
    }
    let create = {
        let (ctx, nav, name, error, busy) = (
            ctx.clone(),
            nav.clone(),
            name.clone(),
            error.clone(),
            busy.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let n = match validate::workspace_name(&name) {
                Ok(n) => n,
                Err(e) => {
                    error.set(Some(format!("Workspace name {}", e.message)));
                    return;
                }
            };
            busy.set(true);
            let (ctx, nav, error, busy) = (ctx.clone(), nav.clone(), error.clone(), busy.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let body = CreateWorkspaceRequest {
                    name: n,
                    description: None,
                };
                let res = match ctx.api.create_workspace(&body).await {
                    Ok(ws) => open_workspace(&ctx, ws).await,
                    Err(e) => Err(e),
                };
                busy.set(false);
                match res {
                    Ok(first) => go(&nav, first),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let join = {
        let (ctx, nav, code, error, busy) = (
            ctx.clone(),
            nav.clone(),
            code.clone(),
            error.clone(),
            busy.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(c) = invite_code(&code) else {
                error.set(Some("Paste an invite link or code".into()));
                return;
            };
            busy.set(true);
            let (ctx, nav, error, busy) = (ctx.clone(), nav.clone(), error.clone(), busy.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let res = accept_invite(&ctx, &c).await;
                busy.set(false);
                match res {
                    Ok(first) => go(&nav, first),
                    Err(e) if e.status == 404 => {
                        error.set(Some("This invite is invalid, used up or expired.".into()))
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let has_ws = !ctx.state().workspaces.is_empty();
    html! {
        <div class="auth-page">
            <div class="auth-card wide">
                <div class="auth-brand"><span class="logo-mark">{ logo() }</span><span>{ "Parley" }</span></div>
                <h1>{ "Set up your workspace" }</h1>
                <p class="muted">{ "A workspace is where your team talks. Start a new one or join with an invite." }</p>
                if let Some(e) = (*error).clone() {
                    <ErrorBanner message={e} />
                }
                <div class="welcome-grid">
                    <form class="welcome-box" onsubmit={create}>
                        <h2>{ "Create a workspace" }</h2>
                        <div class="field">
                            <label for="ws-name">{ "Workspace name" }</label>
                            <input id="ws-name" placeholder="Acme Inc." value={(*name).clone()}
                                oninput={let n = name.clone(); move |e: InputEvent| n.set(target_value(&e))} />
                        </div>
                        <button class="btn primary block" type="submit" disabled={*busy} id="create-ws">{ "Create workspace" }</button>
                    </form>
                    <form class="welcome-box" onsubmit={join}>
                        <h2>{ "Join with an invite" }</h2>
                        <div class="field">
                            <label for="invite-code">{ "Invite link or code" }</label>
                            <input id="invite-code" placeholder="https://…/invite/…" value={(*code).clone()}
                                oninput={let c = code.clone(); move |e: InputEvent| c.set(target_value(&e))} />
                        </div>
                        <button class="btn block" type="submit" disabled={*busy} id="join-ws">{ "Join workspace" }</button>
                    </form>
                </div>
                if has_ws {
                    <p class="auth-switch"><Link<Route> to={Route::Home}>{ "← Back to your workspaces" }</Link<Route>></p>
                }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct InviteProps {
    pub code: String,
}

#[function_component(InvitePage)]
pub fn invite_page(p: &InviteProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let preview = use_state(|| None::<Result<InvitePreview, String>>);
    let busy = use_state(|| false);
    let signed_in = ctx.state().me.is_some();
    {
        let (ctx, preview, code) = (ctx.clone(), preview.clone(), p.code.clone());
        use_effect_with((code.clone(), signed_in), move |_| {
            if signed_in {
                wasm_bindgen_futures::spawn_local(async move {
                    let r = ctx.api.invite_preview(&code).await;
                    preview.set(Some(r.map_err(|e| {
                        if e.status == 404 {
                            "This invite is invalid, used up or expired.".to_owned()
                        } else {
                            e.message
                        }
                    })));
                });
            } else {
                ctx.api.platform().save(PENDING_INVITE, &code);
            }
        });
    }
    if !signed_in {
        return html! {
            <div class="auth-page"><div class="auth-card">
                <div class="auth-brand"><span class="logo-mark">{ logo() }</span><span>{ "Parley" }</span></div>
                <h1>{ "You're invited" }</h1>
                <p class="muted">{ "Create an account or sign in to join the workspace." }</p>
                <Link<Route> to={Route::Signup} classes="btn primary block">{ "Create account" }</Link<Route>>
                <p class="auth-switch"><Link<Route> to={Route::Login}>{ "I already have an account" }</Link<Route>></p>
            </div></div>
        };
    }
    let accept = {
        let (ctx, nav, code, busy, preview) = (
            ctx.clone(),
            nav.clone(),
            p.code.clone(),
            busy.clone(),
            preview.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            busy.set(true);
            let (ctx, nav, code, busy, preview) = (
                ctx.clone(),
                nav.clone(),
                code.clone(),
                busy.clone(),
                preview.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match accept_invite(&ctx, &code).await {
                    Ok(first) => go(&nav, first),
                    Err(e) => {
                        busy.set(false);
                        preview.set(Some(Err(e.message)));
                    }
                }
            });
        })
    };
    html! {
        <div class="auth-page"><div class="auth-card">
            <div class="auth-brand"><span class="logo-mark">{ logo() }</span><span>{ "Parley" }</span></div>
            { match &*preview {
                None => html! { <p class="muted">{ "Checking the invite…" }</p> },
                Some(Err(e)) => html! { <>
                    <h1>{ "Invite unavailable" }</h1>
                    <ErrorBanner message={e.clone()} />
                    <Link<Route> to={Route::Home} classes="btn block">{ "Go to Parley" }</Link<Route>>
                </> },
                Some(Ok(pv)) => html! { <>
                    <h1>{ format!("Join {}", pv.workspace_name) }</h1>
                    <p class="muted">{ format!("{} member{}", pv.member_count, if pv.member_count == 1 { "" } else { "s" }) }</p>
                    <button class="btn primary block" onclick={accept} disabled={*busy} id="accept-invite">{ "Accept invite" }</button>
                </> },
            } }
        </div></div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_codes_come_from_links_or_bare_codes() {
        assert_eq!(invite_code(" abc_DEF-1 ").as_deref(), Some("abc_DEF-1"));
        assert_eq!(
            invite_code("http://127.0.0.1:8080/invite/xyz/").as_deref(),
            Some("xyz")
        );
        assert_eq!(invite_code(""), None);
        assert_eq!(invite_code("bad code"), None);
    }
}
