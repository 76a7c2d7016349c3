//! End-to-end: two headless Chromium sessions (chromedriver + fantoccini)
//! against a real parley-server on 127.0.0.1 that serves the built UI.
//!
//! Needs `chromium` and `chromium-driver` (scripts/test installs them) and a
//! built UI in desktop/dist (scripts/test runs scripts/build-ui first).
//! Without them the test warns loudly and passes, except under `CI=true`,
//! where it fails. Screenshots land in `PARLEY_E2E_SHOTS` (default /tmp).
//!
//! The two people's conversation is one scenario: named steps over one
//! [`World`], set up once (one server, one chromedriver, two browsers) and
//! run in order; a failure names its step.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use parley_e2e::rig::{Rig, ONE_AT_A_TIME};
use parley_e2e::run_steps;
use parley_e2e::shots::shot;
use parley_e2e::webdriver::{click, js, msg_with, type_into, wait_js, Session, ENTER, SECS5, UP};
use serde_json::{json, Value};

/// The browser tests' rig (see `parley_e2e::rig`).
async fn rig(name: &str) -> Option<Rig> {
    Rig::start(
        "browser",
        "./scripts/test (it installs chromium and builds the UI)",
        name,
        &[],
    )
    .await
}

async fn sign_up(c: &Session, base: &str, user: &str, name: &str) {
    c.goto(&format!("{base}/signup"))
        .await
        .expect("open signup");
    // The form takes typing at once: its first field has the focus.
    wait_js(
        c,
        "document.activeElement?.id === 'f-username'",
        SECS5,
        "the username field focused",
    )
    .await;
    type_into(c, "#f-username", user).await;
    type_into(c, "#f-email", &format!("{user}@example.com")).await;
    type_into(c, "#f-display_name", name).await;
    type_into(c, "#f-password", "correct horse battery").await;
    click(c, "#auth-submit").await;
}

/// The two people's conversation: what it runs on, and what it has made
/// that later steps use.
struct World {
    /// Alice's browser.
    a: Session,
    /// Bob's browser.
    b: Session,
    /// The server (stopped and started again by the offline step), the
    /// driver, the folder.
    rig: Rig,
    /// #launch-plan, which Alice creates and Bob joins.
    channel_url: String,
    /// The invite Alice shares with Bob.
    invite_link: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_chat_in_the_browser() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(rig) = rig("e2e").await else {
        return;
    };
    let mut world = World {
        a: rig.browser("profile-a").await,
        b: rig.browser("profile-b").await,
        rig,
        channel_url: String::new(),
        invite_link: String::new(),
    };
    run_steps!(
        &mut world,
        [
            inline_validation_uses_the_shared_rules,
            alice_creates_a_workspace_and_a_channel,
            alice_invites_bob,
            bob_signs_up_from_the_link_and_joins,
            a_message_reaches_bob_within_a_second,
            typing_shows_and_clears,
            bob_reacts,
            alice_edits_with_the_up_key,
            alice_deletes_a_message,
            bob_replies_in_a_thread,
            an_image_upload_shows_on_both_sides,
            pasted_and_dropped_files_upload,
            search_jumps_to_the_message,
            the_service_worker_registers,
            dark_theme_and_keywords,
            notifications_pause_and_resume,
            an_offline_message_arrives_once,
            a_silent_connection_is_replaced,
            an_unacknowledged_message_survives_a_reload,
            a_send_survives_signing_out,
        ]
    );
    let World { rig, a, b, .. } = world;
    rig.finish(vec![a, b]).await;
}

/// Inline validation uses the shared rules before anything is sent.
async fn inline_validation_uses_the_shared_rules(world: &mut World) {
    let a = &world.a;
    let base = world.rig.server.base.as_str();
    a.goto(&format!("{base}/signup"))
        .await
        .expect("open signup");
    type_into(a, "#f-username", "x").await;
    type_into(a, "#f-email", "x@").await;
    click(a, "#auth-submit").await;
    wait_js(
        a,
        "document.querySelector('.field.invalid .field-error')",
        SECS5,
        "inline validation",
    )
    .await;
    let err = js(
        a,
        "return document.querySelector('.field.invalid .field-error').innerText;",
    )
    .await;
    assert_eq!(err, json!("Must be 2 to 32 characters"));
}

/// Alice signs up, creates a workspace and a channel.
async fn alice_creates_a_workspace_and_a_channel(world: &mut World) {
    let a = &world.a;
    let base = world.rig.server.base.as_str();
    sign_up(a, base, "alice", "Alice Kim").await;
    wait_js(
        a,
        "location.pathname === '/welcome'",
        SECS5,
        "the welcome page",
    )
    .await;
    type_into(a, "#ws-name", "Acme").await;
    click(a, "#create-ws").await;
    wait_js(a, "location.pathname.startsWith('/c/')", SECS5, "#general").await;
    click(a, "#new-channel").await;
    type_into(a, "#channel-name-input", "Launch Plan").await;
    type_into(a, "#channel-topic-input", "Shipping the Q3 launch").await;
    click(a, "#create-channel-submit").await;
    wait_js(
        a,
        "document.querySelector('#channel-name')?.innerText === 'launch-plan'",
        SECS5,
        "#launch-plan",
    )
    .await;
    world.channel_url = a.current_url().await.expect("url").to_string();
}

