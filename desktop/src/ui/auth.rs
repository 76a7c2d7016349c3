//! Sign up and sign in, with inline validation from the shared rules (the
//! same functions the server runs, so the UI and server never disagree).

use parley_shared::api::{LoginRequest, RegisterRequest};
use parley_shared::validate;
use parley_shared::ErrorCode;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{load_all, use_ctx, Route};
use crate::store::Action;
use crate::ui::common::logo;
use crate::ui::target_value;

#[derive(Properties, PartialEq)]
pub struct AuthProps {
    pub signup: bool,
}

/// The inline message for one field, or `None` when it is fine.
pub fn field_error(field: &str, value: &str) -> Option<String> {
    let r = match field {
        "username" => validate::username(value).map(|_| ()),
        "email" => validate::email(value).map(|_| ()),
        "password" => validate::password(value),
        "display_name" if value.trim().is_empty() => Ok(()),
        "display_name" => validate::display_name(value).map(|_| ()),
        _ => Ok(()),
    };
    r.err().map(|e| capitalize(&e.message))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[derive(Clone, Default, PartialEq)]
struct Form {
    username: String,
    email: String,
    password: String,
    display_name: String,
    /// Fields the user has left once: their errors show from then on.
    touched: Vec<&'static str>,
    submitted: bool,
    server_error: Option<(Option<&'static str>, String)>,
    busy: bool,
}

#[function_component(AuthPage)]
pub fn auth_page(p: &AuthProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let form = use_state(Form::default);
    let signup = p.signup;
    if ctx.state().me.is_some() {
        return html! { <Redirect<Route> to={Route::Home} /> };
    }

    let fields: Vec<(&'static str, &str, &str, &str)> = if signup {
        vec![
            ("username", "Username", "text", "username"),
            ("email", "Email", "email", "email"),
            ("display_name", "Full name (optional)", "text", "name"),
            ("password", "Password", "password", "new-password"),
        ]
    } else {
        vec![
            ("username", "Username or email", "text", "username"),
            ("password", "Password", "password", "current-password"),
        ]
    };

    // Both forms start with the username: a new visitor can type at once.
    use_effect_with(signup, |_| crate::ui::focus_id("f-username"));

    let value_of = |f: &Form, name: &str| -> String {
        match name {
            "username" => f.username.clone(),
            "email" => f.email.clone(),
            "password" => f.password.clone(),
            _ => f.display_name.clone(),
        }
    };
    let error_of = |f: &Form, name: &'static str| -> Option<String> {
        if let Some((Some(field), msg)) = &f.server_error {
            if *field == name {
                return Some(msg.clone());
            }
        }
        if !(f.submitted || f.touched.contains(&name)) {
            return None;
        }
        if !signup {
            let v = match name {
                "username" => &f.username,
                _ => &f.password,
            };
            return v.trim().is_empty().then(|| "Required".to_owned());
        }
        field_error(name, &value_of(f, name))
    };

    let on_submit = {
        let form = form.clone();
        let ctx = ctx.clone();
        let nav = nav.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut f = (*form).clone();
            f.submitted = true;
            f.server_error = None;
            let names: &[&'static str] = if signup {
                &["username", "email", "display_name", "password"]
            } else {
                &["username", "password"]
            };
            let invalid = names.iter().any(|n| {
                if signup {
                    field_error(n, &value_of(&f, n)).is_some()
                } else {
                    value_of(&f, n).trim().is_empty()
                }
            });
            if invalid || f.busy {
                form.set(f);
                return;
            }
            f.busy = true;
            form.set(f.clone());
            let (form, ctx, nav) = (form.clone(), ctx.clone(), nav.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let res = if signup {
                    let body = RegisterRequest {
                        username: f.username.trim().to_owned(),
                        email: f.email.trim().to_owned(),
                        password: f.password.clone(),
                        display_name: Some(f.display_name.trim().to_owned())
                            .filter(|s| !s.is_empty()),
                    };
                    ctx.api.register(&body).await
                } else {
                    let body = LoginRequest {
                        login: f.username.trim().to_owned(),
                        password: f.password.clone(),
                    };
                    ctx.api.login(&body).await
                };
                match res {
                    Ok(auth) => {
                        let me = auth.user.profile.id;
                        ctx.dispatch(Action::SignedIn(Box::new(auth.user)));
                        let d = ctx.store.dispatcher();
                        let dispatch: std::rc::Rc<dyn Fn(Action)> =
                            std::rc::Rc::new(move |a| d.dispatch(a));
                        let _ = load_all(&ctx.api, &dispatch, &ctx.ws).await;
                        ctx.ws.start(me);
                        if let Some(nav) = nav {
                            nav.push(&Route::Home);
                        }
                    }
                    Err(e) => {
                        let field = match e.code {
                            Some(ErrorCode::UsernameTaken) => Some("username"),
                            Some(ErrorCode::EmailTaken) => Some("email"),
                            Some(ErrorCode::ValidationFailed) => match e.field() {
                                Some("username") => Some("username"),
                                Some("email") => Some("email"),
                                Some("password") => Some("password"),
                                Some("display_name") => Some("display_name"),
                                _ => None,
                            },
                            _ => None,
                        };
                        let msg = match e.code {
                            Some(ErrorCode::UsernameTaken) => "That username is taken".to_owned(),
                            Some(ErrorCode::EmailTaken) => {
                                "An account with this email already exists".to_owned()
                            }
                            Some(ErrorCode::InvalidCredentials) => {
                                "Wrong username or password".to_owned()
                            }
                            _ => match e.message.split_once(": ") {
                                Some((_, m)) if field.is_some() => capitalize(m),
                                _ => e.message.clone(),
                            },
                        };
                        let mut f = (*form).clone();
                        f.busy = false;
                        f.server_error = Some((field, msg));
                        form.set(f);
                    }
                }
            });
        })
    };

    let inputs = fields.into_iter().map(|(name, label, kind, auto)| {
        let err = error_of(&form, name);
        let id = format!("f-{name}");
        let oninput = {
            let form = form.clone();
            Callback::from(move |e: InputEvent| {
                let v = target_value(&e);
                let mut f = (*form).clone();
                match name {
                    "username" => f.username = v,
                    "email" => f.email = v,
                    "password" => f.password = v,
                    _ => f.display_name = v,
                }
                if f.server_error
                    .as_ref()
                    .is_some_and(|(fl, _)| *fl == Some(name) || fl.is_none())
                {
                    f.server_error = None;
                }
                form.set(f);
            })
        };
        let onblur = {
            let form = form.clone();
            Callback::from(move |_: FocusEvent| {
                if !form.touched.contains(&name) && !value_of(&form, name).is_empty() {
                    let mut f = (*form).clone();
                    f.touched.push(name);
                    form.set(f);
                }
            })
        };
        let err_id = format!("{id}-err");
        html! {
            <div class={classes!("field", err.is_some().then_some("invalid"))}>
                <label for={id.clone()}>{ label }</label>
                <input id={id.clone()} name={name} type={kind} autocomplete={auto}
                    value={value_of(&form, name)} {oninput} {onblur}
                    aria-invalid={err.is_some().to_string()}
                    aria-describedby={err.as_ref().map(|_| err_id.clone())} />
                if let Some(e) = err {
                    <div class="field-error" id={err_id}>{ e }</div>
                }
            </div>
        }
    });

    let general_error = form
        .server_error
        .as_ref()
        .filter(|(f, _)| f.is_none())
        .map(|(_, m)| m.clone());
    html! {
        <div class="auth-page">
            <div class="auth-card">
                <div class="auth-brand"><span class="logo-mark">{ logo() }</span><span>{ "Parley" }</span></div>
                <h1>{ if signup { "Create your account" } else { "Sign in to Parley" } }</h1>
                <p class="muted">{ if signup { "Chat with your team in real time." } else { "Welcome back." } }</p>
                if let Err(why) = ctx.platform().sign_in_kept() {
                    <div class="form-warning" role="status" id="keychain-warning">
                        { "Parley cannot reach this computer's keychain, so it will not remember \
                           your sign-in: you will sign in again each time it starts. To fix it, \
                           run a Secret Service such as GNOME Keyring or KWallet, unlocked. " }
                        <span class="muted small">{ format!("({why})") }</span>
                    </div>
                }
                <form onsubmit={on_submit} novalidate=true>
                    { for inputs }
                    if let Some(m) = general_error {
                        <div class="form-error" role="alert">{ m }</div>
                    }
                    <button type="submit" class="btn primary block" disabled={form.busy} id="auth-submit">
                        { if form.busy { "Please wait…" } else if signup { "Create account" } else { "Sign in" } }
                    </button>
                </form>
                <p class="auth-switch">
                    if signup {
                        { "Already have an account? " }<Link<Route> to={Route::Login}>{ "Sign in" }</Link<Route>>
                    } else {
                        { "New to Parley? " }<Link<Route> to={Route::Signup}>{ "Create an account" }</Link<Route>>
                    }
                </p>
                if crate::platform::in_tauri() {
                    <p class="auth-switch muted small">
                        <button type="button" class="link-btn" id="change-server"
                            onclick={Callback::from(|_: MouseEvent| crate::ui::server::request_change())}>
                            { "Change server" }
                        </button>
                    </p>
                }
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_errors_come_from_the_shared_rules() {
        assert_eq!(
            field_error("username", "a"),
            Some("Must be 2 to 32 characters".into())
        );
        assert_eq!(field_error("username", "alice"), None);
        assert!(field_error("email", "bob@").is_some());
        assert!(field_error("password", "short").is_some());
        assert_eq!(field_error("display_name", ""), None);
    }
}
