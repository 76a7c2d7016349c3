//! Calls over the WebSocket: joining, signaling relayed to one participant
//! only, ringing, leaving and ending with system messages, who may do what,
//! liveness, two nodes, and TURN credentials checked by real relays.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::both;
use crate::helpers::*;

/// A minimal but well-formed SDP (the server relays, it does not negotiate).
pub const SDP: &str = "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
    a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n";
pub const CANDIDATE: &str = "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0";

fn join(channel: &str) -> Value {
    json!({ "type": "CALL_JOIN", "payload": { "channel_id": channel, "audio": true, "video": false } })
}

fn offer(call: &str, to: &str) -> Value {
    json!({ "type": "CALL_OFFER", "payload": { "call_id": call, "to": to, "sdp": SDP } })
}

fn candidate(call: &str, to: &str) -> Value {
    json!({ "type": "ICE_CANDIDATE", "payload": { "call_id": call, "to": to,
        "candidate": { "candidate": CANDIDATE, "sdp_mid": "0", "sdp_m_line_index": 0 } } })
}

/// Joins and returns (call id, own participant id, the CALL_JOINED payload).
async fn joined(ws: &mut WsClient, channel: &str) -> (String, String, Value) {
    ws.send(join(channel)).await;
    let j = ws.next_of("CALL_JOINED").await["payload"].clone();
    (
        j["call"]["call_id"].as_str().expect("call id").to_owned(),
        j["participant_id"]
            .as_str()
            .expect("participant")
            .to_owned(),
        j,
    )
}

/// The next ERROR (after the frame just sent); the PING makes sure one
/// would have arrived.
async fn error_of(ws: &mut WsClient, frame: Value) -> Value {
    let shown = frame.to_string();
    ws.send(frame).await;
    ws.send(json!({ "type": "PING" })).await;
    let mut error = None;
    loop {
        let f = ws.next().await;
        match f["type"].as_str() {
            Some("ERROR") if error.is_none() => error = Some(f["payload"].clone()),
            Some("PONG") => {
                return error
                    .unwrap_or_else(|| panic!("no ERROR for {}", &shown[..shown.len().min(300)]))
            }
            _ => {}
        }
    }
}

/// Waits for a CALL_STATE of `call` whose participants satisfy `until`.
async fn state_until(ws: &mut WsClient, call: &str, until: impl Fn(&[Value]) -> bool) -> Value {
    loop {
        let f = ws.next_of("CALL_STATE").await;
        if f["payload"]["call_id"] == call
            && until(
                f["payload"]["participants"]
                    .as_array()
                    .expect("participants"),
            )
        {
            return f["payload"].clone();
        }
    }
}