/// Alice invites Bob: a link to share.
async fn alice_invites_bob(world: &mut World) {
    let a = &world.a;
    click(a, "#invite-people").await;
    wait_js(
        a,
        "document.querySelector('#invite-link')?.value.includes('/invite/')",
        SECS5,
        "an invite link",
    )
    .await;
    let link = js(a, "return document.querySelector('#invite-link').value;").await;
    world.invite_link = link.as_str().expect("link string").to_owned();
    js(
        a,
        "document.querySelector('.modal-head .icon-btn').click(); return null;",
    )
    .await;
}

/// Bob opens the link, signs up, accepts, and joins #launch-plan.
async fn bob_signs_up_from_the_link_and_joins(world: &mut World) {
    let b = &world.b;
    let base = world.rig.server.base.as_str();
    b.goto(&world.invite_link).await.expect("open invite");
    wait_js(b, "location.pathname.startsWith('/invite/') && document.body.innerText.includes('Create account')", SECS5, "invite page").await;
    sign_up(b, base, "bob", "Bob Lee").await;
    wait_js(
        b,
        "document.querySelector('#accept-invite')",
        SECS5,
        "the invite preview",
    )
    .await;
    click(b, "#accept-invite").await;
    wait_js(
        b,
        "location.pathname.startsWith('/c/')",
        SECS5,
        "Bob in #general",
    )
    .await;
    b.goto(&world.channel_url).await.expect("open channel");
    click(b, "#join-channel").await;
    wait_js(
        b,
        "document.querySelector('#composer-input')",
        SECS5,
        "Bob's composer",
    )
    .await;
}

/// A message appears on the other side within a second.
async fn a_message_reaches_bob_within_a_second(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    type_into(a, "#composer-input", "Hello @bob, the draft is up").await;
    let sent = Instant::now();
    type_into(a, "#composer-input", ENTER).await;
    wait_js(
        b,
        &msg_with("the draft is up"),
        Duration::from_secs(1),
        "Alice's message at Bob",
    )
    .await;
    let latency = sent.elapsed();
    eprintln!("message reached the other browser in {latency:?}");
    assert!(latency < Duration::from_secs(1), "took {latency:?}");
    // The mention renders as a mention, and the composer is empty again.
    wait_js(
        b,
        &format!("{}.querySelector('.mention')", msg_with("the draft is up")),
        SECS5,
        "a mention",
    )
    .await;
    // For Bob, whom it names, the whole message stands out; not for Alice.
    wait_js(
        b,
        &format!(
            "{}.classList.contains('mentions-me')",
            msg_with("the draft is up")
        ),
        SECS5,
        "the message mentioning Bob marked for him",
    )
    .await;
    shot(b, "mentions-me").await;
    assert_eq!(
        js(
            a,
            &format!(
                "return {}.classList.contains('mentions-me');",
                msg_with("the draft is up")
            )
        )
        .await,
        json!(false),
        "the author's own mention of Bob is not marked for her"
    );
    assert_eq!(
        js(a, "return document.querySelector('#composer-input').value;").await,
        json!("")
    );
}

/// Typing shows on the other side and clears.
async fn typing_shows_and_clears(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    type_into(b, "#composer-input", "thinking").await;
    wait_js(
        a,
        "document.querySelector('#typing-indicator').innerText.includes('Bob Lee is typing')",
        SECS5,
        "typing indicator",
    )
    .await;
    b.find(Locator::Css("#composer-input"))
        .await
        .expect("composer")
        .clear()
        .await
        .expect("clear");
    js(b, "const t = document.querySelector('#composer-input'); t.dispatchEvent(new InputEvent('input', {bubbles: true})); return null;").await;
    wait_js(
        a,
        "document.querySelector('#typing-indicator').innerText.trim() === ''",
        Duration::from_secs(8),
        "typing to clear",
    )
    .await;
}

/// Bob reacts; Alice sees it.
async fn bob_reacts(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    let hello = msg_with("the draft is up");
    js(
        b,
        &format!("{hello}.querySelector('.emoji-quick').click(); return null;"),
    )
    .await;
    wait_js(
        a,
        &format!("{hello}.querySelector('.reaction .r-count')?.innerText === '1'"),
        SECS5,
        "the reaction",
    )
    .await;
}

