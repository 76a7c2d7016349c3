//! Picture conversions around the codec: RGBA screenshots into I420 for
//! the encoder (scaled down to fit a bound), and decoded I420 back into
//! RGB for display. BT.601 limited range, as VP8 in WebRTC expects.
//!
//! What must stay true: the I420 sizes are even (libvpx and browsers
//! expect whole chroma samples), and no index leaves its buffer whatever
//! sizes come in (a window resized between two captures).

use crate::i420_len;

/// The even size, at most `max_w` × `max_h` and keeping the aspect ratio,
/// that a `w` × `h` picture is sent at.
pub fn fit(w: u32, h: u32, max_w: u32, max_h: u32) -> (u32, u32) {
    if w == 0 || h == 0 {
        return (0, 0);
    }
    let scale = f64::min(
        1.0,
        f64::min(max_w as f64 / w as f64, max_h as f64 / h as f64),
    );
    let even = |v: f64| ((v as u32) & !1).max(2);
    (even(w as f64 * scale), even(h as f64 * scale))
}

/// Converts an RGBA picture (`w` × `h`, rows of `w * 4` bytes) into I420
/// of `out_w` × `out_h` (even), sampling the nearest pixel when scaling.
/// None when `rgba` is shorter than its size says.
pub fn rgba_to_i420(rgba: &[u8], w: u32, h: u32, out_w: u32, out_h: u32) -> Option<Vec<u8>> {
    let (w, h, ow, oh) = (w as usize, h as usize, out_w as usize, out_h as usize);
    if rgba.len() < w * h * 4 || ow == 0 || oh == 0 || w == 0 || h == 0 {
        return None;
    }
    let mut out = vec![0u8; i420_len(out_w, out_h)];
    let (y_plane, uv) = out.split_at_mut(ow * oh);
    let (u_plane, v_plane) = uv.split_at_mut((ow / 2) * (oh / 2));
    let src_x: Vec<usize> = (0..ow).map(|x| (x * w / ow).min(w - 1)).collect();
    for y in 0..oh {
        let sy = (y * h / oh).min(h - 1);
        let row = &rgba[sy * w * 4..(sy + 1) * w * 4];
        let out_row = &mut y_plane[y * ow..(y + 1) * ow];
        for (x, o) in out_row.iter_mut().enumerate() {
            let p = &row[src_x[x] * 4..src_x[x] * 4 + 3];
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            *o = (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16).clamp(0, 255) as u8;
        }
        if y % 2 == 0 {
            let cy = y / 2;
            for cx in 0..ow / 2 {
                let p = &row[src_x[cx * 2] * 4..src_x[cx * 2] * 4 + 3];
                let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
                u_plane[cy * (ow / 2) + cx] =
                    (((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128).clamp(0, 255) as u8;
                v_plane[cy * (ow / 2) + cx] =
                    (((112 * r - 94 * g - 18 * b + 128) >> 8) + 128).clamp(0, 255) as u8;
            }
        }
    }
    Some(out)
}

/// Converts tightly packed I420 (`w` × `h`) into RGB bytes. None when
/// `i420` is shorter than its size says.
pub fn i420_to_rgb(i420: &[u8], w: u32, h: u32) -> Option<Vec<u8>> {
    if i420.len() < i420_len(w, h) {
        return None;
    }
    let (w, h) = (w as usize, h as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let (y_plane, uv) = i420.split_at(w * h);
    let (u_plane, v_plane) = uv.split_at(cw * ch);
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            let c = 298 * (i32::from(y_plane[y * w + x]) - 16);
            let d = i32::from(u_plane[(y / 2) * cw + x / 2]) - 128;
            let e = i32::from(v_plane[(y / 2) * cw + x / 2]) - 128;
            let o = &mut out[(y * w + x) * 3..(y * w + x) * 3 + 3];
            o[0] = ((c + 409 * e + 128) >> 8).clamp(0, 255) as u8;
            o[1] = ((c - 100 * d - 208 * e + 128) >> 8).clamp(0, 255) as u8;
            o[2] = ((c + 516 * d + 128) >> 8).clamp(0, 255) as u8;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_fit_the_bound_and_stay_even() {
        assert_eq!(fit(1280, 720, 1920, 1080), (1280, 720));
        assert_eq!(fit(3840, 2160, 1920, 1080), (1920, 1080));
        assert_eq!(fit(1281, 721, 1920, 1080), (1280, 720));
        assert_eq!(fit(2560, 1600, 1920, 1080), (1728, 1080));
        assert_eq!(fit(0, 10, 1920, 1080), (0, 0));
    }

    #[test]
    fn colours_survive_the_round_trip() {
        let (w, h) = (8u32, 4u32);
        let mut rgba = Vec::new();
        for i in 0..w * h {
            let c: [u8; 4] = if i % w < 4 {
                [220, 30, 40, 255]
            } else {
                [20, 40, 200, 255]
            };
            rgba.extend_from_slice(&c);
        }
        let i420 = rgba_to_i420(&rgba, w, h, w, h).unwrap_or_default();
        let rgb = i420_to_rgb(&i420, w, h).unwrap_or_default();
        assert_eq!(rgb.len(), (w * h * 3) as usize);
        let close = |a: u8, b: u8| a.abs_diff(b) < 24;
        assert!(
            close(rgb[0], 220) && close(rgb[1], 30) && close(rgb[2], 40),
            "{:?}",
            &rgb[..3]
        );
        let right = (5 * 3) as usize;
        assert!(
            close(rgb[right], 20) && close(rgb[right + 2], 200),
            "{:?}",
            &rgb[right..right + 3]
        );
        assert!(rgba_to_i420(&rgba[..10], w, h, w, h).is_none());
        assert!(i420_to_rgb(&i420[..10], w, h).is_none());
    }
}
