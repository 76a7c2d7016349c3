//! The outbox: sends waiting for their ACK, kept in the platform's storage
//! under the account's key until then, so a reload or restart sends them
//! again with the same nonces (the server's nonce idempotency makes a
//! resend harmless). A sign-out keeps it for the same account's next
//! sign-in here.

use parley_shared::ws::ClientFrame;
use parley_shared::{ChannelId, MessageId, Timestamp, UserId};

use super::WsClient;
use crate::api::now_ms;
use crate::store::{Action, Pending};

/// The `MESSAGE` frame that delivers `p` (the same nonce on every try).
pub(super) fn frame_of(p: &Pending) -> ClientFrame {
    ClientFrame::Message {
        channel_id: p.channel_id,
        content: p.content.clone(),
        nonce: Some(p.nonce.clone()),
        thread_root_id: p.thread_root_id,
        file_ids: p.files.iter().map(|f| f.id).collect(),
    }
}

impl WsClient {
    pub(super) fn restore_outbox(&self, me: UserId) {
        let (platform, key) = {
            let inner = self.0.borrow();
            let key = inner.api.account_key("outbox", me);
            (inner.api.platform().clone(), key)
        };
        let saved: Vec<Pending> = platform
            .load(&key)
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        let dispatch = {
            let mut inner = self.0.borrow_mut();
            inner.outbox_key = Some(key);
            for p in &saved {
                if !inner.outbox.iter().any(|o| o.nonce == p.nonce) {
                    inner.outbox.push(p.clone());
                }
            }
            inner.dispatch.clone()
        };
        for p in saved {
            dispatch(Action::Queue(p));
        }
    }

    /// Writes the outbox to the platform's storage (or removes it, empty).
    pub(super) fn save_outbox(&self) {
        let inner = self.0.borrow();
        let Some(key) = &inner.outbox_key else {
            return;
        };
        let platform = inner.api.platform();
        if inner.outbox.is_empty() {
            platform.remove(key);
        } else if let Ok(json) = serde_json::to_string(&inner.outbox) {
            platform.save(key, &json);
        }
    }

    pub(super) fn next_nonce(&self) -> String {
        let mut inner = self.0.borrow_mut();
        inner.nonce_counter += 1;
        // Unique per author and channel: time plus a counter plus randomness
        // (two tabs of the same user share neither counter nor clock tick).
        format!(
            "ui-{:x}-{:x}-{:x}",
            now_ms() as u64,
            inner.nonce_counter,
            (js_sys::Math::random() * 1e9) as u64
        )
    }

    /// An optimistic send: shows at once, delivered now or after reconnect.
    pub fn send_message(
        &self,
        channel_id: ChannelId,
        content: String,
        thread_root_id: Option<MessageId>,
        files: Vec<parley_shared::api::FileInfo>,
    ) {
        let pending = Pending {
            nonce: self.next_nonce(),
            channel_id,
            thread_root_id,
            content,
            files,
            created_at: Timestamp::from_millis(now_ms() as i64),
            error: None,
        };
        let dispatch = self.0.borrow().dispatch.clone();
        dispatch(Action::Queue(pending.clone()));
        self.0.borrow_mut().outbox.push(pending.clone());
        self.save_outbox();
        if self.is_ready() {
            self.send_now(&frame_of(&pending));
        }
    }

    /// Sends a failed message again (same nonce, so at most once).
    pub fn retry(&self, p: &Pending) {
        let pending = Pending {
            error: None,
            ..p.clone()
        };
        let dispatch = self.0.borrow().dispatch.clone();
        dispatch(Action::Queue(pending.clone()));
        {
            let mut inner = self.0.borrow_mut();
            inner.outbox.retain(|o| o.nonce != p.nonce);
            inner.outbox.push(pending.clone());
        }
        self.save_outbox();
        if self.is_ready() {
            self.send_now(&frame_of(&pending));
        }
    }

    pub fn discard(&self, nonce: &str) {
        self.0.borrow_mut().outbox.retain(|o| o.nonce != nonce);
        self.save_outbox();
        let dispatch = self.0.borrow().dispatch.clone();
        dispatch(Action::Discard(nonce.to_owned()));
    }
}