/// Alice edits her last message with the Up key.
async fn alice_edits_with_the_up_key(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    type_into(a, "#composer-input", UP).await;
    wait_js(
        a,
        "document.querySelector('#edit-box')",
        SECS5,
        "the edit box",
    )
    .await;
    js(
        a,
        "document.querySelector('#edit-box').select(); return null;",
    )
    .await;
    type_into(a, "#edit-box", "Hello @bob, the final draft is up").await;
    type_into(a, "#edit-box", ENTER).await;
    wait_js(
        b,
        &format!(
            "{0} && {0}.innerText.includes('(edited)')",
            msg_with("final draft")
        ),
        SECS5,
        "the edit at Bob",
    )
    .await;
}

/// A message to delete, and one to find later.
async fn alice_deletes_a_message(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    type_into(a, "#composer-input", "oops, wrong channel").await;
    type_into(a, "#composer-input", ENTER).await;
    type_into(a, "#composer-input", "The launch codename is bluebird").await;
    type_into(a, "#composer-input", ENTER).await;
    wait_js(
        b,
        &msg_with("codename is bluebird"),
        SECS5,
        "the codename message",
    )
    .await;
    js(a, "window.confirm = () => true; return null;").await;
    let oops = msg_with("oops, wrong channel");
    js(
        a,
        &format!("{oops}.querySelector('.msg-actions .danger').click(); return null;"),
    )
    .await;
    wait_js(
        b,
        "[...document.querySelectorAll('.msg-body.deleted')].length === 1",
        SECS5,
        "the delete at Bob",
    )
    .await;
}

/// Bob replies in a thread; Alice sees the reply count.
async fn bob_replies_in_a_thread(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    let root = msg_with("final draft");
    js(
        b,
        &format!("{root}.querySelector('[aria-label=\"Reply in thread\"]').click(); return null;"),
    )
    .await;
    type_into(b, "#thread-input", "Reviewing it now").await;
    type_into(b, "#thread-input", ENTER).await;
    wait_js(b, "document.querySelector('.pane .thread') && document.querySelector('.pane').innerText.includes('Reviewing it now')", SECS5, "the reply in Bob's pane").await;
    wait_js(
        a,
        &format!("{root}.querySelector('.thread-summary')?.innerText.includes('1 reply')"),
        SECS5,
        "the reply count at Alice",
    )
    .await;
    // Esc closes the pane.
    js(b, "document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})); return null;").await;
    wait_js(
        b,
        "!document.querySelector('.pane')",
        SECS5,
        "Esc to close the thread",
    )
    .await;
}

/// An image upload: progress, then a thumbnail on both sides.
async fn an_image_upload_shows_on_both_sides(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chart.png");
    let picker = a
        .find(Locator::Css("#composer-file"))
        .await
        .expect("file input");
    picker
        .send_keys(&fixture.display().to_string())
        .await
        .expect("choose a file");
    wait_js(
        a,
        "document.querySelector('.upload.done')",
        Duration::from_secs(10),
        "the upload to finish",
    )
    .await;
    type_into(a, "#composer-input", "Latest numbers").await;
    type_into(a, "#composer-input", ENTER).await;
    let img = format!(
        "{}?.querySelector('.attach-image img')",
        msg_with("Latest numbers")
    );
    wait_js(
        b,
        &format!("{img}?.complete && {img}.naturalWidth > 0"),
        Duration::from_secs(10),
        "the image at Bob",
    )
    .await;
    wait_js(
        a,
        &format!("{img}?.complete && {img}.naturalWidth > 0"),
        Duration::from_secs(10),
        "the image at Alice",
    )
    .await;
    // Clicking it shows it at full size over the page; Esc closes it.
    js(b, &format!("{img}.closest('button').click(); return null;")).await;
    wait_js(
        b,
        "document.querySelector('#viewer-image')?.complete && document.querySelector('#viewer-image').naturalWidth === 96",
        Duration::from_secs(10),
        "the image in the viewer",
    )
    .await;
    // Past the backdrop's fade-in, as a person sees it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    shot(b, "viewer").await;
    type_into(b, "#image-viewer", "\u{E00C}").await;
    wait_js(
        b,
        "!document.querySelector('#image-viewer')",
        Duration::from_secs(10),
        "the viewer closed with Esc",
    )
    .await;
}

