//! Two call engines in one process, connected on loopback with their
//! signaling relayed through channels the way the UI relays it over the
//! WebSocket: for the engine's own tests and its benchmark
//! (`examples/call_bench.rs`). No audio devices are opened (the engines
//! run muted, and media is injected and pulled by the caller).

use std::sync::Arc;

use parley_shared::ipc::{self, event};
use parley_shared::ParticipantId;
use tokio::sync::mpsc;

use super::{open, peer, Calls, Out, Session, Sink};

/// A connected pair: A offered to B.
pub struct Pair {
    pub a: Arc<Session>,
    pub b: Arc<Session>,
    pub a_id: ParticipantId,
    pub b_id: ParticipantId,
    /// The pictures B's engine announces (A's screen as B sees it).
    pub b_videos: mpsc::UnboundedReceiver<event::CallVideo>,
    _calls: (Calls, Calls),
}

impl Pair {
    /// Opens two sessions on 127.0.0.1 and connects A to B.
    pub async fn connect() -> Result<Pair, String> {
        // Loopback only: the pair must not depend on the machine's network.
        std::env::set_var("PARLEY_CALL_UDP", "127.0.0.1:0");
        let (a_id, b_id) = (ParticipantId(1), ParticipantId(2));
        let (a_tx, a_rx) = mpsc::unbounded_channel();
        let (b_tx, b_rx) = mpsc::unbounded_channel();
        let (calls_a, calls_b) = (Calls::default(), Calls::default());
        let args = |mic: &str| ipc::CallOpen {
            ice: None,
            // No such device: the engine runs muted, media is injected.
            mic: Some(mic.into()),
            speaker: Some("none".into()),
            camera: false,
            processing: false,
        };
        open(&calls_a, args("none-a"), sink(a_tx)).await;
        open(&calls_b, args("none-b"), sink(b_tx)).await;
        let a = calls_a.session().await.ok_or("no session A")?;
        let b = calls_b.session().await.ok_or("no session B")?;
        let (a_videos, _) = mpsc::unbounded_channel();
        let (b_videos_tx, b_videos) = mpsc::unbounded_channel();
        tokio::spawn(relay(a_id, a_rx, Arc::clone(&b), a_videos));
        tokio::spawn(relay(b_id, b_rx, Arc::clone(&a), b_videos_tx));
        peer::connect(&a, b_id).await.map_err(|e| e.to_string())?;
        Ok(Pair {
            a,
            b,
            a_id,
            b_id,
            b_videos,
            _calls: (calls_a, calls_b),
        })
    }
}

fn sink(tx: mpsc::UnboundedSender<Out>) -> Sink {
    Arc::new(move |o| {
        let _ = tx.send(o);
    })
}

/// Delivers what one engine signals to the other as coming from `from`;
/// the pictures the sending engine announces go to `videos`.
async fn relay(
    from: ParticipantId,
    mut rx: mpsc::UnboundedReceiver<Out>,
    to: Arc<Session>,
    videos: mpsc::UnboundedSender<event::CallVideo>,
) {
    while let Some(o) = rx.recv().await {
        let done = match o {
            Out::Signal(event::CallSignal::Offer { sdp, .. }) => peer::answer(&to, from, sdp)
                .await
                .map_err(|e| e.to_string()),
            Out::Signal(event::CallSignal::Answer { sdp, .. }) => match to.peer(from).await {
                Some(p) => p.remote_answer(sdp).await.map_err(|e| e.to_string()),
                None => Ok(()),
            },
            Out::Signal(event::CallSignal::Candidate { candidate, .. }) => {
                if let Some(p) = to.peer(from).await {
                    p.remote_candidate(candidate).await;
                }
                Ok(())
            }
            Out::Signal(event::CallSignal::ScreenEnded) => Ok(()),
            Out::Video(v) => {
                let _ = videos.send(v);
                Ok(())
            }
        };
        if let Err(e) = done {
            eprintln!("parley: loopback signaling: {e}");
        }
    }
}

/// A sine tone of `n` samples at 48 kHz.
pub fn tone(freq: f32, n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| ((i as f32 * freq * std::f32::consts::TAU / 48_000.0).sin() * 8000.0) as i16)
        .collect()
}
