//! Files on both Blobs adapters (a local directory and a real S3 server):
//! uploads typed by their bytes, attachments readable exactly by those who
//! may read the channel, thumbnails, avatars, and refusals that store
//! nothing.

use std::io::Cursor;
use std::time::Duration;

use image::{ImageFormat, RgbImage, RgbaImage};
use serde_json::{json, Value};

use crate::blobs;
use crate::helpers::*;

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).expect("png");
    out.into_inner()
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 40, 200]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg).expect("jpeg");
    out.into_inner()
}

/// An ELF header followed by padding: what a Linux executable starts with.
fn elf() -> Vec<u8> {
    let mut b = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0\x01\0\0\0".to_vec();
    b.resize(4096, 0x90);
    b
}

fn pe() -> Vec<u8> {
    let mut b = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0".to_vec();
    b.resize(4096, 0);
    b
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A tiny valid PNG whose header claims 60,000 × 60,000 pixels: decoding
/// it would need 14 GB (a decompression bomb).
fn bomb() -> Vec<u8> {
    let mut b = png(1, 1);
    // IHDR data starts at byte 16: width, height (big-endian), then CRC at 29.
    b[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    b[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let crc = crc32(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// Follows a file link and returns the bytes (the link needs no token).
async fn fetch_link(app: &TestApp, url: &str) -> Vec<u8> {
    let (status, _, bytes) = app.fetch(url, None).await;
    assert_eq!(
        status.as_u16(),
        200,
        "GET {url}: {}",
        String::from_utf8_lossy(&bytes)
    );
    bytes
}

/// Waits for the thumbnail job (the queue runs it after the upload commits).
pub async fn wait_thumbnail(app: &TestApp, file: &str) {
    for _ in 0..100 {
        let done = app
            .count(&format!(
                "SELECT COUNT(*) FROM files WHERE id = {file} AND thumb_key IS NOT NULL"
            ))
            .await;
        if done == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the thumbnail job for file {file} did not run within 10 s");
}

blobs!(attachments_are_readable_exactly_by_channel_readers, |app| {
    let alice = app.user("fa").await;
    let bob = app.user("fb").await;
    let carol = app.user("fc").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    app.join(&ws, &alice, &carol).await;
    let secret = app.channel(&ws, &alice, "private", &[&bob]).await;

    let original = png(800, 600);
    let up = app
        .upload(
            "/api/v1/files",
            &alice,
            "회의 사진.png",
            Some("image/png"),
            original.clone(),
        )
        .await
        .expect(201);
    let file = id(&up);
    assert_eq!(up["content_type"], "image/png");
    assert_eq!(up["name"], "회의 사진.png");
    assert_eq!(up["size"], original.len());
    assert_eq!(
        (up["width"].as_u64(), up["height"].as_u64()),
        (Some(800), Some(600))
    );
    assert_eq!(up["url"], format!("/api/v1/files/{file}/download"));
    assert_eq!(
        up["thumbnail_url"],
        format!("/api/v1/files/{file}/thumbnail")
    );

    // Before it is attached, the upload is the uploader's alone.
    app.get(&format!("/api/v1/files/{file}"), &alice)
        .await
        .expect(200);
    app.get(&format!("/api/v1/files/{file}"), &bob)
        .await
        .expect_error(404, "not_found");
    // Nobody else can attach it.
    app.post(
        &format!("/api/v1/channels/{secret}/messages"),
        &bob,
        json!({ "content": "mine now", "file_ids": [file] }),
    )
    .await
    .expect_error(422, "validation_failed");

    // A message with only a file and no text is fine.
    let msg = app
        .post(
            &format!("/api/v1/channels/{secret}/messages"),
            &alice,
            json!({ "content": "", "file_ids": [file] }),
        )
        .await
        .expect(201);
    assert_eq!(msg["attachments"][0]["id"], file.as_str());
    assert_eq!(msg["attachments"][0]["content_type"], "image/png");
    // It is attached once only.
    app.post(
        &format!("/api/v1/channels/{secret}/messages"),
        &alice,
        json!({ "content": "again", "file_ids": [file] }),
    )
    .await
    .expect_error(422, "validation_failed");
    // History carries the attachment.
    let page = app
        .get(&format!("/api/v1/channels/{secret}/messages"), &bob)
        .await
        .expect(200);
    assert_eq!(page["messages"][0]["attachments"][0]["id"], file.as_str());

    // Bob (a member) gets links; the bytes are the upload's.
    let link = app
        .get(&format!("/api/v1/files/{file}/link"), &bob)
        .await
        .expect(200);
    assert_eq!(
        fetch_link(&app, link["url"].as_str().expect("url")).await,
        original
    );
    let thumb = fetch_link(&app, link["thumbnail_url"].as_str().expect("thumb")).await;
    let t = image::load_from_memory(&thumb).expect("thumbnail decodes");
    assert_eq!((t.width(), t.height()), (360, 270));
    // The download route redirects to such a link.
    let (status, headers, _) = app
        .fetch(&format!("/api/v1/files/{file}/download"), Some(&bob.token))
        .await;
    assert_eq!(status.as_u16(), 303, "download redirects");
    let to = headers["location"].to_str().expect("location");
    assert_eq!(fetch_link(&app, to).await, original);

    // A tampered link is refused, and so is one without its signature.
    let url = link["url"].as_str().expect("url");
    let tampered = if url.contains("sig=") {
        url.replace("sig=", "sig=A")
    } else {
        url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    };
    let (status, _, _) = app.fetch(&tampered, None).await;
    assert_eq!(status.as_u16(), 403, "tampered link");

    // Carol is in the workspace but not in the private channel: for her the
    // file does not exist, by any route.
    for route in ["", "/link", "/download", "/thumbnail"] {
        app.get(&format!("/api/v1/files/{file}{route}"), &carol)
            .await
            .expect_error(404, "not_found");
    }
    // Without a token: 401.
    let (status, _, _) = app.fetch(&format!("/api/v1/files/{file}/link"), None).await;
    assert_eq!(status.as_u16(), 401);

    // Deleting the message takes the file with it.
    let msg_id = id(&msg);
    app.delete(&format!("/api/v1/messages/{msg_id}"), &alice)
        .await
        .expect(204);
    app.get(&format!("/api/v1/files/{file}"), &bob)
        .await
        .expect_error(404, "not_found");
    let page = app
        .get(&format!("/api/v1/channels/{secret}/messages"), &bob)
        .await
        .expect(200);
    assert_eq!(page["messages"][0]["attachments"], json!([]));
});

blobs!(thumbnails_are_made_by_the_job_queue, |app| {
    let alice = app.user("ft").await;
    let up = app
        .upload(
            "/api/v1/files",
            &alice,
            "wide.jpg",
            Some("image/jpeg"),
            jpeg(1200, 300),
        )
        .await
        .expect(201);
    let file = id(&up);
    wait_thumbnail(&app, &file).await;
    // The finished job leaves the outbox.
    app.settle().await;
    let link = app
        .get(&format!("/api/v1/files/{file}/link"), &alice)
        .await
        .expect(200);
    let thumb = fetch_link(&app, link["thumbnail_url"].as_str().expect("thumb")).await;
    let t = image::load_from_memory(&thumb).expect("thumbnail decodes");
    assert_eq!((t.width(), t.height()), (360, 90));

    // A text file: no dimensions, no thumbnail, served as a download.
    let note = app
        .upload(
            "/api/v1/files",
            &alice,
            "notes.md",
            Some("text/markdown"),
            "# 회의록\n- 안건".as_bytes().to_vec(),
        )
        .await
        .expect(201);
    assert_eq!(note["content_type"], "text/plain");
    assert!(note["thumbnail_url"].is_null());
    let link = app
        .get(&format!("/api/v1/files/{}/link", id(&note)), &alice)
        .await
        .expect(200);
    assert!(link["thumbnail_url"].is_null());
    let (status, headers, bytes) = app.fetch(link["url"].as_str().expect("url"), None).await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(bytes, "# 회의록\n- 안건".as_bytes());
    let disposition = headers["content-disposition"]
        .to_str()
        .expect("disposition");
    assert!(disposition.starts_with("attachment"), "{disposition}");
});

blobs!(
    disguised_and_oversized_uploads_store_nothing,
    [("PARLEY_MAX_UPLOAD_MB", "1")],
    |app| {
        let alice = app.user("fx").await;
        // Executables named and declared as images.
        app.upload("/api/v1/files", &alice, "cat.png", Some("image/png"), elf())
            .await
            .expect_error(415, "unsupported_media_type");
        app.upload("/api/v1/files", &alice, "cat.png", Some("image/png"), pe())
            .await
            .expect_error(415, "unsupported_media_type");
        // The name alone is a claim too.
        app.upload(
            "/api/v1/files",
            &alice,
            "cat.png",
            Some("application/octet-stream"),
            elf(),
        )
        .await
        .expect_error(415, "unsupported_media_type");
        // A PNG declared as a JPEG.
        app.upload(
            "/api/v1/files",
            &alice,
            "photo.jpg",
            Some("image/jpeg"),
            png(4, 4),
        )
        .await
        .expect_error(415, "unsupported_media_type");
        // A decompression bomb.
        app.upload(
            "/api/v1/files",
            &alice,
            "bomb.png",
            Some("image/png"),
            bomb(),
        )
        .await
        .expect_error(422, "validation_failed");
        // Over the 1 MB limit.
        app.upload(
            "/api/v1/files",
            &alice,
            "big.bin",
            None,
            vec![7u8; 1_300_000],
        )
        .await
        .expect_error(413, "payload_too_large");
        // Empty, and a form without a file field.
        app.upload(
            "/api/v1/files",
            &alice,
            "empty.txt",
            Some("text/plain"),
            Vec::new(),
        )
        .await
        .expect_error(422, "validation_failed");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM files").await,
            0,
            "nothing stored"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM jobs").await,
            0,
            "nothing queued"
        );

        // An executable honestly declared is just a file (never shown inline).
        let up = app
            .upload(
                "/api/v1/files",
                &alice,
                "tool",
                Some("application/octet-stream"),
                elf(),
            )
            .await
            .expect(201);
        assert!(up["width"].is_null());
    }
);

blobs!(avatars_are_square_and_public, |app| {
    let alice = app.user("fv").await;
    let bob = app.user("fw").await;
    let me = app
        .upload(
            "/api/v1/users/me/avatar",
            &alice,
            "me.png",
            Some("image/png"),
            png(640, 480),
        )
        .await
        .expect(200);
    let url = me["avatar_url"].as_str().expect("avatar_url").to_owned();
    assert!(
        url.starts_with(&format!("/api/v1/users/{}/avatar?v=", alice.id)),
        "{url}"
    );
    // Others see it on the profile, and fetch it without a token.
    let profile = app
        .get(&format!("/api/v1/users/{}", alice.id), &bob)
        .await
        .expect(200);
    assert_eq!(profile["avatar_url"], url.as_str());
    let (status, headers, bytes) = app.fetch(&url, None).await;
    let bytes = if status.as_u16() == 307 {
        fetch_link(&app, headers["location"].to_str().expect("location")).await
    } else {
        assert_eq!(status.as_u16(), 200);
        bytes
    };
    let img = image::load_from_memory(&bytes).expect("avatar decodes");
    assert_eq!((img.width(), img.height()), (256, 256));
    // Only images.
    app.upload(
        "/api/v1/users/me/avatar",
        &alice,
        "me.txt",
        Some("text/plain"),
        b"hello".to_vec(),
    )
    .await
    .expect_error(415, "unsupported_media_type");
    // Removing it.
    let cleared = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/users/me/avatar",
            Some(&alice.token),
            None,
        )
        .await
        .expect(200);
    assert!(cleared["avatar_url"].is_null());
    let (status, _, _) = app.fetch(&url, None).await;
    assert_eq!(status.as_u16(), 404);
});
