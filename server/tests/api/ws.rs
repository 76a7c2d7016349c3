//! The real-time protocol, with real WebSocket clients.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::*;

/// Alice and Bob in a workspace with a private channel; Carol in the
/// workspace but not the channel.
async fn trio(app: &TestApp) -> (TestUser, TestUser, TestUser, String, String) {
    let alice = app.user("wsa").await;
    let bob = app.user("wsb").await;
    let carol = app.user("wsc").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    app.join(&ws, &alice, &carol).await;
    let ch = app.channel(&ws, &alice, "private", &[&bob]).await;
    (alice, bob, carol, ws, ch)
}

fn msg(channel: &str, content: &str, nonce: &str) -> Value {
    json!({ "type": "MESSAGE", "payload": { "channel_id": channel, "content": content, "nonce": nonce } })
}

both!(two_users_chat_live, |app| {
    let (alice, bob, _carol, _ws, ch) = trio(&app).await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    let hello = &b.hello["payload"];
    assert_eq!(hello["user_id"], bob.id.as_str());
    assert_eq!(hello["heartbeat_interval_ms"], 30000);
    assert!(hello["channels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["channel_id"] == ch.as_str()));

    // Sending over WS is acknowledged with id, seq and the nonce.
    a.send(msg(&ch, "hello over ws", "n-1")).await;
    let ack = a.next_of("ACK").await;
    assert_eq!(ack["payload"]["nonce"], "n-1");
    assert_eq!(ack["payload"]["seq"], 1);
    let got = b.next_of("MESSAGE").await;
    assert!(
        got["seq"].as_i64().unwrap() > 0,
        "durable events carry a seq: {got}"
    );
    assert_eq!(got["payload"]["content"], "hello over ws");
    assert_eq!(got["payload"]["author"]["id"], alice.id.as_str());
    let mid = got["payload"]["id"].as_str().unwrap().to_owned();
    // The sender's own sessions see it too (other devices).
    assert_eq!(a.next_of("MESSAGE").await["payload"]["id"], mid.as_str());
    // A retried nonce is acknowledged again without a second message.
    a.send(msg(&ch, "hello over ws", "n-1")).await;
    assert_eq!(a.next_of("ACK").await["payload"]["id"], mid.as_str());

    // REST changes are pushed too.
    app.put(
        &format!("/api/v1/messages/{mid}"),
        &alice,
        json!({ "content": "edited" }),
    )
    .await
    .expect(200);
    let upd = b.next_of("MESSAGE_UPDATED").await;
    assert_eq!(upd["payload"]["content"], "edited");
    assert!(upd["payload"]["edited_at"].is_string());

    b.send(json!({ "type": "REACTION", "payload": { "message_id": mid, "emoji": "👍" } }))
        .await;
    let r = a.next_of("REACTION").await;
    assert_eq!(
        r["payload"],
        json!({ "channel_id": ch, "message_id": mid, "user_id": bob.id, "emoji": "👍", "added": true })
    );

    b.send(json!({ "type": "READ_RECEIPT", "payload": { "channel_id": ch, "message_id": mid } }))
        .await;
    let rr = a.next_of("READ_RECEIPT").await;
    assert_eq!(rr["payload"]["user_id"], bob.id.as_str());
    assert_eq!(rr["payload"]["last_read_seq"], 1);

    // Typing: shown to others, throttled to one broadcast per 2 s, cleared.
    a.send(json!({ "type": "TYPING", "payload": { "channel_id": ch, "typing": true } }))
        .await;
    a.send(json!({ "type": "TYPING", "payload": { "channel_id": ch, "typing": true } }))
        .await;
    let t = b.next_of("TYPING").await;
    assert_eq!(
        t["payload"],
        json!({ "channel_id": ch, "user_id": alice.id, "typing": true })
    );
    assert!(t.get("seq").is_none(), "typing is ephemeral");
    a.send(json!({ "type": "TYPING", "payload": { "channel_id": ch, "typing": false } }))
        .await;
    let t = b.next_of("TYPING").await;
    assert_eq!(
        t["payload"]["typing"], false,
        "the throttled repeat must not be delivered: {t}"
    );

    app.post(&format!("/api/v1/messages/{mid}/pin"), &alice, json!({}))
        .await
        .expect(200);
    let p = b.next_of("MESSAGE_PINNED").await;
    assert_eq!(p["payload"]["pinned_by"], alice.id.as_str());
    app.delete(&format!("/api/v1/messages/{mid}"), &alice)
        .await
        .expect(204);
    let d = b.next_of("MESSAGE_DELETED").await;
    assert_eq!(d["payload"], json!({ "channel_id": ch, "message_id": mid }));

    a.send(json!({ "type": "PING" })).await;
    assert_eq!(a.next_of("PONG").await, json!({ "type": "PONG" }));
});

both!(outsiders_hear_nothing_of_private_channels, |app| {
    let (alice, bob, carol, ws, ch) = trio(&app).await;
    let general = app
        .get(&format!("/api/v1/workspaces/{ws}/channels"), &carol)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "general")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut c = app.ws(&carol).await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;

    a.send(msg(&ch, "secret plan", "s-1")).await;
    a.next_of("ACK").await;
    let m = b.next_of("MESSAGE").await;
    let mid = m["payload"]["id"].as_str().unwrap().to_owned();
    a.send(json!({ "type": "TYPING", "payload": { "channel_id": ch, "typing": true } }))
        .await;
    b.next_of("TYPING").await;
    b.send(json!({ "type": "REACTION", "payload": { "message_id": mid, "emoji": "🔥" } }))
        .await;
    b.send(json!({ "type": "READ_RECEIPT", "payload": { "channel_id": ch, "message_id": mid } }))
        .await;
    app.put(
        &format!("/api/v1/channels/{ch}"),
        &alice,
        json!({ "topic": "classified" }),
    )
    .await
    .expect(200);
    a.next_of("CHANNEL_UPDATED").await;

    // Carol probing the channel gets what a missing channel gives.
    c.send(json!({ "type": "TYPING", "payload": { "channel_id": ch, "typing": true } }))
        .await;
    let err = c.next_of("ERROR").await;
    assert_eq!(err["payload"]["code"], "not_found");
    c.send(msg(&ch, "let me in", "c-1")).await;
    let err = c.next_of("ERROR").await;
    assert_eq!(err["payload"]["code"], "not_found");
    assert_eq!(err["payload"]["nonce"], "c-1");

    // A sentinel in a channel Carol is in marks the end of what she could get.
    app.send(&general, &alice, "sentinel").await;
    let mut seen = Vec::new();
    loop {
        let f = c.next().await;
        seen.push(f.clone());
        if f["type"] == "MESSAGE" && f["payload"]["content"] == "sentinel" {
            break;
        }
    }
    for f in &seen {
        let text = f.to_string();
        assert!(!text.contains(&ch), "Carol saw the private channel: {text}");
        assert!(
            !text.contains("secret plan"),
            "Carol saw a private message: {text}"
        );
    }
});

both!(resume_replays_exactly_what_was_missed, |app| {
    let (alice, bob, _carol, _ws, ch) = trio(&app).await;
    let mut b = app.ws(&bob).await;
    app.send(&ch, &alice, "before the drop").await;
    let first = b.next_of("MESSAGE").await;
    let last_seq = first["seq"].as_i64().unwrap();
    let session = b.session();
    b.close().await;

    for i in 1..=20 {
        app.send(&ch, &alice, &format!("missed {i}")).await;
    }
    let mut b = app.ws_resume(&bob, &session, last_seq).await;
    assert_eq!(b.hello["payload"]["resumed"], true);
    assert_eq!(b.hello["payload"]["session"], session.as_str());
    let mut seqs = Vec::new();
    for i in 1..=20 {
        let f = b.next().await;
        assert_eq!(f["type"], "MESSAGE", "unexpected frame {f}");
        assert_eq!(f["payload"]["content"], format!("missed {i}"));
        seqs.push(f["seq"].as_i64().unwrap());
    }
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "out of order: {seqs:?}"
    );
    assert!(seqs[0] > last_seq);
    // Nothing twice, and live delivery carries on.
    assert!(b.drain(300).await.iter().all(|f| f["type"] != "MESSAGE"));
    app.send(&ch, &alice, "live again").await;
    let live = b.next_of("MESSAGE").await;
    assert_eq!(live["payload"]["content"], "live again");
    assert!(live["seq"].as_i64().unwrap() > *seqs.last().unwrap());

    // Resuming from before the log begins cannot be exact: RESYNC.
    let c = app.ws_resume(&bob, &session, -7).await;
    assert!(
        c.hello["resync"]["payload"]["reason"].is_string(),
        "{}",
        c.hello
    );
});

