//! One message: avatar and name (unless grouped under the previous one),
//! sanitized Markdown, edited marker, reactions, thread summary, the hover
//! toolbar (react, reply, edit, delete) and inline editing.

use parley_shared::api::{EditMessageRequest, Message, ReactionRequest};
use parley_shared::validate;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::app::use_ctx;
use crate::store::{Action, Pending};
use crate::ui::common::{icon, Avatar};
use crate::ui::files::{human_size, Attachment};
use crate::ui::shell::{use_ui, Dialog, Panel};
use crate::{markdown, util};

/// Quick reactions offered first.
pub const QUICK: &[&str] = &["👍", "❤️", "😂", "🎉", "👀", "✅", "🙏", "🔥"];

#[derive(Properties, PartialEq)]
pub struct RowProps {
    pub message: Message,
    #[prop_or_default]
    pub compact: bool,
    pub mine: bool,
    pub can_delete: bool,
    #[prop_or_default]
    pub editing: bool,
    #[prop_or_default]
    pub focused: bool,
    /// Starts (`Some`) or ends (`None`) editing.
    pub on_edit: Callback<Option<parley_shared::MessageId>>,
    /// In the thread pane the "reply" button and summary are hidden.
    #[prop_or_default]
    pub in_thread: bool,
}

/// Toggles my reaction through REST; the WS event updates everyone's view.
pub fn toggle_reaction(ctx: &crate::app::Ctx, m: &Message, emoji: String) {
    let Some(me) = ctx.state().me_id() else {
        return;
    };
    let mine = m
        .reactions
        .iter()
        .any(|r| r.emoji == emoji && r.user_ids.contains(&me));
    let (ctx, id) = (ctx.clone(), m.id);
    wasm_bindgen_futures::spawn_local(async move {
        let res = if mine {
            ctx.api.remove_reaction(id, &emoji).await
        } else {
            ctx.api.add_reaction(id, &ReactionRequest { emoji }).await
        };
        if let Err(e) = res {
            web_sys::console::warn_1(&e.message.into());
        }
    });
}

