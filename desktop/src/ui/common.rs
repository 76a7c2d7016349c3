//! Small shared pieces: avatars, presence dots, modals, error banners, icons.

use parley_shared::api::User;
use parley_shared::ws::PresenceStatus;
use yew::prelude::*;

use crate::util;

#[derive(Properties, PartialEq)]
pub struct AvatarProps {
    pub user: User,
    #[prop_or(36)]
    pub size: u32,
    #[prop_or_default]
    pub presence: Option<PresenceStatus>,
}

/// Initials on a colour that is stable per user.
#[function_component(Avatar)]
pub fn avatar(p: &AvatarProps) -> Html {
    let ctx = crate::app::use_ctx();
    let hue = util::avatar_hue(p.user.id);
    let style = format!(
        "width:{s}px;height:{s}px;font-size:{f}px;background:hsl({hue} 55% 45%)",
        s = p.size,
        f = p.size * 2 / 5
    );
    html! {
        <span class="avatar" {style} aria-hidden="true">
            if let Some(src) = p.user.avatar_url.as_deref().map(|u| ctx.api.resolve(u)) {
                <img class="avatar-img" {src} alt="" loading="lazy" />
            } else {
                { util::initials(util::display_name(&p.user)) }
            }
            if let Some(st) = p.presence {
                <PresenceDot status={st} />
            }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct DotProps {
    pub status: PresenceStatus,
}

#[function_component(PresenceDot)]
pub fn presence_dot(p: &DotProps) -> Html {
    let (class, label) = match p.status {
        PresenceStatus::Online => ("dot online", "online"),
        PresenceStatus::Away => ("dot away", "away"),
        PresenceStatus::Offline => ("dot offline", "offline"),
    };
    html! { <span class={class} title={label} aria-label={label}></span> }
}

#[derive(Properties, PartialEq)]
pub struct ModalProps {
    pub title: AttrValue,
    pub on_close: Callback<()>,
    pub children: Html,
    #[prop_or_default]
    pub wide: bool,
}

/// What closes a layer over the page: a click on the element of class
/// `outside` itself (not on what it holds), and Esc.
pub fn dismissers(
    outside: &'static str,
    close: &Callback<()>,
) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let on_click = {
        let close = close.clone();
        Callback::from(move |e: MouseEvent| {
            use wasm_bindgen::JsCast;
            let on_self = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| el.class_list().contains(outside));
            if on_self {
                close.emit(());
            }
        })
    };
    let close = close.clone();
    let on_key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Escape" {
            e.stop_propagation();
            close.emit(());
        }
    });
    (on_click, on_key)
}