both!(
    stalled_reader_is_cut_off_without_delaying_others,
    [
        ("PARLEY_WS_QUEUE", "8"),
        ("PARLEY_WS_WRITE_TIMEOUT", "1s"),
        ("PARLEY_SOCKET_SEND_BUFFER", "16384")
    ],
    |app| {
        let (alice, bob, _carol, _ws, ch) = trio(&app).await;
        let mut slow = app.ws_small_buffer(&bob).await; // never reads again
        let mut fast = app.ws(&alice).await;
        let big = "x".repeat(3900);
        let total = 400;
        let started = std::time::Instant::now();
        let mut received = 0;
        for i in 0..total {
            app.post(
                &format!("/api/v1/channels/{ch}/messages"),
                &alice,
                json!({ "content": format!("{i} {big}") }),
            )
            .await
            .expect(201);
            // The healthy client keeps up as we go.
            while received <= i {
                let f = fast.next().await;
                if f["type"] == "MESSAGE" {
                    received += 1;
                }
            }
        }
        assert_eq!(received, total);
        let elapsed = started.elapsed();
        assert!(
            elapsed < std::time::Duration::from_secs(60),
            "delivery stalled: {elapsed:?}"
        );
        // The stalled one was cut off: it gets what fit in its buffers, then the end.
        let mut got = 0;
        let end = loop {
            match slow.try_next().await {
                Some(f) if f["type"] == "MESSAGE" => got += 1,
                Some(_) => {}
                None => break slow.ended().await,
            }
        };
        assert!(got < total, "the stalled client was never cut off");
        assert!(
            matches!(end, Ended::Closed(4004) | Ended::Dropped),
            "{end:?}"
        );
    }
);