/// Like [`state_until`], pinging all along, as a client in a call does:
/// for waits longer than the participant timeout.
async fn state_until_pinging(
    ws: &mut WsClient,
    call: &str,
    within: Duration,
    until: impl Fn(&[Value]) -> bool,
) -> Value {
    let t = Instant::now();
    loop {
        ws.send(json!({ "type": "PING" })).await;
        loop {
            let f = ws.next().await;
            if f["type"] == "PONG" {
                break;
            }
            if f["type"] == "CALL_STATE"
                && f["payload"]["call_id"] == call
                && until(
                    f["payload"]["participants"]
                        .as_array()
                        .expect("participants"),
                )
            {
                return f["payload"].clone();
            }
        }
        assert!(t.elapsed() < within, "no such CALL_STATE within {within:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn ids_of(participants: &[Value]) -> Vec<&str> {
    participants
        .iter()
        .map(|p| p["participant_id"].as_str().unwrap_or_default())
        .collect()
}

/// Frames of the given types heard until the PING's PONG.
async fn heard(ws: &mut WsClient, types: &[&str]) -> Vec<Value> {
    ws.send(json!({ "type": "PING" })).await;
    let mut out = Vec::new();
    loop {
        let f = ws.next().await;
        if f["type"] == "PONG" {
            return out;
        }
        if types.iter().any(|t| f["type"] == *t) {
            out.push(f);
        }
    }
}

both!(
    a_call_starts_relays_signaling_and_ends_with_system_messages,
    |app| {
        let alice = app.user("cal").await;
        let bob = app.user("cbo").await;
        let ws_id = app.workspace(&alice).await;
        app.join(&ws_id, &alice, &bob).await;
        let ch = app.channel(&ws_id, &alice, "private", &[&bob]).await;
        let mut a = app.ws(&alice).await;
        let mut b = app.ws(&bob).await;

        let (call, pa, first) = joined(&mut a, &ch).await;
        assert_eq!(first["call"]["channel_id"], ch.as_str());
        assert_eq!(first["call"]["started_by"], alice.id.as_str());
        assert_eq!(
            first["call"]["participants"].as_array().map(Vec::len),
            Some(1)
        );
        // Bob, in the channel, sees the call start: its state and the system message.
        let st = state_until(&mut b, &call, |p| p.len() == 1).await;
        assert_eq!(st["participants"][0]["user"], alice.id.as_str());
        let started = b.next_of("MESSAGE").await;
        assert_eq!(started["payload"]["system"]["kind"], "call_started");
        assert_eq!(started["payload"]["system"]["call_id"], call.as_str());

        // A session opened now hears of the call in progress in its HELLO.
        let late = app.ws(&bob).await;
        assert_eq!(late.hello["payload"]["calls"][0]["call_id"], call.as_str());
        late.close().await;

        let (call_b, pb, second) = joined(&mut b, &ch).await;
        assert_eq!(call_b, call, "the second join joins the call in progress");
        assert_eq!(
            ids_of(second["call"]["participants"].as_array().unwrap()),
            [pa.as_str(), pb.as_str()]
        );
        state_until(&mut a, &call, |p| p.len() == 2).await;

        // Signaling reaches the addressed participant, stamped with its sender.
        a.send(offer(&call, &pb)).await;
        let got = b.next_of("CALL_OFFER").await["payload"].clone();
        assert_eq!(
            (got["from"].as_str(), got["from_user"].as_str()),
            (Some(pa.as_str()), Some(alice.id.as_str()))
        );
        assert_eq!(got["sdp"], SDP);
        b.send(
            json!({ "type": "CALL_ANSWER", "payload": { "call_id": call, "to": pa, "sdp": SDP } }),
        )
        .await;
        assert_eq!(
            a.next_of("CALL_ANSWER").await["payload"]["from"],
            pb.as_str()
        );
        a.send(candidate(&call, &pb)).await;
        let c = b.next_of("ICE_CANDIDATE").await["payload"].clone();
        assert_eq!(c["candidate"]["candidate"], CANDIDATE);
        assert_eq!(c["candidate"]["sdp_m_line_index"], 0);

        // What one sends is everyone's to see.
        a.send(json!({ "type": "CALL_UPDATE", "payload": { "call_id": call, "muted": true, "video": true, "screen": true } }))
        .await;
        let st = state_until(&mut b, &call, |p| p[0]["muted"] == true).await;
        assert_eq!(
            (
                st["participants"][0]["video"].as_bool(),
                st["participants"][0]["screen"].as_bool()
            ),
            (Some(true), Some(true))
        );

        tokio::time::sleep(Duration::from_millis(1100)).await;
        b.send(json!({ "type": "CALL_LEAVE", "payload": { "call_id": call } }))
            .await;
        state_until(&mut a, &call, |p| ids_of(p) == [pa.as_str()]).await;
        a.send(json!({ "type": "CALL_LEAVE", "payload": { "call_id": call } }))
            .await;
        let ended = b.next_of("CALL_ENDED").await["payload"].clone();
        assert_eq!(ended["call_id"], call.as_str());
        assert_eq!(ended["participants"], json!([alice.id, bob.id]));
        assert!(
            ended["duration_ms"].as_u64().unwrap_or(0) >= 1000,
            "{ended}"
        );
        let msg = b.next_of("MESSAGE").await["payload"].clone();
        assert_eq!(msg["system"]["kind"], "call_ended");
        assert!(
            msg["content"]
                .as_str()
                .unwrap_or_default()
                .starts_with("📞 Call ended · 1 s"),
            "{msg}"
        );

        // History keeps both system messages; the call is over for a new session.
        let page = app
            .get(&format!("/api/v1/channels/{ch}/messages"), &bob)
            .await
            .expect(200);
        let kinds: Vec<&str> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["system"]["kind"].as_str())
            .collect();
        assert_eq!(kinds, ["call_started", "call_ended"]);
        let after = app.ws(&bob).await;
        assert_eq!(after.hello["payload"]["calls"], json!([]));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM calls WHERE ended_at IS NULL")
                .await,
            0
        );
        assert!(app.metric("parley_call_joins_total").await >= 2.0);
    }
);