/// A pasted screenshot and a dropped file upload the same way; pasted
/// text is left to the browser.
async fn pasted_and_dropped_files_upload(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    for (how, done, text) in [
        ("paste", "pasted", "Pasted chart"),
        ("drop", "dropped", "Dropped chart"),
    ] {
        let taken = a
            .execute_async(
                "const [how, done] = [arguments[0], arguments[1]];\
                 const c = document.createElement('canvas'); c.width = 60; c.height = 40;\
                 c.getContext('2d').fillRect(0, 0, 30, 20);\
                 c.toBlob(b => {\
                   const dt = new DataTransfer();\
                   dt.items.add(new File([b], how + '.png', {type: 'image/png'}));\
                   const init = {bubbles: true, cancelable: true};\
                   const ev = how === 'paste'\
                     ? new ClipboardEvent('paste', {...init, clipboardData: dt})\
                     : new DragEvent('drop', {...init, dataTransfer: dt});\
                   document.querySelector('#composer-input').dispatchEvent(ev);\
                   done(ev.defaultPrevented);\
                 }, 'image/png');",
                vec![json!(how)],
            )
            .await
            .expect("share a file");
        assert_eq!(taken, json!(true), "the app takes the {done} file");
        wait_js(
            a,
            &format!("[...document.querySelectorAll('.upload.done')].some(u => u.innerText.includes('{how}.png'))"),
            Duration::from_secs(10),
            &format!("the {done} file uploaded"),
        )
        .await;
        type_into(a, "#composer-input", text).await;
        type_into(a, "#composer-input", ENTER).await;
        let img = format!("{}?.querySelector('.attach-image img')", msg_with(text));
        wait_js(
            b,
            &format!("{img}?.complete && {img}.naturalWidth > 0"),
            Duration::from_secs(10),
            &format!("the {done} image at Bob"),
        )
        .await;
    }
    let text_paste = js(
        a,
        "const dt = new DataTransfer(); dt.setData('text/plain', 'just words');\
         const ev = new ClipboardEvent('paste', {bubbles: true, cancelable: true, clipboardData: dt});\
         document.querySelector('#composer-input').dispatchEvent(ev);\
         return ev.defaultPrevented;",
    )
    .await;
    assert_eq!(
        text_paste,
        json!(false),
        "pasted text is the browser's to insert"
    );
}

/// Search with highlights, and jump to the message.
async fn search_jumps_to_the_message(world: &mut World) {
    let a = &world.a;
    type_into(a, "#search-input", "bluebird").await;
    type_into(a, "#search-input", ENTER).await;
    wait_js(
        a,
        "document.querySelector('#search-results mark')?.innerText.toLowerCase() === 'bluebird'",
        SECS5,
        "a highlighted hit",
    )
    .await;
    click(a, "#search-results .result").await;
    wait_js(
        a,
        "document.querySelector('.msg.focused')?.innerText.includes('bluebird')",
        SECS5,
        "the jump to the message",
    )
    .await;

    shot(a, "light").await;
}

/// The service worker for Web Push registers for the whole app.
async fn the_service_worker_registers(world: &mut World) {
    let a = &world.a;
    let base = world.rig.server.base.as_str();
    let scope = a
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             navigator.serviceWorker.register('/sw.js').then(r => done(r.scope), e => done('error: ' + e));",
            Vec::new(),
        )
        .await
        .expect("register the service worker");
    assert_eq!(scope, json!(format!("{base}/")));
}

/// Dark theme applies, and keywords are kept and marked in messages.
async fn dark_theme_and_keywords(world: &mut World) {
    let a = &world.a;
    click(a, "#open-settings").await;
    click(a, "#theme-dark").await;
    wait_js(
        a,
        "document.documentElement.dataset.theme === 'dark'",
        SECS5,
        "data-theme=dark",
    )
    .await;
    let bg = js(
        a,
        "return getComputedStyle(document.querySelector('.main')).backgroundColor;",
    )
    .await;
    assert_eq!(bg, json!("rgb(23, 25, 31)"), "the dark background");
    // Keywords are saved to the account; the field shows what the server
    // kept (trimmed, lowercased, without duplicates).
    type_into(a, "#keywords", "Deploy,  on call, deploy").await;
    click(a, "#save-keywords").await;
    wait_js(
        a,
        "document.querySelector('#keywords').value === 'deploy, on call' \
         && document.querySelector('.keywords-form').innerText.includes('Saved')",
        SECS5,
        "the saved keywords",
    )
    .await;
    shot(a, "settings-keywords").await;
    js(
        a,
        "document.querySelector('.modal-head .icon-btn').click(); return null;",
    )
    .await;
    // Messages mark the keywords where they appear.
    type_into(a, "#composer-input", "Ready to Deploy the docs").await;
    type_into(a, "#composer-input", ENTER).await;
    wait_js(
        a,
        "[...document.querySelectorAll('.msg mark.keyword')].some(m => m.innerText === 'Deploy')",
        SECS5,
        "the keyword marked in the message",
    )
    .await;
    shot(a, "dark").await;
}

