//! The message box: Enter sends, Shift+Enter adds a line, Up edits your
//! last message, `@` opens member autocomplete, the smiley opens the emoji
//! picker, typing is announced to the channel (throttled), and files come
//! in through the paperclip, by dropping them anywhere on the page, or by
//! pasting them (a screenshot, a copied file) into the box.

//!
//! Drafts are in `drafts`, page drops in `drops`, `@` suggestions in
//! `mentions` and the upload tray in `tray`.

mod drafts;
mod drops;
mod mentions;
mod tray;

use std::rc::Rc;

use parley_shared::api::User;
use parley_shared::validate;
use parley_shared::ws::ClientFrame;
use parley_shared::{ChannelId, MessageId};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::app::use_ctx;
use crate::ui::common::{icon, Avatar};
use crate::ui::files::{start_upload, upload_all, UploadAction, Uploads};
use crate::ui::message::EmojiPicker;
use crate::util;
use drafts::{draft_key, load_drafts, save_draft};
use drops::use_page_drops;
use tray::upload_rows;

/// Re-announce typing at most this often (the server throttles too).
const TYPING_EVERY_MS: f64 = 3_000.0;
/// Silence after which we say we stopped typing.
const TYPING_IDLE_MS: u32 = 4_000;

#[derive(Properties, PartialEq)]
pub struct ComposerProps {
    pub channel: ChannelId,
    pub placeholder: String,
    #[prop_or_default]
    pub thread_root: Option<MessageId>,
    #[prop_or_default]
    pub last_mine: Option<MessageId>,
    #[prop_or_default]
    pub on_edit_last: Callback<MessageId>,
}

fn textarea(id: &str) -> Option<web_sys::HtmlTextAreaElement> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into::<web_sys::HtmlTextAreaElement>()
        .ok()
}