both!(
    outsiders_learn_nothing_of_a_call_and_cannot_signal_into_it,
    |app| {
        let alice = app.user("coa").await;
        let bob = app.user("cob").await;
        let carol = app.user("coc").await; // in the workspace, not in the channel
        let dave = app.user("cod").await; // in the channel, not in the call
        let ws_id = app.workspace(&alice).await;
        for u in [&bob, &carol, &dave] {
            app.join(&ws_id, &alice, u).await;
        }
        let ch = app.channel(&ws_id, &alice, "private", &[&bob, &dave]).await;
        let mut a = app.ws(&alice).await;
        let mut b = app.ws(&bob).await;
        let mut c = app.ws(&carol).await;
        let mut d = app.ws(&dave).await;
        let (call, pa, _) = joined(&mut a, &ch).await;
        let (_, pb, _) = joined(&mut b, &ch).await;

        // Carol may not join, and the refusal is a missing channel's.
        let refused = error_of(&mut c, join(&ch)).await;
        let missing = error_of(&mut c, join("4611686018427387001")).await;
        assert_eq!(refused, missing);
        assert_eq!(refused["code"], "not_found");
        // Her signaling into the call is refused as for a call that does not exist.
        let e = error_of(&mut c, candidate(&call, &pa)).await;
        let ghost = error_of(&mut c, candidate("4611686018427387002", &pa)).await;
        assert_eq!((e["code"].as_str(), &e), (Some("not_found"), &ghost));
        // Dave, a member who did not join, is told to join first.
        assert_eq!(
            error_of(&mut d, offer(&call, &pa)).await["code"],
            "forbidden"
        );
        assert_eq!(
        error_of(&mut d, json!({ "type": "CALL_UPDATE", "payload": { "call_id": call, "muted": true, "video": false, "screen": false } })).await["code"],
        "forbidden"
    );
        // A participant may not signal outside its call, nor to itself.
        let other_ch = app.channel(&ws_id, &dave, "private", &[]).await;
        let (other_call, pd, _) = joined(&mut d, &other_ch).await;
        assert_eq!(
            error_of(&mut a, offer(&call, &pd)).await["code"],
            "forbidden"
        );
        assert_eq!(
            error_of(&mut d, offer(&other_call, &pa)).await["code"],
            "forbidden"
        );
        assert_eq!(
            error_of(&mut a, offer(&call, &pa)).await["code"],
            "validation_failed"
        );

        // Nothing of all that reached Alice or Bob; Carol heard nothing of the call.
        let leaked = heard(&mut a, &["CALL_OFFER", "ICE_CANDIDATE", "CALL_ANSWER"]).await;
        assert!(leaked.is_empty(), "{leaked:?}");
        assert!(heard(&mut b, &["CALL_OFFER", "ICE_CANDIDATE"])
            .await
            .is_empty());
        let carol_heard = heard(
            &mut c,
            &[
                "CALL_STATE",
                "CALL_RING",
                "CALL_ENDED",
                "CALL_OFFER",
                "ICE_CANDIDATE",
            ],
        )
        .await;
        assert!(carol_heard.is_empty(), "{carol_heard:?}");
        assert!(!c.hello["payload"]["calls"].to_string().contains(&call));
        // Signaling between the two participants still flows.
        a.send(candidate(&call, &pb)).await;
        b.next_of("ICE_CANDIDATE").await;
    }
);