/// Notifications pause from the sidebar; the footer says until when,
/// the account keeps it (push to other devices holds too), and resume
/// ends it.
async fn notifications_pause_and_resume(world: &mut World) {
    let a = &world.a;
    click(a, "#pause-notifications").await;
    click(a, "#pause-1h").await;
    wait_js(
        a,
        "document.querySelector('#paused-until')?.innerText.startsWith('Paused until ')",
        SECS5,
        "the pause in the sidebar",
    )
    .await;
    let paused = a
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             const t = JSON.parse(localStorage.getItem('parley.tokens')).access;\
             fetch('/api/v1/users/me', {headers: {Authorization: 'Bearer ' + t}})\
               .then(r => r.json()).then(me => done(me.preferences.mute_until), e => done('error: ' + e));",
            Vec::new(),
        )
        .await
        .expect("read the account");
    assert!(
        paused.is_string() && !paused.to_string().contains("error"),
        "mute_until kept: {paused}"
    );
    shot(a, "paused").await;
    click(a, "#pause-notifications").await;
    click(a, "#pause-off").await;
    wait_js(
        a,
        "!document.querySelector('#paused-until')",
        SECS5,
        "notifications resumed",
    )
    .await;
}

/// Offline: the server goes away, Bob writes, the message arrives once
/// the connection is back. Bob's sockets from then on can be made to go
/// silent without closing (`SILENCE_JS`), as after waking on another
/// network.
async fn an_offline_message_arrives_once(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    js(b, SILENCE_JS).await;
    world.rig.server.down().await;
    wait_js(
        b,
        "document.querySelector('#offline-banner')",
        Duration::from_secs(10),
        "the offline banner",
    )
    .await;
    type_into(b, "#composer-input", "Sent while offline").await;
    type_into(b, "#composer-input", ENTER).await;
    wait_js(b, "[...document.querySelectorAll('.msg.pending')].some(m => m.innerText.includes('Sent while offline'))", SECS5, "the pending message").await;
    shot(b, "offline").await;
    world.rig.server.up().await;
    wait_js(
        b,
        "!document.querySelector('#offline-banner')",
        Duration::from_secs(20),
        "reconnect",
    )
    .await;
    wait_js(
        a,
        &msg_with("Sent while offline"),
        Duration::from_secs(20),
        "the offline message at Alice",
    )
    .await;
    wait_js(b, &msg_with("Sent while offline"), SECS5, "Bob's own copy").await;
    let copies = js(b, "return [...document.querySelectorAll('#message-list .msg')].filter(m => m.innerText.includes('Sent while offline')).length;").await;
    assert_eq!(
        copies,
        json!(1),
        "delivered exactly once, nothing left pending"
    );
}

/// A connection that goes silent (no frames either way, no close) is
/// noticed within a few heartbeats and replaced; what was said
/// meanwhile arrives.
async fn a_silent_connection_is_replaced(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    say_while_silenced(a, b, "Said into the silence").await;
    wait_js(
        b,
        &msg_with("Said into the silence"),
        Duration::from_secs(25),
        "the message after a silent connection was replaced",
    )
    .await;
    // The OS saying the network is back replaces it at once, not after
    // the three silent heartbeats (9 s here).
    say_while_silenced(a, b, "Said while the network changed").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    js(b, "window.dispatchEvent(new Event('online')); return null;").await;
    wait_js(
        b,
        &msg_with("Said while the network changed"),
        Duration::from_secs(4),
        "the message right after the network came back",
    )
    .await;
}

/// A message not yet acknowledged survives a reload (or a restart of
/// the app): it is kept in the page's storage and sent again with the
/// same nonce, so it arrives, once.
async fn an_unacknowledged_message_survives_a_reload(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    silence(b).await;
    type_into(b, "#composer-input", "Typed just before a reload").await;
    type_into(b, "#composer-input", ENTER).await;
    wait_js(b, "[...document.querySelectorAll('.msg.pending')].some(m => m.innerText.includes('Typed just before a reload'))", SECS5, "the unacknowledged message").await;
    // So does a draft.
    type_into(b, "#composer-input", "A thought for later").await;
    b.refresh().await.expect("reload Bob's page");
    wait_js(
        b,
        "document.querySelector('#composer-input')?.value === 'A thought for later'",
        Duration::from_secs(20),
        "the draft after the reload",
    )
    .await;
    wait_js(
        a,
        &msg_with("Typed just before a reload"),
        Duration::from_secs(20),
        "the message sent before the reload, at Alice",
    )
    .await;
    wait_js(
        b,
        &format!(
            "{} && !document.querySelector('.msg.pending')",
            msg_with("Typed just before a reload")
        ),
        Duration::from_secs(20),
        "Bob's copy, acknowledged",
    )
    .await;
    let copies = js(a, "return [...document.querySelectorAll('#message-list .msg')].filter(m => m.innerText.includes('Typed just before a reload')).length;").await;
    assert_eq!(copies, json!(1), "delivered once after the reload");
    let left = js(
        b,
        "return Object.keys(localStorage).filter(k => k.startsWith('parley.outbox.'));",
    )
    .await;
    assert_eq!(left, json!([]), "the outbox is emptied once acknowledged");
}

