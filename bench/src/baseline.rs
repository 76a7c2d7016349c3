//! The ceiling of the stack: a minimal tokio + tungstenite broadcast server
//! (no auth, no persistence, no JSON). Every text frame a client sends is
//! handed to every connected client, serialized once, through bounded
//! queues — the same fan-out shape as Parley's hub, without the product.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

type Peers = Arc<Mutex<Vec<mpsc::Sender<Utf8Bytes>>>>;

/// Starts the server on 127.0.0.1; returns its `ws://` URL.
pub async fn start() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let peers: Peers = Arc::default();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let peers = peers.clone();
            tokio::spawn(async move {
                let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let (mut tx, mut rx) = ws.split();
                let (qtx, mut qrx) = mpsc::channel::<Utf8Bytes>(8192);
                peers.lock().unwrap_or_else(|e| e.into_inner()).push(qtx);
                let writer = tokio::spawn(async move {
                    while let Some(m) = qrx.recv().await {
                        if tx.send(Message::Text(m)).await.is_err() {
                            break;
                        }
                    }
                });
                while let Some(Ok(msg)) = rx.next().await {
                    if let Message::Text(t) = msg {
                        let all = peers.lock().unwrap_or_else(|e| e.into_inner()).clone();
                        for p in all {
                            let _ = p.try_send(t.clone());
                        }
                    }
                }
                writer.abort();
            });
        }
    });
    Ok(format!("ws://{addr}/"))
}