both!(bad_signaling_gets_clear_errors_and_reaches_nobody, |app| {
    let alice = app.user("cba").await;
    let bob = app.user("cbb").await;
    let ws_id = app.workspace(&alice).await;
    app.join(&ws_id, &alice, &bob).await;
    let ch = app.channel(&ws_id, &alice, "private", &[&bob]).await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    let (call, _, _) = joined(&mut a, &ch).await;
    let (_, pb, _) = joined(&mut b, &ch).await;

    let sdp = |sdp: &str| json!({ "type": "CALL_OFFER", "payload": { "call_id": call, "to": pb, "sdp": sdp } });
    assert_eq!(
        error_of(&mut a, sdp("hello")).await["code"],
        "validation_failed"
    );
    assert_eq!(
        error_of(&mut a, sdp("v=0\r\n<script>alert(1)</script>")).await["code"],
        "validation_failed"
    );
    let big = format!("{SDP}{}", "a=x-pad\r\n".repeat(2800));
    assert_eq!(
        error_of(&mut a, sdp(&big)).await["code"],
        "validation_failed"
    );
    let huge = format!("{SDP}{}", "a=x-pad\r\n".repeat(4000));
    assert_eq!(
        error_of(&mut a, sdp(&huge)).await["code"],
        "payload_too_large"
    );
    let bad_candidate = json!({ "type": "ICE_CANDIDATE", "payload": { "call_id": call, "to": pb,
        "candidate": { "candidate": "not a candidate" } } });
    assert_eq!(
        error_of(&mut a, bad_candidate).await["code"],
        "validation_failed"
    );
    let unknown_field =
        json!({ "type": "CALL_JOIN", "payload": { "channel_id": ch, "vidoe": true } });
    assert_eq!(error_of(&mut a, unknown_field).await["code"], "bad_request");
    let relayed = heard(&mut b, &["CALL_OFFER", "ICE_CANDIDATE"]).await;
    assert!(relayed.is_empty(), "{relayed:?}");

    // Frames for a call that has ended.
    b.send(json!({ "type": "CALL_LEAVE", "payload": { "call_id": call } }))
        .await;
    a.send(json!({ "type": "CALL_LEAVE", "payload": { "call_id": call } }))
        .await;
    a.next_of("CALL_ENDED").await;
    assert_eq!(
        error_of(&mut a, offer(&call, &pb)).await["code"],
        "not_found"
    );
    assert_eq!(
        error_of(
            &mut a,
            json!({ "type": "CALL_LEAVE", "payload": { "call_id": call } })
        )
        .await["code"],
        "not_found"
    );
    assert_eq!(
        error_of(
            &mut a,
            json!({ "type": "CALL_DECLINE", "payload": { "call_id": call } })
        )
        .await["code"],
        "not_found"
    );
});

