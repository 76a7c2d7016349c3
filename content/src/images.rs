//! Decoding images within limits, thumbnails and avatars.
//!
//! What must stay true: nothing is decoded past `MAX_SIDE` pixels a side or
//! beyond an allocation bound that `MAX_PIXELS` sets, whatever a header
//! claims, so a decompression bomb is refused rather than decoded.

use std::io::Cursor;

use image::{DynamicImage, ImageError, ImageFormat, ImageReader, Limits};

/// The largest side an image may have.
pub const MAX_SIDE: u32 = 16_384;
/// The most pixels an image may have (50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Thumbnails fit in a square of this side.
pub const THUMB_SIDE: u32 = 360;
/// Avatars are squares of this side.
pub const AVATAR_SIDE: u32 = 256;

/// Whether an image of these dimensions may be stored and decoded.
pub fn fits(width: u32, height: u32) -> bool {
    width <= MAX_SIDE && height <= MAX_SIDE && u64::from(width) * u64::from(height) <= MAX_PIXELS
}

/// Decodes an image, refusing what exceeds the limits.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    reader.decode()
}

/// JPEG for opaque images (small), PNG when transparency must survive;
/// with the file extension of the format chosen.
pub fn encode(img: &DynamicImage, keep_alpha: bool) -> Result<(Vec<u8>, &'static str), ImageError> {
    let mut out = Cursor::new(Vec::new());
    if keep_alpha && img.color().has_alpha() {
        img.write_to(&mut out, ImageFormat::Png)?;
        Ok((out.into_inner(), "png"))
    } else {
        DynamicImage::ImageRgb8(img.to_rgb8()).write_to(&mut out, ImageFormat::Jpeg)?;
        Ok((out.into_inner(), "jpeg"))
    }
}

/// The thumbnail of an image upload (transparency kept).
pub fn thumbnail(bytes: &[u8]) -> Result<(Vec<u8>, &'static str), ImageError> {
    let img = decode(bytes)?;
    encode(&img.thumbnail(THUMB_SIDE, THUMB_SIDE), true)
}

/// An avatar: the image cropped to a square, scaled, as JPEG.
pub fn avatar(bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    let img = decode(bytes)?;
    let square = img.resize_to_fill(
        AVATAR_SIDE,
        AVATAR_SIDE,
        image::imageops::FilterType::Lanczos3,
    );
    Ok(encode(&square, false)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgba8(image::RgbaImage::new(w, h));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn thumbnails_fit_and_keep_transparency() {
        let (thumb, ext) = thumbnail(&png(1200, 600)).unwrap();
        assert_eq!(ext, "png");
        let t = decode(&thumb).unwrap();
        assert_eq!((t.width(), t.height()), (360, 180));
        let a = decode(&avatar(&png(300, 200)).unwrap()).unwrap();
        assert_eq!((a.width(), a.height()), (256, 256));
    }

    #[test]
    fn limits_hold_whatever_the_header_says() {
        assert!(fits(16_384, 3_000) && !fits(16_385, 1) && !fits(10_000, 10_000));
        assert!(decode(b"not an image").is_err());
        // A PNG header claiming 100,000 × 100,000 pixels is refused, not decoded.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(decode(&bomb).is_err());
    }
}