/// Nor is a send lost to a sign-out (one forced by an expired session
/// alike): it goes out when the same account signs in again. The
/// reloaded page needs the silencer again, and a socket opened after it.
async fn a_send_survives_signing_out(world: &mut World) {
    let (a, b) = (&world.a, &world.b);
    js(b, SILENCE_JS).await;
    js(b, "window.dispatchEvent(new Event('online')); return null;").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    wait_js(
        b,
        "!document.querySelector('#offline-banner')",
        Duration::from_secs(20),
        "a fresh connection",
    )
    .await;
    silence(b).await;
    js(b, "const t = document.querySelector('#composer-input'); t.value = ''; t.dispatchEvent(new Event('input', {bubbles: true})); return null;").await;
    type_into(b, "#composer-input", "Sent just before signing out").await;
    type_into(b, "#composer-input", ENTER).await;
    wait_js(b, "[...document.querySelectorAll('.msg.pending')].some(m => m.innerText.includes('Sent just before signing out'))", SECS5, "the message waiting at sign-out").await;
    click(b, ".me-btn").await;
    click(b, "#sign-out").await;
    type_into(b, "#f-username", "bob").await;
    type_into(b, "#f-password", "correct horse battery").await;
    click(b, "#auth-submit").await;
    wait_js(
        a,
        &msg_with("Sent just before signing out"),
        Duration::from_secs(20),
        "the message sent before signing out, at Alice",
    )
    .await;
    let copies = js(a, "return [...document.querySelectorAll('#message-list .msg')].filter(m => m.innerText.includes('Sent just before signing out')).length;").await;
    assert_eq!(copies, json!(1), "delivered once after signing in again");
    shot(b, "bob").await;
}

/// Silences the connections `b` has now (see [`SILENCE_JS`]).
async fn silence(b: &Session) {
    js(b, "window.__silenceBefore = Date.now() + 1; return null;").await;
}

/// Silences the connection `b` has now and has `a` say `text`.
async fn say_while_silenced(a: &Session, b: &Session, text: &str) {
    silence(b).await;
    type_into(a, "#composer-input", text).await;
    type_into(a, "#composer-input", ENTER).await;
}

/// Makes every WebSocket the page opens silenceable: once
/// `window.__silenceBefore` is set, sockets opened before it neither
/// deliver frames nor closes to the app and send nothing, while the TCP
/// connection stays up — a half-open connection as the app sees one.
const SILENCE_JS: &str = r#"
if (!window.__silenceable) {
  window.__silenceable = true;
  const silent = (ws) => window.__silenceBefore && ws.__born < window.__silenceBefore;
  for (const name of ['onmessage', 'onclose']) {
    const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, name);
    Object.defineProperty(WebSocket.prototype, name, {
      configurable: true,
      get() { return d.get.call(this); },
      set(h) {
        if (this.__born === undefined) this.__born = Date.now();
        const ws = this;
        d.set.call(this, h && ((e) => { if (!silent(ws)) h(e); }));
      },
    });
  }
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) { if (!silent(this)) send.call(this, data); };
}
return null;
"#;

