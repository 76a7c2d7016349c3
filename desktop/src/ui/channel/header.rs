//! The channel's header: its kind and title (a DM's opens the person's
//! profile), topic, message search, the call button, and the members, pins
//! and settings buttons that open the side pane or the settings dialog.

use parley_shared::api::{Channel, ChannelKind};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::app::use_ctx;
use crate::ui::call::CallButton;
use crate::ui::common::icon;
use crate::ui::shell::{use_ui, Dialog, Panel};
use crate::util;

#[derive(Properties, PartialEq)]
pub struct ChannelHeaderProps {
    pub channel: Channel,
}

#[function_component(ChannelHeader)]
pub fn channel_header(p: &ChannelHeaderProps) -> Html {
    let ctx = use_ctx();
    let ui = use_ui();
    let channel = &p.channel;
    let me = ctx.state().me_id();
    let title = util::channel_title(channel, me);
    let is_dm = util::is_dm(channel);
    let search = {
        let ui = ui.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                let v = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                    .map(|i| i.value())
                    .unwrap_or_default();
                if !v.trim().is_empty() {
                    ui.open(Panel::Search(v.trim().to_owned()));
                }
            }
        })
    };
    let open = |panel: Panel| {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| {
            if *ui.panel == panel {
                ui.open(Panel::None);
            } else {
                ui.open(panel.clone());
            }
        })
    };
    let dm_user = if channel.kind == ChannelKind::Dm {
        channel
            .members
            .iter()
            .flatten()
            .find(|u| Some(u.id) != me)
            .cloned()
    } else {
        None
    };
    html! {
        <header class="channel-head">
            <div class="channel-title">
                <h1>
                    { match channel.kind {
                        ChannelKind::Public => html! { <span class="title-glyph">{ icon("hash") }</span> },
                        ChannelKind::Private => html! { <span class="title-glyph">{ icon("lock") }</span> },
                        _ => html! {},
                    } }
                    if let Some(u) = dm_user.clone() {
                        <button class="link-btn title-btn" onclick={let ui = ui.clone(); move |_| ui.show(Dialog::Profile(u.id))}>{ title.clone() }</button>
                    } else {
                        <span id="channel-name">{ title.clone() }</span>
                    }
                </h1>
                if !channel.topic.is_empty() {
                    <span class="topic" title={channel.topic.clone()}>{ channel.topic.clone() }</span>
                }
            </div>
            <div class="head-actions">
                <div class="search-box">
                    { icon("search") }
                    <input type="search" placeholder="Search messages" aria-label="Search messages" onkeydown={search} id="search-input" />
                </div>
                <CallButton channel={channel.clone()} />
                <button class="icon-btn with-count" aria-label={format!("Members ({})", channel.member_count)} title="Members" onclick={open(Panel::Members)}>
                    { icon("users") }<span>{ channel.member_count }</span>
                </button>
                <button class="icon-btn" aria-label="Pinned messages" title="Pinned messages" onclick={open(Panel::Pins)}>{ icon("pin") }</button>
                if !is_dm {
                    <button class="icon-btn" aria-label="Channel settings" title="Channel settings" id="channel-settings"
                        onclick={let ui = ui.clone(); move |_| ui.show(Dialog::ChannelSettings)}>{ icon("settings") }</button>
                }
            </div>
        </header>
    }
}