both!(the_seventh_participant_is_refused_call_full, |app| {
    let owner = app.user("cfo").await;
    let ws_id = app.workspace(&owner).await;
    let mut people = Vec::new();
    for i in 0..6 {
        let u = app.user(&format!("cf{i}")).await;
        app.join(&ws_id, &owner, &u).await;
        people.push(u);
    }
    let refs: Vec<&TestUser> = people.iter().collect();
    let ch = app.channel(&ws_id, &owner, "public", &refs).await;
    let mut conns = Vec::new();
    let mut call = String::new();
    let mut first = String::new();
    for u in people.iter().take(6) {
        let mut c = app.ws(u).await;
        let (id, me, _) = joined(&mut c, &ch).await;
        if first.is_empty() {
            first = me;
        }
        call = id;
        conns.push(c);
    }
    let mut seventh = app.ws(&owner).await;
    let e = error_of(&mut seventh, join(&ch)).await;
    assert_eq!(e["code"], "call_full");
    assert!(
        e["message"].as_str().unwrap_or_default().contains('6'),
        "{e}"
    );
    assert_eq!(
        app.count("SELECT CAST(live_count AS BIGINT) FROM calls WHERE ended_at IS NULL")
            .await,
        6
    );
    assert!(
        app.metric("parley_call_join_failures_total{code=\"call_full\"}")
            .await
            >= 1.0
    );
    // Once someone leaves, there is room again.
    conns[0]
        .send(json!({ "type": "CALL_LEAVE", "payload": { "call_id": call } }))
        .await;
    state_until(&mut conns[1], &call, |p| {
        !ids_of(p).contains(&first.as_str())
    })
    .await;
    assert_eq!(joined(&mut seventh, &ch).await.0, call);
});

both!(
    a_dropped_or_silent_participant_leaves_within_ten_seconds,
    [("PARLEY_CALL_TIMEOUT", "6s")],
    |app| {
        let alice = app.user("cda").await;
        let bob = app.user("cdb").await;
        let carol = app.user("cdc").await;
        let ws_id = app.workspace(&alice).await;
        app.join(&ws_id, &alice, &bob).await;
        app.join(&ws_id, &alice, &carol).await;
        let ch = app
            .channel(&ws_id, &alice, "private", &[&bob, &carol])
            .await;
        let mut a = app.ws(&alice).await;
        let mut b = app.ws(&bob).await;
        let mut c = app.ws(&carol).await;
        let (call, _, _) = joined(&mut a, &ch).await;
        let (_, pb, _) = joined(&mut b, &ch).await;
        let (_, pc, _) = joined(&mut c, &ch).await;
        state_until(&mut a, &call, |p| p.len() == 3).await;

        // Bob's connection is killed (no close frame): he leaves at once.
        let t = Instant::now();
        drop(b);
        state_until(&mut a, &call, |p| !ids_of(p).contains(&pb.as_str())).await;
        let dropped = t.elapsed();

        // Carol's stays open but falls silent: she is dropped from the call
        // within 10 s, while Alice, who keeps pinging, stays.
        let t = Instant::now();
        let left = state_until_pinging(&mut a, &call, Duration::from_secs(10), |p| {
            !ids_of(p).contains(&pc.as_str())
        })
        .await;
        assert_eq!(left["participants"].as_array().map(Vec::len), Some(1));
        eprintln!(
            "dropped connection left after {dropped:?}, silent one after {:?}",
            t.elapsed()
        );
        drop(c);
    }
);

