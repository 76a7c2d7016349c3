//! One peer connection to another participant: three sending tracks
//! (audio, camera, screen — the transceiver order the browser uses too),
//! trickle ICE through the UI's signaling, and the received tracks handed
//! to the audio mixer and the video decoders.
//!
//! What must stay true: the side that joined later offers (the UI decides
//! and calls [`connect`] or [`answer`]); a remote candidate that arrives
//! before the remote description waits for it; a received track is told
//! apart by its transceiver's place in the SDP (its `mid`'s m-line), never
//! by arrival order.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parley_shared::call::IceCandidate;
use parley_shared::ipc::event::CallSignal;
use parley_shared::ParticipantId;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::MediaEngine;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::event::RTCPeerConnectionIceEvent;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::RTCIceCandidateInit;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::PayloadType;
use tokio::sync::{mpsc, Mutex};
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCPeerConnectionState,
};
use webrtc::rtp_transceiver::RtpSender;
use webrtc::runtime::TokioRuntime;

use super::{Out, Session};

pub type Error = webrtc::error::Error;

/// A track this side sends, with the payload type its codec was given in
/// the negotiation (known once the descriptions are set).
pub struct Sending {
    pub track: Arc<TrackLocalStaticSample>,
    pub sender: Arc<dyn RtpSender>,
    pub ssrc: u32,
    payload: std::sync::Mutex<Option<PayloadType>>,
}

impl Sending {
    /// The negotiated payload type (looked up once).
    pub async fn payload_type(&self) -> Option<PayloadType> {
        if let Some(pt) = self.payload.lock().ok().and_then(|p| *p) {
            return Some(pt);
        }
        let pt = self
            .sender
            .get_parameters()
            .await
            .ok()?
            .rtp_parameters
            .codecs
            .first()
            .map(|c| c.payload_type)?;
        if let Ok(mut p) = self.payload.lock() {
            *p = Some(pt);
        }
        Some(pt)
    }
}

pub struct Peer {
    pub id: ParticipantId,
    pub pc: Arc<dyn PeerConnection>,
    /// Audio, camera, screen.
    pub sending: [Sending; 3],
    remote_set: Mutex<bool>,
    early: Mutex<Vec<IceCandidate>>,
}

impl Peer {
    pub async fn close(&self) {
        if let Err(e) = self.pc.close().await {
            eprintln!("parley: closing a call connection: {e}");
        }
    }

    async fn set_remote(&self, desc: RTCSessionDescription) -> Result<(), Error> {
        self.pc.set_remote_description(desc).await?;
        *self.remote_set.lock().await = true;
        let early: Vec<IceCandidate> = std::mem::take(&mut *self.early.lock().await);
        for c in early {
            self.add_candidate(c).await;
        }
        Ok(())
    }

    pub async fn remote_answer(&self, sdp: String) -> Result<(), Error> {
        self.set_remote(RTCSessionDescription::answer(sdp)?).await
    }

    pub async fn remote_candidate(&self, c: IceCandidate) {
        if !*self.remote_set.lock().await {
            self.early.lock().await.push(c);
            return;
        }
        self.add_candidate(c).await;
    }

    async fn add_candidate(&self, c: IceCandidate) {
        if c.candidate.is_empty() {
            return; // end of candidates
        }
        let init = RTCIceCandidateInit {
            candidate: c.candidate,
            sdp_mid: c.sdp_mid,
            sdp_mline_index: c.sdp_m_line_index,
            username_fragment: c.username_fragment,
            ..Default::default()
        };
        if let Err(e) = self.pc.add_ice_candidate(init).await {
            eprintln!("parley: a call candidate was refused: {e}");
        }
    }
}

fn codec(kind: RtpCodecKind) -> RTCRtpCodec {
    match kind {
        RtpCodecKind::Audio => RTCRtpCodec {
            mime_type: rtc::peer_connection::configuration::media_engine::MIME_TYPE_OPUS.into(),
            clock_rate: 48_000,
            channels: 2,
            sdp_fmtp_line: "minptime=10;useinbandfec=1".into(),
            rtcp_feedback: vec![],
        },
        _ => RTCRtpCodec {
            mime_type: rtc::peer_connection::configuration::media_engine::MIME_TYPE_VP8.into(),
            clock_rate: 90_000,
            channels: 0,
            sdp_fmtp_line: String::new(),
            rtcp_feedback: vec![],
        },
    }
}