/// Seeds a lively workspace through the API (from the page, with `fetch`)
/// and saves screenshots for design review: light, dark, a thread, the
/// quick switcher. Not part of the suite: run it with
/// `cargo test -p parley-e2e -- --ignored screenshots`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "design review tool, not a test"]
async fn screenshots_of_a_busy_workspace() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(rig) = rig("demo").await else {
        return;
    };
    let base = rig.server.base.clone();
    let c = rig.browser("profile").await;
    c.goto(&format!("{base}/login")).await.expect("open");
    let seeded = c
        .execute_async(SEED_JS, Vec::new())
        .await
        .expect("seed script");
    let channel = seeded["engineering"]
        .as_str()
        .expect("channel id")
        .to_owned();
    let root = seeded["root"].as_str().expect("root id").to_owned();
    c.goto(&format!("{base}/c/{channel}"))
        .await
        .expect("open channel");
    wait_js(&c, &msg_with("cargo build"), SECS5, "the seeded messages").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    shot(&c, "demo-light").await;
    js(
        &c,
        &format!("document.querySelector('#msg-{root} .thread-summary').click(); return null;"),
    )
    .await;
    wait_js(
        &c,
        "document.querySelector('.pane .thread')",
        SECS5,
        "the thread",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    shot(&c, "demo-thread").await;
    click(&c, "#open-settings").await;
    click(&c, "#theme-dark").await;
    js(
        &c,
        "document.querySelector('.modal-head .icon-btn').click(); return null;",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shot(&c, "demo-dark").await;
    js(&c, "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'k', ctrlKey: true, bubbles: true})); return null;").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shot(&c, "demo-switcher").await;
    js(&c, "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})); return null;").await;
    type_into(&c, "#composer-input", "Thanks @ca").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shot(&c, "demo-mention").await;
    click(&c, ".me-btn").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shot(&c, "demo-profile").await;
    js(
        &c,
        "document.querySelector('.modal-head .icon-btn').click(); return null;",
    )
    .await;
    click(&c, "#open-settings").await;
    click(&c, "#theme-light").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shot(&c, "demo-settings").await;
    js(
        &c,
        "document.querySelector('.modal-head .icon-btn').click(); return null;",
    )
    .await;
    click(&c, "[aria-label^='Members']").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    shot(&c, "demo-members").await;
    click(&c, "#new-dm").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shot(&c, "demo-new-dm").await;
    js(
        &c,
        "document.querySelector('.modal-head .icon-btn').click(); return null;",
    )
    .await;
    js(&c, &format!("document.querySelector('#msg-{root} [aria-label=\"Add reaction\"]').click(); return null;")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shot(&c, "demo-emoji").await;
    rig.finish(vec![c]).await;
}

const SEED_JS: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const call = async (method, path, token, body) => {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers['Authorization'] = 'Bearer ' + token;
    const r = await fetch('/api/v1' + path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
    const t = await r.text();
    if (!r.ok) throw new Error(method + ' ' + path + ' ' + r.status + ' ' + t);
    return t ? JSON.parse(t) : null;
  };
  const people = [
    ['alice', 'Alice Kim'], ['bob', 'Bob Lee'], ['carol', 'Carol Díaz'],
    ['dave', 'Dave Okafor'], ['eunji', 'Eun-ji Park'], ['frank', 'Frank Müller'],
  ];
  const s = {};
  for (const [u, name] of people) {
    s[u] = await call('POST', '/auth/register', null,
      {username: u, email: u + '@acme.test', password: 'correct horse battery', display_name: name});
  }
  const t = (u) => s[u].access_token;
  const ws = await call('POST', '/workspaces', t('alice'), {name: 'Acme Robotics'});
  const inv = await call('POST', '/workspaces/' + ws.id + '/invites', t('alice'), {});
  for (const [u] of people.slice(1)) await call('POST', '/invites/' + inv.code + '/accept', t(u));
  const mk = async (name, topic, kind) => call('POST', '/workspaces/' + ws.id + '/channels', t('alice'),
    {name, topic, kind: kind || 'public', member_ids: people.slice(1).map(([u]) => s[u].user.id)});
  const eng = await mk('engineering', 'Builds, deploys and the occasional fire 🔥');
  const design = await mk('design', 'Pixels and feelings');
  const random = await mk('random', 'Cats, coffee, chaos');
  await mk('launch-plan', 'Q3 launch', 'private');
  await mk('announcements', 'Company news');
  const say = async (u, ch, content) => call('POST', '/channels/' + ch.id + '/messages', t(u), {content});
  await say('dave', eng, 'Morning all! The nightly build is green again after yesterday\'s flake.');
  await say('eunji', eng, 'Nice. Was it the **flaky network test** again?');
  await say('dave', eng, 'Yep. I pinned the retry count and added a timeout:\n```rust\nlet client = Client::builder()\n    .timeout(Duration::from_secs(10)) // fail fast\n    .build()?;\n```');
  const root = await say('carol', eng, 'Heads-up: I\'m moving the staging database to the new cluster at 3 PM. Expect ~5 minutes of read-only mode.');
  await say('bob', eng, '@carol will the migrations run automatically, or should we hold merges?');
  await say('alice', eng, 'Let\'s hold merges to `main` until Carol gives the go. Checklist:\n- freeze deploys\n- snapshot staging\n- run `cargo build --release` on the new runners');
  await say('frank', eng, 'Docs for the new runners are here: https://wiki.acme.test/runners');
  for (const [u, e] of [['bob', '👍'], ['dave', '👍'], ['eunji', '👍'], ['frank', '🎉'], ['alice', '🎉']])
    await call('POST', '/messages/' + root.id + '/reactions', t(u), {emoji: e});
  for (const [u, c] of [['dave', 'I\'ll pause the nightly job.'], ['bob', 'Holding my merge 🙏'], ['carol', 'Done — staging is on the new cluster. Merges are open again.']])
    await call('POST', '/messages/' + root.id + '/thread', t(u), {content: c});
  await say('bob', design, '@alice the new onboarding mockups are ready for review ✨');
  await say('eunji', design, 'Love the empty states!');
  await say('frank', random, 'Who took the last oat milk? ☕');
  await call('PUT', '/users/' + s.alice.user.id + '/status', t('alice'), {text: 'Focusing', emoji: '🎧'});
  await call('PUT', '/users/' + s.bob.user.id + '/status', t('bob'), {text: 'In a meeting', emoji: '📅'});
  const dm = await call('POST', '/dm', t('bob'), {user_ids: [s.alice.user.id]});
  await call('POST', '/dm/' + dm.id + '/messages', t('bob'), {content: 'Got a minute to look at my PR?'});
  await call('POST', '/dm', t('eunji'), {user_ids: [s.alice.user.id]});
  await call('POST', '/dm', t('alice'), {user_ids: [s.dave.user.id, s.carol.user.id]});
  localStorage.setItem('parley.tokens', JSON.stringify({access: s.alice.access_token, refresh: s.alice.refresh_token, expires_at: Date.now() + 600000}));
  done({engineering: eng.id, root: root.id});
})().catch((e) => done({error: String(e)}));
"#;

/// 600 messages (or `PARLEY_E2E_HISTORY`, e.g. 10000 for the benchmark in
/// docs/benchmarks.md): scrolling up through all of them pages 50 at a time
/// and never puts more than the window (120) of messages in the DOM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_history_scrolls_with_a_bounded_dom() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(rig) = rig("e2e-long").await else {
        return;
    };
    let total: u64 = std::env::var("PARLEY_E2E_HISTORY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let newest = format!("history message {total}");
    let base = rig.server.base.clone();
    let c = rig.browser("profile").await;
    c.goto(&format!("{base}/login")).await.expect("open");
    let seeded = c
        .execute_async(LONG_SEED_JS, vec![json!(total)])
        .await
        .expect("seed");
    let channel = seeded["channel"]
        .as_str()
        .unwrap_or_else(|| panic!("seeding failed: {seeded}"))
        .to_owned();
    // Time to the first message list: a page load (the wasm from the cache,
    // as for someone coming back) to the newest messages on screen.
    let opened = Instant::now();
    c.goto(&format!("{base}/c/{channel}"))
        .await
        .expect("open channel");
    wait_js(&c, &msg_with(&newest), SECS5, "the newest message").await;
    eprintln!(
        "first message list {:?} after opening the page",
        opened.elapsed()
    );

    let count = "document.querySelectorAll('#message-list .msg').length";
    let mut most = 0;
    let mut reached_start = false;
    for _ in 0..(total / 25 + 40) {
        js(&c, "const l = document.querySelector('#message-list'); l.scrollTop = 0; l.dispatchEvent(new Event('scroll')); return null;").await;
        tokio::time::sleep(Duration::from_millis(120)).await;
        let n = js(&c, &format!("return {count};"))
            .await
            .as_u64()
            .unwrap_or(0);
        most = most.max(n);
        if js(&c, "return !!document.querySelector('.channel-intro');").await == Value::Bool(true) {
            reached_start = true;
            break;
        }
    }
    assert!(reached_start, "never scrolled back to the first message");
    wait_js(
        &c,
        "document.querySelector('.msg[data-seq=\"1\"]')",
        SECS5,
        "the first message",
    )
    .await;
    eprintln!("at most {most} messages were in the DOM while scrolling through {total}");
    assert!(most <= 120, "{most} messages rendered at once");
    // Nothing was skipped: the oldest window is contiguous.
    let seqs = js(&c, "return [...document.querySelectorAll('#message-list .msg')].map(m => Number(m.dataset.seq));").await;
    let seqs: Vec<u64> = seqs
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "gap in {seqs:?}");
    assert_eq!(seqs.first(), Some(&1));

    click(&c, "#jump-latest").await;
    wait_js(&c, &msg_with(&newest), SECS5, "back at the newest message").await;
    rig.finish(vec![c]).await;
}