both!(bad_frames_are_refused_and_change_nothing, |app| {
    let (alice, _bob, _carol, _ws, ch) = trio(&app).await;
    let count = || app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM messages");
    let before = count().await;

    // Unauthenticated first frames, bad tokens.
    for first in [
        json!({ "type": "PING" }),
        json!({ "type": "AUTH", "payload": { "token": "forged" } }),
        json!({ "type": "MESSAGE", "payload": { "channel_id": ch, "content": "sneaky" } }),
    ] {
        let mut raw = app.ws_raw().await;
        use futures_util::SinkExt;
        raw.send(tokio_tungstenite::tungstenite::Message::text(
            first.to_string(),
        ))
        .await
        .unwrap();
        assert_eq!(ended(&mut raw).await, Ended::Closed(4001));
    }

    let mut a = app.ws(&alice).await;
    a.send_text("{not json".into()).await;
    assert_eq!(a.next_of("ERROR").await["payload"]["code"], "bad_request");
    a.send(json!({ "type": "SHOUT", "payload": {} })).await;
    assert_eq!(a.next_of("ERROR").await["payload"]["code"], "bad_request");
    a.send(json!({ "type": "MESSAGE", "payload": { "channel_id": ch, "content": "" } }))
        .await;
    assert_eq!(
        a.next_of("ERROR").await["payload"]["code"],
        "validation_failed"
    );
    a.send(json!({ "type": "MESSAGE", "payload": { "channel_id": "12345", "content": "x" } }))
        .await;
    assert_eq!(a.next_of("ERROR").await["payload"]["code"], "not_found");
    a.send(json!({ "type": "AUTH", "payload": { "token": alice.token } }))
        .await;
    assert_eq!(a.next_of("ERROR").await["payload"]["code"], "bad_request");
    assert_eq!(count().await, before);

    // Oversized frames are refused; far oversized ones end the connection.
    a.send_text(format!(
        r#"{{"type":"PING","pad":"{}"}}"#,
        "x".repeat(40_000)
    ))
    .await;
    assert_eq!(
        a.next_of("ERROR").await["payload"]["code"],
        "payload_too_large"
    );
    a.send_text(format!(
        r#"{{"type":"PING","pad":"{}"}}"#,
        "x".repeat(70_000)
    ))
    .await;
    assert!(matches!(
        a.ended().await,
        Ended::Closed(1009) | Ended::Dropped
    ));

    // Over the rate, frames are refused one by one (each gets an ERROR) …
    let mut f = app.ws(&alice).await;
    for _ in 0..100 {
        f.send(json!({ "type": "PING" })).await;
    }
    let (mut pongs, mut limited) = (0, 0);
    while pongs + limited < 100 {
        let fr = f.next().await;
        if fr["type"] == "PONG" {
            pongs += 1;
        } else if fr["payload"]["code"] == "rate_limited" {
            limited += 1;
        }
    }
    assert!(
        pongs >= 60 && limited > 0,
        "pongs {pongs}, refused {limited}"
    );
    // … and a sustained flood is cut off.
    for _ in 0..1000 {
        if !f.try_send(json!({ "type": "PING" })).await {
            break;
        }
    }
    let end = loop {
        if f.try_next().await.is_none() {
            break f.ended().await;
        }
    };
    assert!(
        matches!(end, Ended::Closed(4008) | Ended::Dropped),
        "{end:?}"
    );
    assert_eq!(count().await, before);
});