fn local_track(
    kind: RtpCodecKind,
    name: &str,
) -> Result<(Arc<TrackLocalStaticSample>, u32), Error> {
    let ssrc: u32 = rand::random();
    let track = TrackLocalStaticSample::new(
        Instant::now(),
        MediaStreamTrack::new(
            "parley".to_owned(),
            format!("parley-{name}"),
            name.to_owned(),
            kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec: codec(kind),
                ..Default::default()
            }],
        ),
    )?;
    Ok((Arc::new(track), ssrc))
}

/// Where the connection's sockets bind: every interface by default
/// (`PARLEY_CALL_UDP` narrows it, e.g. to 127.0.0.1:0 in tests).
fn udp_addrs() -> Vec<String> {
    match std::env::var("PARLEY_CALL_UDP") {
        Ok(v) if !v.trim().is_empty() => v.split(',').map(|a| a.trim().to_owned()).collect(),
        _ => vec!["0.0.0.0:0".to_owned()],
    }
}

struct Handler {
    id: ParticipantId,
    session: Weak<Session>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        let Some(session) = self.session.upgrade() else {
            return;
        };
        let Ok(init) = event.candidate.to_json() else {
            return;
        };
        session.emit(Out::Signal(CallSignal::Candidate {
            to: self.id,
            candidate: IceCandidate {
                candidate: init.candidate,
                sdp_mid: init.sdp_mid,
                sdp_m_line_index: init.sdp_mline_index,
                username_fragment: init.username_fragment,
            },
        }));
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        eprintln!("parley: call connection to {}: {state}", self.id);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let Some(session) = self.session.upgrade() else {
            return;
        };
        let id = self.id;
        tokio::spawn(async move {
            receive(session, id, track).await;
        });
    }
}

/// Which transceiver (0 audio, 1 camera, 2 screen) a received track came
/// on: the m-line of its transceiver's mid in the remote description.
async fn index_of(pc: &Arc<dyn PeerConnection>, track: &Arc<dyn TrackRemote>) -> Option<usize> {
    let track_id = track.track_id().await;
    let mut mid = None;
    for t in pc.get_transceivers().await {
        if let Ok(Some(r)) = t.receiver().await {
            if r.track().track_id().await == track_id {
                mid = t.mid().await.ok().flatten();
                break;
            }
        }
    }
    let mid = mid?;
    let remote = pc.remote_description().await?;
    remote
        .sdp
        .lines()
        .filter(|l| l.starts_with("a=mid:"))
        .position(|l| l.trim_end() == format!("a=mid:{mid}"))
}

