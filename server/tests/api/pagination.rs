//! Property tests (proptest) of history paging and seq ordering, on both
//! backends: for any history length, page size and number of concurrent
//! writers, walking back from the newest page with `before` and forward
//! from the start with `after` visits every message that existed when the
//! walk began exactly once, in order, while other messages are being sent;
//! once the writers are done the channel holds seqs 1..N without a gap, and
//! each writer's messages carry increasing seqs in the order they were sent,
//! at the seq their answer named.

use std::collections::HashSet;

use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::both;
use crate::helpers::*;

/// Generated cases per backend (each shrinks on failure).
const CASES: u32 = 10;

struct Team {
    owner: TestUser,
    workspace: String,
}

/// Messages (seq, text) of one walk, in the order visited: back from the
/// newest page (`before` the oldest seq seen) or forward from the first
/// (`after` the newest seen). Ends where the server says there is no more.
async fn walk(
    app: &TestApp,
    user: &TestUser,
    channel: &str,
    size: u32,
    back: bool,
) -> Vec<(i64, String)> {
    let mut seen = Vec::new();
    let mut cursor: Option<i64> = None;
    loop {
        let query = match (back, cursor) {
            (true, None) => format!("limit={size}"),
            (true, Some(c)) => format!("before={c}&limit={size}"),
            (false, c) => format!("after={}&limit={size}", c.unwrap_or(0)),
        };
        let page = app
            .get(
                &format!("/api/v1/channels/{channel}/messages?{query}"),
                user,
            )
            .await
            .expect(200);
        let messages: Vec<(i64, String)> = page["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| {
                let seq = m["seq"].as_i64().expect("seq");
                (seq, m["content"].as_str().unwrap_or_default().to_owned())
            })
            .collect();
        assert!(
            messages.len() <= size as usize,
            "a page of {size} held {}",
            messages.len()
        );
        assert!(
            messages.windows(2).all(|w| w[0].0 < w[1].0),
            "a page is not in seq order: {messages:?}"
        );
        let more = page[if back {
            "has_more_before"
        } else {
            "has_more_after"
        }] == true;
        let (Some(first), Some(last)) = (messages.first(), messages.last()) else {
            return seen;
        };
        cursor = Some(if back { first.0 } else { last.0 });
        if back {
            seen.extend(messages.into_iter().rev());
        } else {
            seen.extend(messages);
        }
        if !more {
            return seen;
        }
    }
}

fn once_each(walk: &[(i64, String)], existing: i64, what: &str) -> Result<(), String> {
    let mut seen = HashSet::new();
    if let Some((d, _)) = walk.iter().find(|(s, _)| !seen.insert(*s)) {
        return Err(format!("{what}: seq {d} visited twice"));
    }
    if let Some(m) = (1..=existing).find(|s| !seen.contains(s)) {
        return Err(format!(
            "{what}: seq {m} (sent before the walk) never visited"
        ));
    }
    Ok(())
}

/// One writer: sends one message at a time, each after the previous
/// answer; returns (seq the answer named, text) in sending order.
async fn writer(
    app: &TestApp,
    user: &TestUser,
    channel: &str,
    w: usize,
    n: usize,
) -> Vec<(i64, String)> {
    let mut sent = Vec::new();
    for i in 0..n {
        let text = format!("writer {w} message {i}");
        let m = app.send(channel, user, &text).await;
        sent.push((m["seq"].as_i64().unwrap_or(-1), text));
    }
    sent
}

async fn case(
    app: &TestApp,
    team: &Team,
    (existing, size, writers, per_writer): (usize, u32, usize, usize),
) -> Result<(), String> {
    let user = &team.owner;
    let channel = app.channel(&team.workspace, user, "public", &[]).await;
    let texts: Vec<String> = (0..existing).map(|i| format!("before {i}")).collect();
    for chunk in texts.chunks(8) {
        let sends = chunk.iter().map(|t| app.send(&channel, user, t));
        futures_util::future::join_all(sends).await;
    }
    // The walks run while the writers send.
    let writing = futures_util::future::join_all(
        (0..writers).map(|w| writer(app, user, &channel, w, per_writer)),
    );
    let walking = async {
        let back = walk(app, user, &channel, size, true).await;
        let forward = walk(app, user, &channel, size, false).await;
        (back, forward)
    };
    let (written, (back, forward)) = tokio::join!(writing, walking);

    let existing = existing as i64;
    if !back.windows(2).all(|w| w[0].0 > w[1].0) {
        return Err(format!("walking back is not newest-first: {back:?}"));
    }
    if !forward.windows(2).all(|w| w[0].0 < w[1].0) {
        return Err(format!("walking forward is not oldest-first: {forward:?}"));
    }
    once_each(&back, existing, "back")?;
    once_each(&forward, existing, "forward")?;

    let total = existing + (writers * per_writer) as i64;
    let all = walk(app, user, &channel, 100, false).await;
    let seqs: Vec<i64> = all.iter().map(|(s, _)| *s).collect();
    if seqs != (1..=total).collect::<Vec<_>>() {
        return Err(format!(
            "after the writers the seqs are not 1..={total}: {seqs:?}"
        ));
    }
    let texts: std::collections::HashMap<i64, String> = all.into_iter().collect();
    for sent in &written {
        if !sent.windows(2).all(|w| w[0].0 < w[1].0) {
            return Err(format!("one writer's messages are out of order: {sent:?}"));
        }
        for (seq, text) in sent {
            if texts.get(seq) != Some(text) {
                return Err(format!(
                    "the answer said seq {seq} for {text:?}, the history has {:?}",
                    texts.get(seq)
                ));
            }
        }
    }
    Ok(())
}

both!(
    pages_walk_every_message_once_under_concurrent_sends,
    |app| {
        let owner = app.user("pager").await;
        let workspace = app.workspace(&owner).await;
        let team = Team { owner, workspace };
        let handle = tokio::runtime::Handle::current();
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (0usize..120, 1u32..=100, 0usize..4, 0usize..15);
        // The runner is synchronous; each case runs on this test's runtime
        // while the server keeps serving on the other worker.
        let outcome = tokio::task::block_in_place(|| {
            runner.run(&strategy, |input| {
                handle
                    .block_on(case(&app, &team, input))
                    .map_err(TestCaseError::fail)
            })
        });
        if let Err(e) = outcome {
            panic!("{e}");
        }
    }
);