/// A dialog over a dimmed page; Esc and a click outside close it.
#[function_component(Modal)]
pub fn modal(p: &ModalProps) -> Html {
    let (on_backdrop, on_key) = dismissers("backdrop", &p.on_close);
    let close = p.on_close.clone();
    html! {
        <div class="backdrop" onclick={on_backdrop} onkeydown={on_key}>
            <div class={classes!("modal", p.wide.then_some("wide"))} role="dialog" aria-modal="true" aria-label={p.title.clone()}>
                <header class="modal-head">
                    <h2>{ p.title.clone() }</h2>
                    <button class="icon-btn" aria-label="Close" onclick={move |_| close.emit(())}>{ icon("x") }</button>
                </header>
                <div class="modal-body">{ p.children.clone() }</div>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ErrorProps {
    pub message: AttrValue,
    #[prop_or_default]
    pub retry: Option<Callback<MouseEvent>>,
}

/// A failed request: what happened, and a retry when it makes sense.
#[function_component(ErrorBanner)]
pub fn error_banner(p: &ErrorProps) -> Html {
    html! {
        <div class="error-banner" role="alert">
            <span>{ p.message.clone() }</span>
            if let Some(r) = &p.retry {
                <button class="btn small" onclick={r.clone()}>{ "Retry" }</button>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct FullErrorProps {
    pub message: AttrValue,
    pub retry: Callback<MouseEvent>,
}

#[function_component(FullError)]
pub fn full_error(p: &FullErrorProps) -> Html {
    html! {
        <div class="center-page">
            <div class="card">
                <h1>{ "Can't load Parley" }</h1>
                <p class="muted">{ p.message.clone() }</p>
                <button class="btn primary" onclick={p.retry.clone()}>{ "Try again" }</button>
            </div>
        </div>
    }
}

#[function_component(Splash)]
pub fn splash() -> Html {
    html! {
        <div class="center-page" aria-busy="true">
            <div class="logo-mark big">{ logo() }</div>
        </div>
    }
}

pub fn logo() -> Html {
    Html::from_html_unchecked(AttrValue::from(
        r##"<svg viewBox="0 0 512 512" width="100%" height="100%" aria-hidden="true"><rect width="512" height="512" rx="112" fill="#3B5BDB"/><path d="M128 150h256a40 40 0 0 1 40 40v132a40 40 0 0 1-40 40H262l-86 62v-62h-48a40 40 0 0 1-40-40V190a40 40 0 0 1 40-40z" fill="#fff"/><circle cx="192" cy="256" r="24" fill="#3B5BDB"/><circle cx="256" cy="256" r="24" fill="#3B5BDB"/><circle cx="320" cy="256" r="24" fill="#3B5BDB"/></svg>"##,
    ))
}

/// Inline SVG icons (stroke style), from constant markup only.
pub fn icon(name: &str) -> Html {
    let path = match name {
        "x" => "M6 6l12 12M18 6L6 18",
        "hash" => "M5 9h14M4 15h14M10 3L8 21M16 3l-2 18",
        "lock" => "M6 11h12v10H6zM8 11V7a4 4 0 0 1 8 0v4",
        "plus" => "M12 5v14M5 12h14",
        "search" => "M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM20 20l-4-4",
        "smile" => "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM8.5 14.5s1.3 2 3.5 2 3.5-2 3.5-2M9 9.5h.01M15 9.5h.01",
        "thread" => "M4 5h16v10H9l-5 4z",
        "edit" => "M4 20h4L19 9l-4-4L4 16zM14 6l4 4",
        "trash" => "M5 7h14M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
        "users" => "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21v-1a6 6 0 0 1 12 0v1M16 3.5a4 4 0 0 1 0 7.5M22 21v-1a6 6 0 0 0-4-5.6",
        "pin" => "M9 4h6l-1 6 3 3H7l3-3zM12 13v8",
        "settings" => "M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM19 12l2-1-1-3-2 .3-1.5-1.5.3-2-3-1-1 2h-2l-1-2-3 1 .3 2L6.5 7.8 4.5 7.5l-1 3 2 1v2l-2 1 1 3 2-.3 1.5 1.5-.3 2 3 1 1-2h2l1 2 3-1-.3-2 1.5-1.5 2 .3 1-3-2-1z",
        "send" => "M4 12l16-8-6 16-3-7z",
        "chevron" => "M9 6l6 6-6 6",
        "down" => "M12 5v14M6 13l6 6 6-6",
        "logout" => "M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10",
        "bell" => "M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0",
        "bell-off" => "M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0M3 3l18 18",
        "paperclip" => "M20 11l-8 8a5 5 0 0 1-7-7l8-8a3.5 3.5 0 0 1 5 5l-8 8a2 2 0 0 1-3-3l7-7",
        "archive" => "M3 5h18v4H3zM5 9v10h14V9M10 13h4",
        "door" => "M14 4H6v16h8M10 12h10M17 9l3 3-3 3",
        "at" => "M16 12a4 4 0 1 1-1.2-2.8M16 8v5a2 2 0 0 0 4 0v-1a8 8 0 1 0-3 6.2",
        "phone" => "M5 3h3.5l2 5-2.5 1.5a12 12 0 0 0 6.5 6.5l1.5-2.5 5 2V19a2 2 0 0 1-2 2A17 17 0 0 1 3 5a2 2 0 0 1 2-2z",
        "phone-off" => "M3 15.5v-2a2 2 0 0 1 1.3-1.9A21 21 0 0 1 12 10a21 21 0 0 1 7.7 1.6 2 2 0 0 1 1.3 1.9v2a1.5 1.5 0 0 1-1.8 1.5l-3-.6a1.5 1.5 0 0 1-1.2-1.5v-1.6a14 14 0 0 0-6 0v1.6a1.5 1.5 0 0 1-1.2 1.5l-3 .6A1.5 1.5 0 0 1 3 15.5z",
        "mic" => "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3M8 21h8",
        "mic-off" => "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3M8 21h8M3 3l18 18",
        "video" => "M3 7h12v10H3zM15 10.5l6-3.5v10l-6-3.5",
        "video-off" => "M3 7h12v10H3zM15 10.5l6-3.5v10l-6-3.5M2 3l20 18",
        "screen" => "M3 4h18v12H3zM8 20h8M12 16v4",
        "maximize" => "M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5",
        "collapse" => "M6 15l6-6 6 6",
        "expand" => "M6 9l6 6 6-6",
        _ => "M12 12h.01",
    };
    Html::from_html_unchecked(AttrValue::from(format!(
        "<svg class=\"icon\" viewBox=\"0 0 24 24\" width=\"18\" height=\"18\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" stroke-linecap=\"round\" stroke-linejoin=\"round\" aria-hidden=\"true\"><path d=\"{path}\"/></svg>"
    )))
}