#[function_component(Composer)]
pub fn composer(p: &ComposerProps) -> Html {
    let ctx = use_ctx();
    let text = use_state(String::new);
    let error = use_state(|| None::<String>);
    let picker = use_state(|| false);
    // (index of '@', partial name, highlighted suggestion)
    let mention = use_state(|| None::<(usize, String, usize)>);
    let last_typing = use_mut_ref(|| 0.0f64);
    let idle = use_mut_ref(|| None::<gloo_timers::callback::Timeout>);
    let uploads = use_reducer(Uploads::default);
    let dragging = use_state(|| false);
    let box_id = if p.thread_root.is_some() {
        "thread-input"
    } else {
        "composer-input"
    };
    let file_input_id = if p.thread_root.is_some() {
        "thread-file"
    } else {
        "composer-file"
    };
    let channel = p.channel;
    let thread_root = p.thread_root;

    // Each conversation keeps its unsent draft; the box is focused.
    {
        let (text, error, uploads) = (text.clone(), error.clone(), uploads.dispatcher());
        let ctx = ctx.clone();
        use_effect_with((channel, thread_root), move |(channel, thread_root)| {
            text.set(
                load_drafts(&ctx)
                    .remove(&draft_key(*channel, *thread_root))
                    .unwrap_or_default(),
            );
            error.set(None);
            uploads.dispatch(UploadAction::Clear);
            crate::ui::focus_id(box_id);
        });
    }
    use_page_drops(
        ctx.api.clone(),
        uploads.dispatcher(),
        dragging.clone(),
        thread_root.is_none(),
    );

    let stop_typing = {
        let (ws, last_typing) = (ctx.ws.clone(), last_typing.clone());
        move || {
            if *last_typing.borrow() > 0.0 {
                *last_typing.borrow_mut() = 0.0;
                ws.send(ClientFrame::Typing {
                    channel_id: channel,
                    typing: false,
                });
            }
        }
    };
    let state = ctx.state();
    let suggestions = mentions::suggestions(state, channel, mention.as_ref().map(|m| m.1.as_str()));

    let uploading = uploads
        .0
        .iter()
        .any(|u| u.done.is_none() && u.error.is_none());
    let ready_files: Vec<parley_shared::api::FileInfo> =
        uploads.0.iter().filter_map(|u| u.done.clone()).collect();
    let send = {
        let (ctx, text, error, stop_typing) = (
            ctx.clone(),
            text.clone(),
            error.clone(),
            stop_typing.clone(),
        );
        let (files, uploads) = (ready_files.clone(), uploads.dispatcher());
        move || {
            if uploading {
                error.set(Some("Wait for the uploads to finish".into()));
                return;
            }
            let content = if text.trim().is_empty() && !files.is_empty() {
                String::new()
            } else {
                match validate::message_content(&text) {
                    Ok(c) => c,
                    Err(_) if text.trim().is_empty() => return,
                    Err(e) => {
                        error.set(Some(format!("Message {}", e.message)));
                        return;
                    }
                }
            };
            ctx.ws
                .send_message(channel, content, thread_root, files.clone());
            save_draft(&ctx, draft_key(channel, thread_root), "");
            text.set(String::new());
            error.set(None);
            uploads.dispatch(UploadAction::Clear);
            stop_typing();
        }
    };
    let pick_files = {
        let (api, uploads) = (ctx.api.clone(), uploads.dispatcher());
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            if let Some(files) = input.files() {
                upload_all(&api, &files, &uploads);
            }
            // The same file may be picked again later.
            input.set_value("");
        })
    };
    // A pasted screenshot or copied file joins this box's uploads; pasted
    // text goes in as usual. Where the webview keeps the clipboard's image
    // from the page (WebKitGTK), the desktop shell reads it.
    let on_paste = {
        let (api, uploads, platform) = (
            ctx.api.clone(),
            uploads.dispatcher(),
            ctx.platform().clone(),
        );
        Callback::from(move |e: Event| {
            let files = e
                .dyn_ref::<web_sys::ClipboardEvent>()
                .and_then(|e| e.clipboard_data())
                .and_then(|dt| dt.files())
                .filter(|f| f.length() > 0);
            if let Some(files) = files {
                e.prevent_default();
                upload_all(&api, &files, &uploads);
            } else {
                let (api, uploads) = (api.clone(), uploads.clone());
                platform.paste_image(Rc::new(move |f| start_upload(&api, f, uploads.clone())));
            }
        })
    };
    let open_picker = Callback::from(move |_: MouseEvent| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(file_input_id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            el.click();
        }
    });
    let complete = {
        let (text, mention) = (text.clone(), mention.clone());
        move |u: &User| {
            let Some((at, q, _)) = (*mention).clone() else {
                return;
            };
            let cur = (*text).clone();
            let end = (at + 1 + q.len()).min(cur.len());
            let next = format!("{}@{} {}", &cur[..at], u.username, &cur[end..]);
            text.set(next);
            mention.set(None);
            crate::ui::focus_id(box_id);
        }
    };

    let on_input = {
        let (ctx, text, mention, error, last_typing, idle) = (
            ctx.clone(),
            text.clone(),
            mention.clone(),
            error.clone(),
            last_typing.clone(),
            idle.clone(),
        );
        let stop_typing = stop_typing.clone();
        Callback::from(move |e: InputEvent| {
            let v = crate::ui::input_value(&e);
            let cursor = textarea(box_id)
                .and_then(|t| t.selection_start().ok().flatten())
                .map_or(v.len(), |c| c as usize);
            // selectionStart counts UTF-16 units; map back to a char boundary.
            let byte = v
                .char_indices()
                .scan(0usize, |u16s, (i, c)| {
                    let here = *u16s;
                    *u16s += c.len_utf16();
                    Some((i, here))
                })
                .find(|&(_, u)| u >= cursor)
                .map_or(v.len(), |(i, _)| i);
            mention.set(util::mention_query(&v[..byte]).map(|(at, q)| (at, q, 0)));
            if error.is_some() {
                error.set(None);
            }
            let now = crate::api::now_ms();
            if !v.trim().is_empty() && now - *last_typing.borrow() > TYPING_EVERY_MS {
                *last_typing.borrow_mut() = now;
                ctx.ws.send(ClientFrame::Typing {
                    channel_id: channel,
                    typing: true,
                });
            }
            let st = stop_typing.clone();
            *idle.borrow_mut() = Some(gloo_timers::callback::Timeout::new(TYPING_IDLE_MS, st));
            if v.trim().is_empty() {
                stop_typing();
            }
            save_draft(&ctx, draft_key(channel, thread_root), &v);
            text.set(v);
        })
    };

    let on_key = {
        let (mention, suggestions, text) = (mention.clone(), suggestions.clone(), text.clone());
        let (send, complete) = (send.clone(), complete.clone());
        let (last_mine, on_edit_last) = (p.last_mine, p.on_edit_last.clone());
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            if let Some((at, q, sel)) = (*mention).clone() {
                if !suggestions.is_empty() {
                    match key.as_str() {
                        "ArrowDown" => {
                            e.prevent_default();
                            mention.set(Some((at, q, (sel + 1) % suggestions.len())));
                            return;
                        }
                        "ArrowUp" => {
                            e.prevent_default();
                            mention.set(Some((
                                at,
                                q,
                                (sel + suggestions.len() - 1) % suggestions.len(),
                            )));
                            return;
                        }
                        "Enter" | "Tab" => {
                            e.prevent_default();
                            if let Some(u) = suggestions.get(sel) {
                                complete(u);
                            }
                            return;
                        }
                        "Escape" => {
                            e.prevent_default();
                            e.stop_propagation();
                            mention.set(None);
                            return;
                        }
                        _ => {}
                    }
                }
            }
            if key == "Enter" && !e.shift_key() && !e.is_composing() {
                e.prevent_default();
                send();
            } else if key == "ArrowUp" && text.is_empty() {
                if let Some(id) = last_mine {
                    e.prevent_default();
                    on_edit_last.emit(id);
                }
            }
        })
    };

    let add_emoji = {
        let (text, picker) = (text.clone(), picker.clone());
        Callback::from(move |emoji: String| {
            let mut t = (*text).clone();
            t.push_str(&emoji);
            text.set(t);
            picker.set(false);
            crate::ui::focus_id(box_id);
        })
    };
    let rows = text.lines().count().clamp(1, 8).to_string();
    let can_send = (!text.trim().is_empty() || !ready_files.is_empty()) && !uploading;
    let over = text.chars().count() > validate::MESSAGE_MAX;
    let sel = mention.as_ref().map_or(0, |m| m.2);
    let send_click = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send())
    };
    html! {
        <div class={classes!("composer", p.thread_root.is_some().then_some("in-thread"))}>
            if !suggestions.is_empty() {
                <ul class="mention-menu" role="listbox" aria-label="Mention someone">
                    { for suggestions.iter().enumerate().map(|(i, u)| {
                        let (complete, u2) = (complete.clone(), u.clone());
                        html! {
                            <li role="option" aria-selected={(i == sel).to_string()} class={classes!("mention-opt", (i == sel).then_some("sel"))}
                                onmousedown={move |e: MouseEvent| { e.prevent_default(); complete(&u2); }}>
                                <Avatar user={u.clone()} size={22} />
                                <span class="opt-name">{ util::display_name(u) }</span>
                                <span class="muted">{ format!("@{}", u.username) }</span>
                            </li>
                        }
                    }) }
                </ul>
            }
            if *dragging {
                <div class="drop-overlay" aria-hidden="true"><div>{ icon("paperclip") }{ format!("Drop files to share in {}", p.placeholder.trim_start_matches("Message ")) }</div></div>
            }
            if *picker {
                <EmojiPicker on_pick={add_emoji} on_close={let pk = picker.clone(); Callback::from(move |_| pk.set(false))} />
            }
            <div class={classes!("composer-box", over.then_some("invalid"))}>
                if !uploads.0.is_empty() {
                    <div class="upload-tray">{ for upload_rows(&uploads) }</div>
                }
                <textarea id={box_id} class="composer-input" placeholder={p.placeholder.clone()} aria-label={p.placeholder.clone()}
                    value={(*text).clone()} oninput={on_input} onkeydown={on_key} onpaste={on_paste} {rows}
                    onblur={let m = mention.clone(); move |_| m.set(None)} />
                <div class="composer-tools">
                    <input type="file" multiple=true id={file_input_id} class="hidden-file" onchange={pick_files} aria-hidden="true" tabindex="-1" />
                    <button class="icon-btn" aria-label="Attach files" title="Attach files" onclick={open_picker}>{ icon("paperclip") }</button>
                    <button class="icon-btn" aria-label="Insert emoji" title="Emoji" onclick={let pk = picker.clone(); move |_| pk.set(!*pk)}>{ icon("smile") }</button>
                    <span class="hint">{ "Enter to send · Shift+Enter for a new line" }</span>
                    <button class="send-btn" aria-label="Send message" title="Send" disabled={!can_send || over} onclick={send_click}>{ icon("send") }</button>
                </div>
            </div>
            if let Some(e) = (*error).clone() {
                <div class="field-error composer-error" role="alert">{ e }</div>
            } else if over {
                <div class="field-error composer-error" role="alert">{ format!("{} characters over the limit", text.chars().count() - validate::MESSAGE_MAX) }</div>
            }
        </div>
    }
}
