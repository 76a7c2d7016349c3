//! A real WebSocket client speaking the Parley protocol.
//!
//! What must stay true: a connection is only handed out after HELLO (a
//! RESYNC before it is kept in `hello["resync"]`), and every wait gives up
//! after 10 s with a panic instead of hanging the suite.

use serde_json::{json, Value};

use super::{TestApp, TestUser};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A real WebSocket client speaking the Parley protocol.
pub struct WsClient {
    socket: Socket,
    pub hello: Value,
}

/// How a connection ended.
#[derive(Debug, PartialEq)]
pub enum Ended {
    Closed(u16),
    /// The TCP connection ended without a close frame.
    Dropped,
}

pub(super) const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl TestApp {
    pub fn ws_url(&self) -> String {
        format!("{}/api/v1/ws", self.base.replacen("http://", "ws://", 1))
    }

    /// Connects without authenticating.
    pub async fn ws_raw(&self) -> Socket {
        connect_raw(&self.ws_url()).await
    }

    /// Connects, sends AUTH and waits for HELLO.
    pub async fn ws(&self, user: &TestUser) -> WsClient {
        ws_connect(
            &self.ws_url(),
            json!({ "type": "AUTH", "payload": { "token": user.token } }),
        )
        .await
    }

    /// Connects with a tiny TCP receive buffer, like a phone on a bad link:
    /// the server's writes back up as soon as the client stops reading.
    pub async fn ws_small_buffer(&self, user: &TestUser) -> WsClient {
        let addr: std::net::SocketAddr = self
            .base
            .trim_start_matches("http://")
            .parse()
            .expect("addr");
        let sock = tokio::net::TcpSocket::new_v4().expect("socket");
        sock.set_recv_buffer_size(4096).expect("rcvbuf");
        let stream = sock.connect(addr).await.expect("connect");
        let (socket, _) = tokio_tungstenite::client_async(
            self.ws_url(),
            tokio_tungstenite::MaybeTlsStream::Plain(stream),
        )
        .await
        .expect("ws handshake");
        finish_connect(
            socket,
            json!({ "type": "AUTH", "payload": { "token": user.token } }),
        )
        .await
    }

    pub async fn ws_resume(&self, user: &TestUser, session: &str, last_seq: i64) -> WsClient {
        ws_connect(
            &self.ws_url(),
            json!({ "type": "RESUME", "payload": { "token": user.token, "session": session, "last_seq": last_seq } }),
        )
        .await
    }
}

pub async fn connect_raw(url: &str) -> Socket {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect")
        .0
}

pub async fn ws_connect(url: &str, first: Value) -> WsClient {
    finish_connect(connect_raw(url).await, first).await
}

async fn finish_connect(mut socket: Socket, first: Value) -> WsClient {
    use futures_util::SinkExt;
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            first.to_string(),
        ))
        .await
        .expect("send first frame");
    let mut client = WsClient {
        socket,
        hello: Value::Null,
    };
    // A RESYNC may precede HELLO; it is kept in `hello["resync"]`.
    let mut resync = None;
    loop {
        let mut f = client.next().await;
        if f["type"] == "HELLO" {
            if let Some(r) = resync.take() {
                f["resync"] = r;
            }
            client.hello = f;
            break;
        }
        if f["type"] != "RESYNC" {
            panic!("expected HELLO, got {f}");
        }
        resync = Some(f);
    }
    client
}

impl WsClient {
    pub fn session(&self) -> String {
        self.hello["payload"]["session"]
            .as_str()
            .expect("session")
            .to_owned()
    }

    pub async fn send(&mut self, frame: Value) {
        use futures_util::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::text(
                frame.to_string(),
            ))
            .await
            .expect("ws send");
    }

    /// Sends, reporting whether the connection took it.
    pub async fn try_send(&mut self, frame: Value) -> bool {
        use futures_util::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::text(
                frame.to_string(),
            ))
            .await
            .is_ok()
    }

    pub async fn send_text(&mut self, text: String) {
        use futures_util::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::text(text))
            .await
            .expect("ws send");
    }

    /// The next frame within 10 s, or None when the connection ended.
    pub async fn try_next(&mut self) -> Option<Value> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            match tokio::time::timeout(WAIT, self.socket.next()).await {
                Err(_) => panic!("no frame within {WAIT:?}"),
                Ok(Some(Ok(Message::Text(t)))) => {
                    return Some(serde_json::from_str(t.as_str()).unwrap_or_else(|e| {
                        panic!("non-JSON frame ({e}): {}", &t.as_str()[..t.len().min(300)])
                    }))
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(_) => return None,
            }
        }
    }

    pub async fn next(&mut self) -> Value {
        self.try_next().await.expect("connection ended")
    }

    /// Skips frames until one of type `ty` arrives.
    pub async fn next_of(&mut self, ty: &str) -> Value {
        loop {
            let f = self.next().await;
            if f["type"] == ty {
                return f;
            }
        }
    }

    /// Collects every frame arriving within `ms` of quiet.
    pub async fn drain(&mut self, ms: u64) -> Vec<Value> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let mut out = Vec::new();
        while let Ok(Some(Ok(m))) =
            tokio::time::timeout(std::time::Duration::from_millis(ms), self.socket.next()).await
        {
            if let Message::Text(t) = m {
                out.push(serde_json::from_str(t.as_str()).expect("JSON frame"));
            }
        }
        out
    }

    /// Reads until the server closes; returns how.
    pub async fn ended(&mut self) -> Ended {
        ended(&mut self.socket).await
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

pub async fn ended(socket: &mut Socket) -> Ended {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await {
            Err(_) => panic!("connection still open after {WAIT:?}"),
            Ok(Some(Ok(Message::Close(Some(f))))) => return Ended::Closed(f.code.into()),
            Ok(Some(Ok(Message::Close(None)))) | Ok(None) | Ok(Some(Err(_))) => {
                return Ended::Dropped
            }
            Ok(Some(Ok(_))) => continue,
        }
    }
}