both!(
    silent_connections_are_closed,
    [("PARLEY_WS_HEARTBEAT", "300ms")],
    |app| {
        let alice = app.user("hb").await;
        let mut a = app.ws(&alice).await;
        assert_eq!(a.hello["payload"]["heartbeat_interval_ms"], 300);
        // Pinging keeps it open past two intervals …
        for _ in 0..4 {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            a.send(json!({ "type": "PING" })).await;
            a.next_of("PONG").await;
        }
        // … silence closes it.
        assert_eq!(a.ended().await, Ended::Closed(4000));
    }
);

async fn next_presence_of(ws: &mut WsClient, user: &TestUser) -> Value {
    loop {
        let f = ws.next_of("PRESENCE").await;
        if f["payload"]["user_id"] == user.id.as_str() {
            return f;
        }
    }
}

both!(
    presence_online_away_offline_without_flapping,
    [("PARLEY_PRESENCE_GRACE", "400ms")],
    |app| {
        let (alice, bob, _carol, _ws, _ch) = trio(&app).await;
        let mut a = app.ws(&alice).await;
        let presence = |u: &TestUser| format!("/api/v1/users/{}/presence", u.id);
        assert_eq!(
            app.get(&presence(&bob), &alice).await.expect(200)["status"],
            "offline"
        );
        // Presence is opt-in: Alice follows Bob (offline: nothing to report yet).
        a.send(json!({ "type": "PRESENCE_SUBSCRIBE", "payload": { "user_ids": [bob.id] } }))
            .await;
        a.send(json!({ "type": "PING" })).await;
        a.next_of("PONG").await;

        let mut b = app.ws(&bob).await;
        let on = next_presence_of(&mut a, &bob).await;
        assert_eq!(
            on["payload"],
            json!({ "user_id": bob.id, "status": "online" })
        );
        assert_eq!(
            app.get(&presence(&bob), &alice).await.expect(200)["status"],
            "online"
        );
        // Following someone already online answers at once.
        b.send(json!({ "type": "PRESENCE_SUBSCRIBE", "payload": { "user_ids": [alice.id] } }))
            .await;
        assert_eq!(
            next_presence_of(&mut b, &alice).await["payload"]["status"],
            "online"
        );
        let too_many: Vec<String> = (0..1001).map(|i| (1000 + i).to_string()).collect();
        b.send(json!({ "type": "PRESENCE_SUBSCRIBE", "payload": { "user_ids": too_many } }))
            .await;
        assert_eq!(
            b.next_of("ERROR").await["payload"]["code"],
            "validation_failed"
        );

        b.send(json!({ "type": "PRESENCE", "payload": { "status": "away" } }))
            .await;
        assert_eq!(
            next_presence_of(&mut a, &bob).await["payload"]["status"],
            "away"
        );
        b.send(json!({ "type": "PRESENCE", "payload": { "status": "online" } }))
            .await;
        assert_eq!(
            next_presence_of(&mut a, &bob).await["payload"]["status"],
            "online"
        );

        // A quick reconnect does not flap.
        b.close().await;
        let b2 = app.ws(&bob).await;
        let frames = a.drain(700).await;
        assert!(
            frames
                .iter()
                .all(|f| f["type"] != "PRESENCE" || f["payload"]["user_id"] != bob.id.as_str()),
            "flapped: {frames:?}"
        );
        // Gone for good: offline after the grace period.
        b2.close().await;
        let off = next_presence_of(&mut a, &bob).await;
        assert_eq!(off["payload"]["status"], "offline");
        assert_eq!(
            app.get(&presence(&bob), &alice).await.expect(200)["status"],
            "offline"
        );
    }
);