async fn receive(session: Arc<Session>, id: ParticipantId, track: Arc<dyn TrackRemote>) {
    let Some(peer) = session.peer(id).await else {
        return;
    };
    // The transceiver is known once the track is bound; ask a few times.
    let mut index = None;
    for _ in 0..20 {
        index = index_of(&peer.pc, &track).await;
        if index.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(peer);
    let kind = track.kind().await;
    match (kind, index) {
        (RtpCodecKind::Audio, _) => super::audio::receive(session, id, track).await,
        (RtpCodecKind::Video, Some(i)) => {
            if let Some(feed) = super::feed_of_index(i) {
                super::video::receive(session, id, feed, track).await;
            }
        }
        _ => eprintln!("parley: a call track of an unknown transceiver was ignored"),
    }
}

/// Builds the connection to `id` with its three sending tracks.
async fn build(session: &Arc<Session>, id: ParticipantId) -> Result<Arc<Peer>, Error> {
    let mut media = MediaEngine::default();
    media.register_default_codecs()?;
    let registry = register_default_interceptors(Default::default(), &mut media)?;
    let config = RTCConfigurationBuilder::new()
        .with_ice_servers(session.ice.servers.clone())
        .with_ice_transport_policy(session.ice.policy())
        .build();
    let handler = Arc::new(Handler {
        id,
        session: Arc::downgrade(session),
    });
    let pc = PeerConnectionBuilder::new()
        .with_configuration(config)
        .with_media_engine(media)
        .with_interceptor_registry(registry)
        .with_handler(handler)
        .with_runtime(Arc::new(TokioRuntime))
        .with_udp_addrs(udp_addrs())
        .build()
        .await?;
    let pc: Arc<dyn PeerConnection> = Arc::new(pc);
    let mut sending = Vec::with_capacity(3);
    for (kind, name) in [
        (RtpCodecKind::Audio, "audio"),
        (RtpCodecKind::Video, "camera"),
        (RtpCodecKind::Video, "screen"),
    ] {
        let (track, ssrc) = local_track(kind, name)?;
        let sender = pc
            .add_track(Arc::clone(&track) as Arc<dyn TrackLocal>)
            .await?;
        sending.push(Sending {
            track,
            sender,
            ssrc,
            payload: std::sync::Mutex::new(None),
        });
    }
    let [audio, camera, screen]: [Sending; 3] = sending
        .try_into()
        .map_err(|_| Error::Other("three tracks".into()))?;
    let peer = Arc::new(Peer {
        id,
        pc,
        sending: [audio, camera, screen],
        remote_set: Mutex::new(false),
        early: Mutex::new(Vec::new()),
    });
    // What the receivers say about the screen (PLI/FIR, loss, estimates).
    let track = Arc::clone(&peer.sending[2].track);
    let weak = Arc::downgrade(session);
    tokio::spawn(async move {
        while let Some(TrackLocalEvent::OnRtcpPacket(packets)) = track.poll().await {
            match weak.upgrade() {
                Some(s) => super::screen::feedback(&s, &packets),
                None => break,
            }
        }
    });
    for i in [0, 1] {
        let track = Arc::clone(&peer.sending[i].track);
        tokio::spawn(async move { while track.poll().await.is_some() {} });
    }
    if let Some(old) = session.peers.lock().await.insert(id, Arc::clone(&peer)) {
        old.close().await;
    }
    Ok(peer)
}

/// The sending tracks of every connection, by index.
pub const AUDIO: usize = 0;
pub const SCREEN: usize = 2;

/// Sends every encoded frame (and its duration) from `rx` on track `index`
/// of every connection of the session, until the session or `rx` ends.
pub fn forward(session: &Arc<Session>, index: usize, mut rx: mpsc::Receiver<(Bytes, Duration)>) {
    let weak = Arc::downgrade(session);
    tokio::spawn(async move {
        while let Some((data, duration)) = rx.recv().await {
            let Some(session) = weak.upgrade() else { break };
            send_everywhere(&session, index, data, duration).await;
        }
    });
}

/// Sends one encoded frame on track `index` of every connection; a
/// connection not up yet drops it.
async fn send_everywhere(session: &Session, index: usize, data: Bytes, duration: Duration) {
    let peers: Vec<Arc<Peer>> = session.peers.lock().await.values().cloned().collect();
    for p in peers {
        let Some(s) = p.sending.get(index) else {
            return;
        };
        let Some(pt) = s.payload_type().await else {
            continue;
        };
        let sample = rtc::media::Sample {
            data: data.clone(),
            duration,
            ..rtc::media::Sample::new(Instant::now())
        };
        let _ = s
            .track
            .sample_writer(s.ssrc, pt)
            .write_sample(&sample)
            .await;
    }
}

/// Connects to someone already in the call: this side offers.
pub async fn connect(session: &Arc<Session>, id: ParticipantId) -> Result<(), Error> {
    let peer = build(session, id).await?;
    let offer = peer.pc.create_offer(None).await?;
    peer.pc.set_local_description(offer.clone()).await?;
    session.emit(Out::Signal(CallSignal::Offer {
        to: id,
        sdp: offer.sdp,
    }));
    Ok(())
}

/// Answers `from`'s offer (a newcomer, or an ICE restart).
pub async fn answer(session: &Arc<Session>, from: ParticipantId, sdp: String) -> Result<(), Error> {
    let offer = RTCSessionDescription::offer(sdp)?;
    let peer = match session.peer(from).await {
        Some(p) => p,
        None => build(session, from).await?,
    };
    peer.set_remote(offer).await?;
    let answer = peer.pc.create_answer(None).await?;
    peer.pc.set_local_description(answer.clone()).await?;
    session.emit(Out::Signal(CallSignal::Answer {
        to: from,
        sdp: answer.sdp,
    }));
    Ok(())
}
