//! The Bus port's contract, one suite on both adapters (`bus_suite!`):
//! `MemoryBus` (two "nodes" in one process share it) and `RedisBus` (two
//! connections under one fresh prefix, as two server processes would
//! have). Every node, the publisher included, receives every message in
//! publishing order, and publishing never waits for anyone.

use std::sync::Arc;
use std::time::Duration;

use parley_server::bus::{Bus, BusMessage, MemoryBus, RedisBus};
use tokio::sync::broadcast::Receiver;

use crate::helpers::*;

/// How long a message may take to arrive before the test gives up.
const ARRIVAL: Duration = Duration::from_secs(10);

/// Two nodes' handles on the same bus.
type Nodes = (Arc<dyn Bus>, Arc<dyn Bus>);

async fn memory_nodes() -> Option<Nodes> {
    let bus: Arc<dyn Bus> = Arc::new(MemoryBus::new());
    Some((bus.clone(), bus))
}

async fn redis_nodes() -> Option<Nodes> {
    if !redis_reachable().await {
        return None;
    }
    let url = redis_url();
    let prefix = unique(&format!("parley-bus-test-{}-", std::process::id()));
    let a = RedisBus::connect(&url, &prefix).await.expect("node a");
    let b = RedisBus::connect(&url, &prefix).await.expect("node b");
    Some((Arc::new(a), Arc::new(b)))
}

fn frame(n: usize) -> BusMessage {
    BusMessage::Ephemeral {
        channel_id: Some(1),
        workspace_ids: vec![2],
        exclude_user: None,
        frame: format!("frame {n}"),
    }
}

/// The next message that is not bus housekeeping (doorbells a subscriber
/// rings on connecting, readiness probes).
async fn next_frame(rx: &mut Receiver<BusMessage>) -> BusMessage {
    loop {
        let msg = tokio::time::timeout(ARRIVAL, rx.recv())
            .await
            .expect("a bus message in time")
            .expect("bus open");
        match msg {
            BusMessage::Doorbell | BusMessage::NodeAlive { .. } => continue,
            other => return other,
        }
    }
}

/// Publishes probes from `a` until `b` hears one: a Redis subscription
/// starts listening a moment after `connect` returns.
async fn wait_until_connected(a: &dyn Bus, b_rx: &mut Receiver<BusMessage>) {
    for _ in 0..100 {
        a.publish(BusMessage::NodeAlive {
            node: "probe".into(),
        });
        let heard = tokio::time::timeout(Duration::from_millis(100), async {
            loop {
                if let Ok(BusMessage::NodeAlive { node }) = b_rx.recv().await {
                    if node == "probe" {
                        return;
                    }
                }
            }
        })
        .await;
        if heard.is_ok() {
            return;
        }
    }
    panic!("node b never heard node a");
}

/// One test per Bus adapter over the same body: `bus_suite!(name, |a, b| { … });`.
macro_rules! bus_suite {
    ($name:ident, |$a:ident, $b:ident| $body:block) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                let Some(($a, $b)) = memory_nodes().await else {
                    return;
                };
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                let Some(($a, $b)) = redis_nodes().await else {
                    return;
                };
                $body
            }
        }
    };
}

bus_suite!(every_node_receives_every_message_in_order, |a, b| {
    let mut on_a = a.subscribe();
    let mut on_b = b.subscribe();
    wait_until_connected(a.as_ref(), &mut on_b).await;
    for n in 0..50 {
        a.publish(frame(n));
    }
    for n in 0..50 {
        assert_eq!(
            next_frame(&mut on_a).await,
            frame(n),
            "the publisher's own node"
        );
        assert_eq!(next_frame(&mut on_b).await, frame(n), "the other node");
    }
    // And the other way round.
    b.publish(frame(99));
    assert_eq!(next_frame(&mut on_a).await, frame(99));
    assert_eq!(next_frame(&mut on_b).await, frame(99));
});

bus_suite!(publishing_never_waits_for_subscribers, |a, b| {
    drop(b);
    // Nobody subscribed: every publish returns at once (the adapter drops
    // or queues, never blocks the caller).
    let started = std::time::Instant::now();
    for n in 0..5_000 {
        a.publish(frame(n));
    }
    // A hang detector, not a speed target: blocking would take forever.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "5,000 publishes blocked for {:?}",
        started.elapsed()
    );
});