both!(notifications_follow_settings, |app| {
    let (alice, bob, carol, _ws, ch) = trio(&app).await;
    let mut b = app.ws(&bob).await;
    app.send(&ch, &alice, &format!("@{} please look", bob.username))
        .await;
    let n = b.next_of("NOTIFICATION").await;
    assert_eq!(n["payload"]["reason"], "mention");
    assert_eq!(n["payload"]["channel_id"], ch.as_str());

    let dm = app
        .post("/api/v1/dm", &alice, json!({ "user_ids": [bob.id] }))
        .await
        .expect(200);
    let dm_id = dm["id"].as_str().unwrap();
    b.next_of("CHANNEL_CREATED").await;
    app.post(
        &format!("/api/v1/dm/{dm_id}/messages"),
        &alice,
        json!({ "content": "ping" }),
    )
    .await
    .expect(201);
    assert_eq!(
        b.next_of("NOTIFICATION").await["payload"]["reason"],
        "direct_message"
    );

    // @here reaches only people who are online: Bob is, Carol is not.
    app.post(
        &format!("/api/v1/channels/{ch}/members"),
        &alice,
        json!({ "user_ids": [carol.id] }),
    )
    .await
    .expect(200);
    app.send(&ch, &alice, "@here standup").await;
    let n = b.next_of("NOTIFICATION").await;
    assert_eq!(n["payload"]["message"]["content"], "@here standup");
    let carols = app
        .get("/api/v1/users/me/mentions", &carol)
        .await
        .expect(200);
    assert_eq!(carols["messages"], json!([]));
    let bobs = app.get("/api/v1/users/me/mentions", &bob).await.expect(200);
    assert_eq!(bobs["messages"][0]["content"], "@here standup");

    // Do-not-disturb silences notifications, not messages.
    app.put(
        "/api/v1/users/me/preferences",
        &bob,
        json!({ "mute_until": "2099-01-01T00:00:00Z" }),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/dm/{dm_id}/messages"),
        &alice,
        json!({ "content": "quiet" }),
    )
    .await
    .expect(201);
    app.send(&ch, &alice, "sentinel").await;
    let mut frames = Vec::new();
    loop {
        let f = b.next().await;
        let done = f["payload"]["content"] == "sentinel";
        frames.push(f);
        if done {
            break;
        }
    }
    assert!(frames
        .iter()
        .any(|f| f["type"] == "MESSAGE" && f["payload"]["content"] == "quiet"));
    assert!(
        frames.iter().all(|f| f["type"] != "NOTIFICATION"),
        "{frames:?}"
    );
});

both!(a_channel_set_to_all_notifies_of_every_message, |app| {
    let (alice, bob, _carol, _ws, ch) = trio(&app).await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    // Only the author hears of every message: nobody is notified.
    app.put(
        &format!("/api/v1/users/me/preferences/channels/{ch}"),
        &alice,
        json!({ "notify_level": "all" }),
    )
    .await
    .expect(200);
    app.send(&ch, &alice, "first").await;
    // Bob asks for every message; Alice's own sends never notify her.
    app.put(
        &format!("/api/v1/users/me/preferences/channels/{ch}"),
        &bob,
        json!({ "notify_level": "all" }),
    )
    .await
    .expect(200);
    app.send(&ch, &alice, "second").await;
    let n = b.next_of("NOTIFICATION").await;
    assert_eq!(n["payload"]["reason"], "channel_message");
    assert_eq!(n["payload"]["message"]["content"], "second");
    // The first notification each gets is the first they should: none
    // for "first", none to Alice for her own messages.
    app.send(&ch, &bob, "reply").await;
    let n = a.next_of("NOTIFICATION").await;
    assert_eq!(n["payload"]["message"]["content"], "reply");
});

