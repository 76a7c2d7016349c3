//! Calls: voice, video and screen share in a channel or DM.
//!
//! A call lives in one conversation; anyone who may write there may join.
//! Media flows peer to peer between every pair of participants (a mesh of
//! at most [`MAX_PARTICIPANTS`]); the server only relays the signaling
//! (`CALL_OFFER`, `CALL_ANSWER`, `ICE_CANDIDATE`) between two participants
//! of the same call and hands out ICE servers (`GET /api/v1/calls/ice-servers`).
//! A participant is one connection: the same person joining from another
//! device moves there.

use serde::{Deserialize, Serialize};

use crate::ids::{CallId, ChannelId, ParticipantId, UserId};
use crate::timestamp::Timestamp;
use crate::validate::ValidationError;

/// A mesh sends every stream to every other participant: beyond this many
/// people the uplink of a home connection gives out. A 7th join answers
/// `call_full` (see ARCHITECTURE.md for how an SFU would lift it).
pub const MAX_PARTICIPANTS: usize = 6;

/// Largest SDP accepted in `CALL_OFFER`/`CALL_ANSWER`. Browsers' offers
/// with audio, camera and screen are 5–12 KB.
pub const MAX_SDP_BYTES: usize = 24 * 1024;

/// Largest ICE candidate line.
pub const MAX_CANDIDATE_BYTES: usize = 1024;

/// A participant that sends no frame for this long has dropped out.
/// Clients in a call send `PING` at least every [`CALL_PING_INTERVAL_MS`].
pub const PARTICIPANT_TIMEOUT_MS: u64 = 6_000;

/// How often a client in a call pings (well inside the timeout above).
pub const CALL_PING_INTERVAL_MS: u64 = 2_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallParticipant {
    pub user: UserId,
    pub participant_id: ParticipantId,
    pub muted: bool,
    pub video: bool,
    pub screen: bool,
    pub joined_at: Timestamp,
}

/// A call in progress, as everyone in its conversation sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallState {
    pub channel_id: ChannelId,
    pub call_id: CallId,
    pub started_at: Timestamp,
    /// Who started it.
    pub started_by: UserId,
    /// In the order they joined.
    pub participants: Vec<CallParticipant>,
}

/// `RTCIceCandidateInit` as the browser hands it over, relayed verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IceCandidate {
    /// `candidate:…` (empty for end-of-candidates).
    pub candidate: String,
    #[serde(default)]
    pub sdp_mid: Option<String>,
    #[serde(default)]
    pub sdp_m_line_index: Option<u16>,
    #[serde(default)]
    pub username_fragment: Option<String>,
}

/// One entry of `RTCConfiguration.iceServers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// `RTCConfiguration.iceTransportPolicy`: `relay` sends all media through
/// TURN (the operator's choice: it hides people's addresses from each other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IceTransportPolicy {
    All,
    Relay,
}

/// `GET /api/v1/calls/ice-servers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IceServers {
    pub ice_servers: Vec<IceServer>,
    pub ice_transport_policy: IceTransportPolicy,
    /// When the TURN credentials stop working (fetch new ones before).
    pub expires_at: Timestamp,
}

/// What a system message (one the server posts) records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SystemEvent {
    /// The message's author started a call.
    CallStarted { call_id: CallId },
    /// The call ended: how long it lasted and who took part.
    CallEnded {
        call_id: CallId,
        duration_ms: u64,
        participants: Vec<UserId>,
    },
}

/// "1 h 02 min", "3 min 12 s", "45 s": a call's length in system messages.
pub fn format_duration(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h} h {m:02} min")
    } else if m > 0 {
        format!("{m} min {s} s")
    } else {
        format!("{s} s")
    }
}

/// Checks an SDP before it is relayed: bounded, and shaped like one
/// (RFC 8866: starts with `v=0`, every line `<letter>=…`).
pub fn sdp(raw: &str) -> Result<&str, ValidationError> {
    if raw.len() > MAX_SDP_BYTES {
        return Err(ValidationError::new(
            "sdp",
            format!("at most {MAX_SDP_BYTES} bytes"),
        ));
    }
    let mut lines = raw.lines();
    let well_formed = lines.next().map(str::trim_end) == Some("v=0")
        && lines.all(|l| {
            let b = l.as_bytes();
            l.is_empty() || (b.len() >= 2 && b[0].is_ascii_lowercase() && b[1] == b'=')
        })
        && !raw
            .chars()
            .any(|c| c.is_control() && c != '\r' && c != '\n');
    if well_formed {
        Ok(raw)
    } else {
        Err(ValidationError::new("sdp", "not a session description"))
    }
}

/// Checks an ICE candidate before it is relayed (RFC 8839 `candidate:`
/// attribute, or empty for end-of-candidates).
pub fn candidate(c: &IceCandidate) -> Result<(), ValidationError> {
    let size = c.candidate.len()
        + c.sdp_mid.as_ref().map_or(0, String::len)
        + c.username_fragment.as_ref().map_or(0, String::len);
    if size > MAX_CANDIDATE_BYTES {
        return Err(ValidationError::new(
            "candidate",
            format!("at most {MAX_CANDIDATE_BYTES} bytes"),
        ));
    }
    let line_ok = c.candidate.is_empty()
        || (c.candidate.starts_with("candidate:")
            && c.candidate.split(' ').count() >= 8
            && !c.candidate.chars().any(char::is_control));
    if line_ok {
        Ok(())
    } else {
        Err(ValidationError::new("candidate", "not an ICE candidate"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n";

    #[test]
    fn session_descriptions_are_checked() {
        assert!(sdp(OFFER).is_ok());
        assert!(sdp("").is_err());
        assert!(sdp("hello").is_err());
        assert!(sdp("v=0\r\n<script>").is_err());
        assert!(sdp("v=0\r\nm=audio\u{0}").is_err());
        let huge = format!("{OFFER}{}", "a=x\r\n".repeat(MAX_SDP_BYTES / 5));
        assert!(sdp(&huge).is_err());
    }

    #[test]
    fn candidates_are_checked() {
        let ok = |s: &str| IceCandidate {
            candidate: s.into(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: None,
        };
        let host = "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0";
        assert!(candidate(&ok(host)).is_ok());
        assert!(candidate(&ok("")).is_ok());
        assert!(candidate(&ok("hello")).is_err());
        assert!(candidate(&ok(&format!("{host}{}", " x".repeat(600)))).is_err());
        // The browser's field names, camelCase on the JS side, are
        // snake_case on the wire like every other field.
        let parsed: IceCandidate = serde_json::from_str(
            r#"{"candidate":"","sdp_mid":"0","sdp_m_line_index":0,"username_fragment":"ab"}"#,
        )
        .unwrap();
        assert_eq!(parsed.sdp_m_line_index, Some(0));
    }

    #[test]
    fn durations_read_like_a_person_wrote_them() {
        assert_eq!(format_duration(45_400), "45 s");
        assert_eq!(format_duration(192_000), "3 min 12 s");
        assert_eq!(format_duration(3_720_000), "1 h 02 min");
    }

    #[test]
    fn system_events_are_tagged_by_kind() {
        let ev = SystemEvent::CallEnded {
            call_id: CallId(3),
            duration_ms: 1000,
            participants: vec![UserId(1)],
        };
        assert_eq!(
            serde_json::to_string(&ev).unwrap(),
            r#"{"kind":"call_ended","call_id":"3","duration_ms":1000,"participants":["1"]}"#
        );
    }
}