#[function_component(MessageRow)]
pub fn message_row(p: &RowProps) -> Html {
    let ctx = use_ctx();
    let ui = use_ui();
    let picker = use_state(|| false);
    let draft = use_state(String::new);
    let edit_error = use_state(|| None::<String>);
    let m = &p.message;
    let offset = crate::ui::utc_offset_min();
    let state = ctx.state();
    let keywords = state
        .me
        .as_ref()
        .map(|me| me.preferences.keywords.clone())
        .unwrap_or_default();
    let html_body = use_memo((m.content.clone(), keywords), |(c, k)| {
        markdown::render_marking(c, k)
    });
    let me = state.me_id();

    let start_edit = {
        let (on_edit, draft, id, content) =
            (p.on_edit.clone(), draft.clone(), m.id, m.content.clone());
        Callback::from(move |_: MouseEvent| {
            draft.set(content.clone());
            on_edit.emit(Some(id));
        })
    };
    // Entering edit mode from the keyboard (Up) starts from the text too.
    {
        let (draft, content, editing) = (draft.clone(), m.content.clone(), p.editing);
        use_effect_with(editing, move |e| {
            if *e {
                draft.set(content);
                crate::ui::focus_id("edit-box");
            }
        });
    }
    let save = {
        let (ctx, draft, on_edit, id, edit_error) = (
            ctx.clone(),
            draft.clone(),
            p.on_edit.clone(),
            m.id,
            edit_error.clone(),
        );
        Callback::from(move |_: ()| {
            let content = match validate::message_content(&draft) {
                Ok(c) => c,
                Err(e) => {
                    edit_error.set(Some(e.message));
                    return;
                }
            };
            let (ctx, on_edit, edit_error) = (ctx.clone(), on_edit.clone(), edit_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ctx
                    .api
                    .edit_message(id, &EditMessageRequest { content })
                    .await
                {
                    Ok(m) => {
                        ctx.dispatch(Action::MessageUpsert(m));
                        edit_error.set(None);
                        on_edit.emit(None);
                    }
                    Err(e) => edit_error.set(Some(e.message)),
                }
            });
        })
    };
    let delete = {
        let (ctx, id) = (ctx.clone(), m.id);
        Callback::from(move |_: MouseEvent| {
            let ok = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message("Delete this message? This can't be undone.")
                        .ok()
                })
                .unwrap_or(false);
            if !ok {
                return;
            }
            let ctx = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = ctx.api.delete_message(id).await;
            });
        })
    };
    let open_thread = {
        let (ui, id) = (ui.clone(), m.id);
        Callback::from(move |_: MouseEvent| ui.open(Panel::Thread(id)))
    };
    let pin = {
        let (ctx, id, pinned) = (ctx.clone(), m.id, m.pinned_at.is_some());
        Callback::from(move |_: MouseEvent| {
            let ctx = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // A pinned message's button unpins it.
                let _ = ctx.api.set_pinned(id, !pinned).await;
            });
        })
    };
    // Clicking a mention opens that person's profile.
    let on_body_click = {
        let (ui, ctx) = (ui.clone(), ctx.clone());
        Callback::from(move |e: MouseEvent| {
            let Some(el) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            if let Some(name) = el.get_attribute("data-user") {
                if let Some(u) = ctx.state().users.values().find(|u| u.username == name) {
                    ui.show(Dialog::Profile(u.id));
                }
            }
        })
    };

    let author = &m.author;
    let name = util::display_name(author).to_owned();
    let time = util::clock(m.created_at, offset);
    let reactions = m.reactions.iter().map(|r| {
        let mine = me.is_some_and(|me| r.user_ids.contains(&me));
        let who: Vec<String> = r
            .user_ids
            .iter()
            .filter_map(|u| state.users.get(u).map(|u| util::display_name(u).to_owned()))
            .collect();
        let (ctx, msg, emoji) = (ctx.clone(), m.clone(), r.emoji.clone());
        let glyph = util::emoji_glyph(&r.emoji);
        html! {
            <button class={classes!("reaction", mine.then_some("mine"))} title={format!("{} reacted with {}", who.join(", "), r.emoji)}
                aria-pressed={mine.to_string()} aria-label={format!("{glyph} {} reactions", r.count)}
                onclick={move |_| toggle_reaction(&ctx, &msg, emoji.clone())}>
                <span class="r-emoji">{ glyph }</span><span class="r-count">{ r.count }</span>
            </button>
        }
    });
    let pick = {
        let (ctx, msg, picker) = (ctx.clone(), m.clone(), picker.clone());
        Callback::from(move |emoji: String| {
            picker.set(false);
            toggle_reaction(&ctx, &msg, emoji);
        })
    };

    let body = if m.deleted {
        html! { <div class="msg-body deleted">{ "This message was deleted." }</div> }
    } else if p.editing {
        let on_key = {
            let (save, on_edit) = (save.clone(), p.on_edit.clone());
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" && !e.shift_key() {
                    e.prevent_default();
                    save.emit(());
                } else if e.key() == "Escape" {
                    e.stop_propagation();
                    on_edit.emit(None);
                }
            })
        };
        html! {
            <div class="edit-wrap">
                <textarea id="edit-box" class="edit-box" aria-label="Edit message" value={(*draft).clone()}
                    oninput={let d = draft.clone(); move |e: InputEvent| d.set(crate::ui::input_value(&e))}
                    onkeydown={on_key} rows="3" />
                if let Some(err) = (*edit_error).clone() { <div class="field-error">{ err }</div> }
                <div class="edit-actions">
                    <span class="muted small">{ "Enter to save · Esc to cancel" }</span>
                    <button class="btn small" onclick={let e = p.on_edit.clone(); move |_| e.emit(None)}>{ "Cancel" }</button>
                    <button class="btn small primary" onclick={let s = save.clone(); move |_| s.emit(())}>{ "Save" }</button>
                </div>
            </div>
        }
    } else {
        html! {
            <div class="msg-body md" onclick={on_body_click}>
                { Html::from_html_unchecked(AttrValue::from((*html_body).clone())) }
                if m.edited_at.is_some() { <span class="edited" title="Edited">{ "(edited)" }</span> }
            </div>
        }
    };

    // Like a mention's notification: someone else's message naming me,
    // @channel or @here stands out in the timeline too. Parsed once per
    // text, not on every render of the row (a deleted one has no text).
    let my_name = state.me.as_ref().map(|u| u.profile.username.clone());
    let names_me = *use_memo((m.content.clone(), my_name), |(c, _)| state.mentions_me(c));
    let for_me = names_me && Some(m.author.id) != me;
    let classes = classes!(
        "msg",
        for_me.then_some("mentions-me"),
        p.compact.then_some("compact"),
        p.focused.then_some("focused"),
        m.pinned_at.is_some().then_some("pinned"),
        p.editing.then_some("editing")
    );
    html! {
        <div class={classes} id={format!("msg-{}", m.id)} data-seq={m.seq.to_string()}>
            <div class="msg-gutter">
                if p.compact {
                    <span class="hover-time">{ time.clone() }</span>
                } else {
                    <button class="avatar-btn" aria-label={format!("Profile of {name}")}
                        onclick={let (ui, id) = (ui.clone(), author.id); move |_| ui.show(Dialog::Profile(id))}>
                        <Avatar user={author.clone()} size={36} />
                    </button>
                }
            </div>
            <div class="msg-main">
                if !p.compact {
                    <div class="msg-meta">
                        <span class="msg-author">{ name.clone() }</span>
                        <time class="msg-time" datetime={m.created_at.to_rfc3339()}>{ time }</time>
                        if m.pinned_at.is_some() { <span class="pin-tag">{ icon("pin") }{ "Pinned" }</span> }
                    </div>
                }
                { body }
                if !m.attachments.is_empty() {
                    <div class="attachments">
                        { for m.attachments.iter().map(|f| html! { <Attachment key={f.id.to_string()} file={f.clone()} /> }) }
                    </div>
                }
                if !m.reactions.is_empty() {
                    <div class="reactions">
                        { for reactions }
                        <button class="reaction add" aria-label="Add reaction" onclick={let pk = picker.clone(); move |_| pk.set(true)}>{ icon("smile") }</button>
                    </div>
                }
                if m.reply_count > 0 && !p.in_thread {
                    <button class="thread-summary" onclick={open_thread.clone()}>
                        <span class="thread-count">{ format!("{} {}", m.reply_count, if m.reply_count == 1 { "reply" } else { "replies" }) }</span>
                        if let Some(at) = m.last_reply_at {
                            <span class="muted">{ format!("Last reply {}", util::clock(at, offset)) }</span>
                        }
                    </button>
                }
            </div>
            if !m.deleted && !p.editing {
                <div class="msg-actions" role="toolbar" aria-label="Message actions">
                    { for QUICK.iter().take(3).map(|e| {
                        let (ctx, msg, e) = (ctx.clone(), m.clone(), (*e).to_owned());
                        let label = format!("React with {e}");
                        let shown = e.clone();
                        html! { <button class="icon-btn emoji-quick" aria-label={label} onclick={move |_| toggle_reaction(&ctx, &msg, e.clone())}>{ shown }</button> }
                    }) }
                    <button class="icon-btn" aria-label="Add reaction" title="Add reaction" onclick={let pk = picker.clone(); move |_| pk.set(!*pk)}>{ icon("smile") }</button>
                    if !p.in_thread {
                        <button class="icon-btn" aria-label="Reply in thread" title="Reply in thread" onclick={open_thread}>{ icon("thread") }</button>
                    }
                    <button class="icon-btn" aria-label={if m.pinned_at.is_some() { "Unpin" } else { "Pin" }} title={if m.pinned_at.is_some() { "Unpin" } else { "Pin" }} onclick={pin}>{ icon("pin") }</button>
                    if p.mine {
                        <button class="icon-btn" aria-label="Edit message" title="Edit" onclick={start_edit}>{ icon("edit") }</button>
                    }
                    if p.can_delete {
                        <button class="icon-btn danger" aria-label="Delete message" title="Delete" onclick={delete}>{ icon("trash") }</button>
                    }
                </div>
            }
            if *picker {
                <EmojiPicker on_pick={pick} on_close={let pk = picker.clone(); Callback::from(move |_| pk.set(false))} />
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct PendingProps {
    pub pending: Pending,
}

/// A message on its way: shown at once, dimmed until the server has it.
#[function_component(PendingRow)]
pub fn pending_row(p: &PendingProps) -> Html {
    let ctx = use_ctx();
    let state = ctx.state();
    let Some(me) = state.me.as_ref().map(|m| m.profile.clone()) else {
        return html! {};
    };
    let pm = &p.pending;
    let html_body = markdown::render(&pm.content);
    let retry = {
        let (ws, pm) = (ctx.ws.clone(), pm.clone());
        Callback::from(move |_: MouseEvent| ws.retry(&pm))
    };
    let discard = {
        let (ws, nonce) = (ctx.ws.clone(), pm.nonce.clone());
        Callback::from(move |_: MouseEvent| ws.discard(&nonce))
    };
    html! {
        <div class={classes!("msg", "pending", pm.error.is_some().then_some("failed"))} data-nonce={pm.nonce.clone()}>
            <div class="msg-gutter"><Avatar user={me.clone()} size={36} /></div>
            <div class="msg-main">
                <div class="msg-meta">
                    <span class="msg-author">{ util::display_name(&me) }</span>
                    <span class="msg-time">{ if pm.error.is_some() { "Not sent" } else { "Sending…" } }</span>
                </div>
                <div class="msg-body md">{ Html::from_html_unchecked(AttrValue::from(html_body)) }</div>
                if !pm.files.is_empty() {
                    <div class="attachments">
                        { for pm.files.iter().map(|f| html! {
                            <span class="attach-file pending-file">{ icon("paperclip") }<span class="file-name">{ f.name.clone() }</span><span class="muted small">{ human_size(f.size) }</span></span>
                        }) }
                    </div>
                }
                if let Some(err) = &pm.error {
                    <div class="send-error" role="alert">
                        { err.clone() }
                        <button class="link-btn" onclick={retry}>{ "Retry" }</button>
                        <button class="link-btn" onclick={discard}>{ "Discard" }</button>
                    </div>
                }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct PickerProps {
    pub on_pick: Callback<String>,
    pub on_close: Callback<()>,
}

/// Emoji newer than Unicode 13 still render as empty boxes on many
/// systems, so the picker does not offer them (they still display when
/// someone else sends one).
fn widely_supported(e: &emojis::Emoji) -> bool {
    e.unicode_version() < emojis::UnicodeVersion::new(14, 0)
}

/// Emoji by name: the common ones first, then any match from the full set.
#[function_component(EmojiPicker)]
pub fn emoji_picker(p: &PickerProps) -> Html {
    let query = use_state(String::new);
    use_effect_with((), |_| crate::ui::focus_id("emoji-search"));
    let q = query.to_lowercase();
    let list: Vec<&'static emojis::Emoji> = if q.is_empty() {
        QUICK
            .iter()
            .filter_map(|e| emojis::get(e))
            .chain(
                emojis::iter()
                    .filter(|e| {
                        e.group() == emojis::Group::SmileysAndEmotion
                            || e.group() == emojis::Group::PeopleAndBody
                    })
                    .filter(|e| {
                        e.skin_tone().is_none_or(|t| t == emojis::SkinTone::Default)
                            && widely_supported(e)
                    }),
            )
            .take(64)
            .collect()
    } else {
        emojis::iter()
            .filter(|e| {
                e.skin_tone().is_none_or(|t| t == emojis::SkinTone::Default) && widely_supported(e)
            })
            .filter(|e| {
                e.name().contains(q.as_str()) || e.shortcodes().any(|s| s.contains(q.as_str()))
            })
            .take(64)
            .collect()
    };
    let on_key = {
        let close = p.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.stop_propagation();
                close.emit(());
            }
        })
    };
    html! {
        <div class="emoji-picker" role="dialog" aria-label="Emoji picker" onkeydown={on_key}>
            <input id="emoji-search" class="emoji-search" placeholder="Search emoji" aria-label="Search emoji"
                value={(*query).clone()} oninput={let q = query.clone(); move |e: InputEvent| q.set(crate::ui::input_value(&e))} />
            <div class="emoji-grid">
                { for list.into_iter().map(|e| {
                    let (pick, s) = (p.on_pick.clone(), e.as_str().to_owned());
                    html! { <button class="emoji-cell" title={e.name().to_owned()} aria-label={e.name().to_owned()} onclick={move |_| pick.emit(s.clone())}>{ e.as_str() }</button> }
                }) }
            </div>
        </div>
    }
}