both!(keywords_notify_like_mentions_in_ones_own_channels, |app| {
    let (alice, bob, carol, ws, ch) = trio(&app).await;
    let prefs = "/api/v1/users/me/preferences";
    app.put(prefs, &bob, json!({ "keywords": ["  "] }))
        .await
        .expect_error(422, "validation_failed");
    let set = app
        .put(
            prefs,
            &bob,
            json!({ "notify_level": "mentions", "keywords": [" Deploy", "on call", "deploy"] }),
        )
        .await
        .expect(200);
    assert_eq!(set["keywords"], json!(["deploy", "on call"]));
    // A client that does not send keywords keeps them.
    let kept = app
        .put(prefs, &bob, json!({ "notify_level": "mentions" }))
        .await
        .expect(200);
    assert_eq!(kept["keywords"], json!(["deploy", "on call"]));
    let me = app.get("/api/v1/users/me", &bob).await.expect(200);
    assert_eq!(me["preferences"]["keywords"], json!(["deploy", "on call"]));

    let mut b = app.ws(&bob).await;
    // Not a whole word: no notification. Then a phrase in another case,
    // which is the first notification Bob gets.
    app.send(&ch, &alice, "the redeployment is done").await;
    app.send(&ch, &alice, "Who is ON CALL tonight?").await;
    let n = b.next_of("NOTIFICATION").await;
    assert_eq!(n["payload"]["reason"], "keyword");
    assert_eq!(
        n["payload"]["message"]["content"],
        "Who is ON CALL tonight?"
    );
    // A channel Bob is not in never notifies him, whatever it says.
    let secret = app.channel(&ws, &alice, "private", &[&carol]).await;
    app.send(&secret, &alice, "deploy the secret thing").await;
    // His own words do not notify him either.
    app.send(&ch, &bob, "I will deploy").await;
    app.send(&ch, &alice, "deploy when ready").await;
    let n = b.next_of("NOTIFICATION").await;
    assert_eq!(n["payload"]["message"]["content"], "deploy when ready");
    // Cleared: no more keyword notifications.
    let cleared = app
        .put(prefs, &bob, json!({ "keywords": [] }))
        .await
        .expect(200);
    assert_eq!(cleared["keywords"], json!([]));
    app.send(&ch, &alice, "deploy again").await;
    app.send(&ch, &alice, &format!("@{} sentinel", bob.username))
        .await;
    let n = b.next_of("NOTIFICATION").await;
    assert_eq!(n["payload"]["reason"], "mention");
});

both!(membership_changes_reach_live_sessions, |app| {
    let (alice, bob, carol, _ws, ch) = trio(&app).await;
    let mut c = app.ws(&carol).await;
    app.post(
        &format!("/api/v1/channels/{ch}/members"),
        &bob,
        json!({ "user_ids": [carol.id] }),
    )
    .await
    .expect(200);
    let joined = c.next_of("MEMBER_JOINED").await;
    assert_eq!(joined["payload"]["user"]["id"], carol.id.as_str());
    app.send(&ch, &alice, "welcome carol").await;
    assert_eq!(
        c.next_of("MESSAGE").await["payload"]["content"],
        "welcome carol"
    );

    c.send(json!({ "type": "LEAVE_CHANNEL", "payload": { "channel_id": ch } }))
        .await;
    let left = c.next_of("MEMBER_LEFT").await;
    assert_eq!(left["payload"]["user_id"], carol.id.as_str());
    app.send(&ch, &alice, "after carol left").await;
    let frames = c.drain(400).await;
    assert!(
        frames
            .iter()
            .all(|f| !f.to_string().contains("after carol left")),
        "{frames:?}"
    );
});

both!(
    typing_expires_without_renewal,
    [("PARLEY_TYPING_EXPIRY", "500ms")],
    |app| {
        let (alice, bob, _carol, _ws, ch) = trio(&app).await;
        let mut a = app.ws(&alice).await;
        let mut b = app.ws(&bob).await;
        a.send(json!({ "type": "TYPING", "payload": { "channel_id": ch, "typing": true } }))
            .await;
        assert_eq!(b.next_of("TYPING").await["payload"]["typing"], true);
        // Alice's client vanishes mid-sentence (no stop, no renewal).
        let started = std::time::Instant::now();
        let stop = b.next_of("TYPING").await;
        assert_eq!(
            stop["payload"],
            json!({ "channel_id": ch, "user_id": alice.id, "typing": false })
        );
        assert!(started.elapsed() >= std::time::Duration::from_millis(300));
        // Renewals keep it alive (and are throttled, so Bob sees no repeats).
        a.send(json!({ "type": "TYPING", "payload": { "channel_id": ch, "typing": true } }))
            .await;
        assert_eq!(b.next_of("TYPING").await["payload"]["typing"], true);
        for _ in 0..3 {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            a.send(json!({ "type": "TYPING", "payload": { "channel_id": ch, "typing": true } }))
                .await;
        }
        let quiet = b.drain(200).await;
        assert!(quiet.iter().all(|f| f["type"] != "TYPING"), "{quiet:?}");
        // Then it lapses.
        assert_eq!(b.next_of("TYPING").await["payload"]["typing"], false);
        a.close().await;
    }
);