both!(a_dm_call_rings_and_a_decline_ends_it, |app| {
    let alice = app.user("cra").await;
    let bob = app.user("crb").await;
    let ws_id = app.workspace(&alice).await;
    app.join(&ws_id, &alice, &bob).await;
    let dm = app
        .post("/api/v1/dm", &alice, json!({ "user_ids": [bob.id] }))
        .await
        .expect(200);
    let dm = dm["id"].as_str().expect("dm").to_owned();
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    let mut b2 = app.ws(&bob).await; // Bob's other device
    let (call, _, _) = joined(&mut a, &dm).await;
    for phone in [&mut b, &mut b2] {
        let ring = phone.next_of("CALL_RING").await["payload"].clone();
        assert_eq!(
            (ring["call_id"].as_str(), ring["from"].as_str()),
            (Some(call.as_str()), Some(alice.id.as_str()))
        );
    }
    assert!(
        heard(&mut a, &["CALL_RING"]).await.is_empty(),
        "the caller's own ring"
    );
    b.send(json!({ "type": "CALL_DECLINE", "payload": { "call_id": call } }))
        .await;
    for ws in [&mut a, &mut b2] {
        assert_eq!(
            ws.next_of("CALL_DECLINED").await["payload"]["user_id"],
            bob.id.as_str()
        );
    }
    let ended = a.next_of("CALL_ENDED").await["payload"].clone();
    assert_eq!(ended["participants"], json!([alice.id]));

    // Answering on the second device, then moving to the first: one
    // participant per person, the first device is out.
    let (call, _, _) = joined(&mut a, &dm).await;
    let (_, on_b2, _) = joined(&mut b2, &dm).await;
    let (_, on_b, moved) = joined(&mut b, &dm).await;
    let now = ids_of(moved["call"]["participants"].as_array().unwrap()).len();
    assert_eq!(now, 2, "{moved}");
    let st = state_until(&mut b2, &call, |p| ids_of(p).contains(&on_b.as_str())).await;
    assert!(!ids_of(st["participants"].as_array().unwrap()).contains(&on_b2.as_str()));
    assert_eq!(
        error_of(&mut b2, offer(&call, &on_b)).await["code"],
        "forbidden"
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_on_two_nodes_signal_each_other() {
    let Some(c) = spawn_cluster_with(&[("PARLEY_CALL_TIMEOUT", "6s")]).await else {
        return;
    };
    let alice = c.a.user("cna").await;
    let bob = c.a.user("cnb").await;
    let ws_id = c.a.workspace(&alice).await;
    c.a.join(&ws_id, &alice, &bob).await;
    let ch = c.a.channel(&ws_id, &alice, "private", &[&bob]).await;
    let mut a = c.a.ws(&alice).await;
    let mut b = c.b.ws(&bob).await;
    let (call, pa, _) = joined(&mut a, &ch).await;
    state_until(&mut b, &call, |p| p.len() == 1).await;
    let (_, pb, _) = joined(&mut b, &ch).await;
    state_until(&mut a, &call, |p| p.len() == 2).await;
    a.send(offer(&call, &pb)).await;
    assert_eq!(
        b.next_of("CALL_OFFER").await["payload"]["from"],
        pa.as_str()
    );
    b.send(candidate(&call, &pa)).await;
    assert_eq!(
        a.next_of("ICE_CANDIDATE").await["payload"]["from"],
        pb.as_str()
    );
    // Node B dies: Bob's participant is ended by node A within 10 s.
    let mut c = c;
    let t = Instant::now();
    c.crash_b().await;
    state_until_pinging(&mut a, &call, Duration::from_secs(10), |p| {
        ids_of(p) == [pa.as_str()]
    })
    .await;
    eprintln!("a crashed node's participant left after {:?}", t.elapsed());
}

/// The credentials `GET /api/v1/calls/ice-servers` hands out for `urls`.
async fn turn_credentials(app: &TestApp, user: &TestUser) -> (Vec<String>, String, String, Value) {
    let body = app.get("/api/v1/calls/ice-servers", user).await.expect(200);
    let turn = body["ice_servers"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|s| s["urls"].to_string().contains("turn:"))
        .unwrap_or_else(|| panic!("no TURN server in {body}"))
        .clone();
    let urls = turn["urls"]
        .as_array()
        .expect("urls")
        .iter()
        .filter_map(|u| u.as_str().map(str::to_owned))
        .collect();
    let username = turn["username"].as_str().expect("username").to_owned();
    let password = turn["credential"].as_str().expect("credential").to_owned();
    (urls, username, password, body)
}

/// Allocates relays with `turnutils_uclient` and sends through them; true
/// when the relay accepted the credentials and carried the packets.
async fn relay_works(client: &std::path::Path, port: u16, user: &str, password: &str) -> bool {
    let out = tokio::process::Command::new(client)
        .args(["-y", "-c", "-n", "5", "-m", "1", "-l", "120"])
        .args([
            "-u",
            user,
            "-w",
            password,
            "-p",
            &port.to_string(),
            "127.0.0.1",
        ])
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(20), out).await {
        Ok(Ok(o)) => {
            let text = String::from_utf8_lossy(&o.stdout).to_string()
                + &String::from_utf8_lossy(&o.stderr);
            let ok = o.status.success() && text.contains("Total lost packets 0");
            if !ok {
                eprintln!(
                    "turnutils_uclient said:\n{}",
                    &text[text.len().saturating_sub(2000)..]
                );
            }
            ok
        }
        other => panic!("turnutils_uclient did not finish: {other:?}"),
    }
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free UDP port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_credentials_are_accepted_by_coturn_and_the_embedded_relay() {
    let Some((turnserver, uclient)) = coturn() else {
        return;
    };
    // coturn with TURN REST credentials, as in production.
    let port = free_udp_port();
    let secret = "coturn-shared-secret-for-tests";
    let relay_min = 49_400 + (std::process::id() % 50) as u16 * 10;
    let _coturn = tokio::process::Command::new(turnserver)
        .args(["-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1"])
        .arg(format!("--listening-port={port}"))
        .arg(format!("--min-port={relay_min}"))
        .arg(format!("--max-port={}", relay_min + 9))
        .args(["--realm=parley.test", "--use-auth-secret"])
        .arg(format!("--static-auth-secret={secret}"))
        .args([
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--allow-loopback-peers",
            "--log-file=stdout",
        ])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start turnserver");
    let turn_url = format!("turn:127.0.0.1:{port}?transport=udp");
    let Some(app) = spawn_app_with(
        Backend::Sqlite,
        &[
            ("PARLEY_TURN_URLS", &turn_url),
            ("PARLEY_STUN_URLS", "stun:127.0.0.1:3478"),
            ("PARLEY_TURN_SECRET", secret),
            ("PARLEY_ICE_TRANSPORT_POLICY", "relay"),
        ],
    )
    .await
    else {
        return;
    };
    let alice = app.user("tca").await;
    let (urls, user, password, body) = turn_credentials(&app, &alice).await;
    assert_eq!(urls, std::slice::from_ref(&turn_url));
    assert_eq!(body["ice_transport_policy"], "relay");
    assert_eq!(
        body["ice_servers"][0]["urls"],
        json!(["stun:127.0.0.1:3478"])
    );
    let (expiry, who) = user.split_once(':').expect("expiry:user");
    assert_eq!(who, alice.id);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let expiry: u64 = expiry.parse().expect("expiry");
    assert!(
        expiry > now + 3600 && expiry <= now + 13 * 3600,
        "{expiry} vs {now}"
    );
    // coturn starts in a moment; then it relays with these credentials and
    // refuses a forged password.
    let mut ok = false;
    for _ in 0..20 {
        if relay_works(&uclient, port, &user, &password).await {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ok, "coturn refused the minted credentials");
    assert!(
        !relay_works(&uclient, port, &user, "Zm9yZ2Vk").await,
        "coturn took a forged password"
    );
    assert_eq!(
        app.get("/api/v1/calls/ice-servers", &alice).await.status,
        200
    );
    let anon = app
        .call(
            reqwest::Method::GET,
            "/api/v1/calls/ice-servers",
            None,
            None,
        )
        .await;
    anon.expect_error(401, "unauthorized");

    // With nothing configured, the server relays itself (any free port here).
    let Some(embedded) = spawn_app_with(Backend::Sqlite, &[]).await else {
        return;
    };
    let bob = embedded.user("tcb").await;
    let (urls, user, password, body) = turn_credentials(&embedded, &bob).await;
    assert_eq!(body["ice_transport_policy"], "all");
    let port: u16 = urls
        .iter()
        .find_map(|u| u.strip_prefix("turn:127.0.0.1:"))
        .and_then(|rest| rest.split('?').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no embedded relay URL on 127.0.0.1 in {urls:?}"));
    assert!(
        relay_works(&uclient, port, &user, &password).await,
        "the embedded relay refused its own credentials"
    );
    assert!(
        !relay_works(&uclient, port, &user, "Zm9yZ2Vk").await,
        "the embedded relay took a forged password"
    );
}
