//! The invite dialog: creates a week-long invite link for the workspace as
//! it opens and offers to copy it; non-admins are told they cannot invite.

use parley_shared::api::{CreateInviteRequest, Invite};
use yew::prelude::*;

use super::CloseProps;
use crate::app::use_ctx;
use crate::ui::common::{ErrorBanner, Modal};

#[function_component(InviteDialog)]
pub fn invite_dialog(p: &CloseProps) -> Html {
    let ctx = use_ctx();
    let invite = use_state(|| None::<Result<Invite, String>>);
    let copied = use_state(|| false);
    let ws = ctx.state().workspace;
    {
        let (ctx, invite) = (ctx.clone(), invite.clone());
        use_effect_with(ws, move |ws| {
            if let Some(ws) = *ws {
                wasm_bindgen_futures::spawn_local(async move {
                    let body = CreateInviteRequest {
                        max_uses: None,
                        expires_in_hours: Some(24 * 7),
                    };
                    let r = ctx.api.create_invite(ws, &body).await;
                    invite.set(Some(r.map_err(|e| {
                        if e.status == 403 {
                            "Only workspace admins can invite people.".to_owned()
                        } else {
                            e.message
                        }
                    })));
                });
            }
        });
    }
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let name = ctx
        .state()
        .workspaces
        .iter()
        .find(|w| Some(w.id) == ws)
        .map(|w| w.name.clone())
        .unwrap_or_default();
    html! {
        <Modal title={format!("Invite people to {name}")} on_close={p.on_close.clone()}>
            { match &*invite {
                None => html! { <p class="muted">{ "Creating an invite link…" }</p> },
                Some(Err(e)) => html! { <ErrorBanner message={e.clone()} /> },
                Some(Ok(inv)) => {
                    let code = inv.code.clone().unwrap_or_default();
                    let link = format!("{origin}/invite/{code}");
                    let copy = {
                        let (link, copied) = (link.clone(), copied.clone());
                        Callback::from(move |_: MouseEvent| {
                            if let Some(w) = web_sys::window() {
                                let _ = w.navigator().clipboard().write_text(&link);
                            }
                            copied.set(true);
                        })
                    };
                    html! { <>
                        <p class="muted">{ "Anyone with this link can join for the next 7 days." }</p>
                        <div class="copy-row">
                            <input readonly=true value={link.clone()} id="invite-link" aria-label="Invite link" />
                            <button class="btn primary" onclick={copy}>{ if *copied { "Copied" } else { "Copy link" } }</button>
                        </div>
                        <p class="muted small">{ "Invite code: " }<code id="invite-code-value">{ code }</code></p>
                    </> }
                }
            } }
        </Modal>
    }
}
