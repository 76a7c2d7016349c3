//! A tiny terminal chat client for trying the real-time protocol by hand.
//!
//!   cargo run -p parley-server --example chat -- http://127.0.0.1:8080 alice 'password' CHANNEL_ID
//!
//! Prints every frame the server pushes; each line you type is sent as a
//! MESSAGE to the channel (a TYPING frame goes first, like a real client).

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, login, password, channel] = args.as_slice() else {
        anyhow::bail!("usage: chat BASE_URL LOGIN PASSWORD CHANNEL_ID");
    };
    let auth: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await?
        .json()
        .await?;
    let Some(token) = auth["access_token"].as_str() else {
        anyhow::bail!("login failed: {auth}");
    };
    let url = format!("{}/api/v1/ws", base.replacen("http", "ws", 1));
    let (socket, _) = tokio_tungstenite::connect_async(url).await?;
    let (mut tx, mut rx) = socket.split();
    tx.send(Message::text(
        json!({ "type": "AUTH", "payload": { "token": token } }).to_string(),
    ))
    .await?;
    let printer = tokio::spawn(async move {
        while let Some(Ok(msg)) = rx.next().await {
            if let Message::Text(t) = msg {
                println!("<< {t}");
            }
        }
        println!("-- connection closed");
    });
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut n = 0;
    let mut heartbeat = tokio::time::interval(std::time::Duration::from_secs(25));
    loop {
        let line = tokio::select! {
            line = lines.next_line() => match line? {
                Some(line) => line,
                None => break,
            },
            _ = heartbeat.tick() => {
                tx.send(Message::text(json!({ "type": "PING" }).to_string())).await?;
                continue;
            }
        };
        n += 1;
        let typing =
            json!({ "type": "TYPING", "payload": { "channel_id": channel, "typing": true } });
        let message = json!({ "type": "MESSAGE", "payload": { "channel_id": channel, "content": line, "nonce": format!("cli-{n}") } });
        tx.send(Message::text(typing.to_string())).await?;
        tx.send(Message::text(message.to_string())).await?;
    }
    printer.abort();
    Ok(())
}