const LONG_SEED_JS: &str = r#"
const total = arguments[0];
const done = arguments[arguments.length - 1];
(async () => {
  const call = async (method, path, token, body) => {
    const headers = {'Content-Type': 'application/json'};
    if (token) headers['Authorization'] = 'Bearer ' + token;
    const r = await fetch('/api/v1' + path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
    const t = await r.text();
    if (!r.ok) throw new Error(method + ' ' + path + ' ' + r.status + ' ' + t);
    return t ? JSON.parse(t) : null;
  };
  const me = await call('POST', '/auth/register', null,
    {username: 'historian', email: 'h@acme.test', password: 'correct horse battery', display_name: 'Hannah Story'});
  const t = me.access_token;
  const ws = await call('POST', '/workspaces', t, {name: 'Archive'});
  const ch = await call('POST', '/workspaces/' + ws.id + '/channels', t, {name: 'history'});
  for (let i = 1; i <= total; i++) {
    await call('POST', '/channels/' + ch.id + '/messages', t, {content: 'history message ' + i});
  }
  localStorage.setItem('parley.tokens', JSON.stringify({access: me.access_token, refresh: me.refresh_token, expires_at: Date.now() + 600000}));
  done({channel: ch.id});
})().catch((e) => done({error: String(e)}));
"#;
