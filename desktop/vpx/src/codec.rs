//! The libvpx calls behind [`Encoder`] and [`Decoder`]: the only module of
//! the workspace that allows `unsafe` (see the crate's notes on what each
//! block must keep true).

#![allow(unsafe_code)]

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_uint};
use std::ptr;

use vpx_sys::*;

use crate::{i420_len, Frame, Picture, VpxError};

fn check(err: vpx_codec_err_t, ctx: Option<&mut vpx_codec_ctx_t>) -> Result<(), VpxError> {
    if err == vpx_codec_err_t::VPX_CODEC_OK {
        return Ok(());
    }
    // SAFETY: libvpx returns static NUL-terminated strings for both.
    let msg = unsafe {
        let p = match ctx {
            Some(c) => vpx_codec_error(c),
            None => vpx_codec_err_to_string(err),
        };
        if p.is_null() {
            format!("{err:?}")
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    };
    Err(VpxError::Codec(msg))
}
/// A real-time VP8 encoder for one size of picture.
pub struct Encoder {
    ctx: Box<vpx_codec_ctx_t>,
    cfg: Box<vpx_codec_enc_cfg_t>,
    width: u32,
    height: u32,
    pts: i64,
}

// SAFETY: the context is only used through `&mut self`; libvpx keeps no
// thread-affine state in it.
unsafe impl Send for Encoder {}

impl Encoder {
    /// `fps` sets the time base; `kbps` the target bitrate; `threads` the
    /// encoder's worker threads (a screen share on a small machine: 1–2).
    pub fn new(
        width: u32,
        height: u32,
        fps: u32,
        kbps: u32,
        threads: u32,
    ) -> Result<Self, VpxError> {
        let mut cfg = Box::new(MaybeUninit::<vpx_codec_enc_cfg_t>::zeroed());
        // SAFETY: the interface is libvpx's static VP8 encoder; cfg is
        // writable memory of the right type, filled in by the call.
        let mut cfg = unsafe {
            check(
                vpx_codec_enc_config_default(vpx_codec_vp8_cx(), cfg.as_mut_ptr(), 0),
                None,
            )?;
            Box::from_raw(Box::into_raw(cfg).cast::<vpx_codec_enc_cfg_t>())
        };
        cfg.g_w = width;
        cfg.g_h = height;
        cfg.g_timebase = vpx_rational {
            num: 1,
            den: fps.max(1) as c_int,
        };
        cfg.g_threads = threads.max(1);
        cfg.g_lag_in_frames = 0;
        cfg.g_error_resilient = 1;
        cfg.rc_end_usage = vpx_rc_mode::VPX_CBR;
        cfg.rc_target_bitrate = kbps.max(50);
        cfg.rc_min_quantizer = 4;
        cfg.rc_max_quantizer = 56;
        cfg.rc_undershoot_pct = 100;
        cfg.rc_overshoot_pct = 15;
        cfg.rc_buf_initial_sz = 500;
        cfg.rc_buf_optimal_sz = 600;
        cfg.rc_buf_sz = 1000;
        cfg.rc_dropframe_thresh = 0;
        // Keyframes come on request (PLI/FIR) and, as a safety net, every
        // 10 s at 30 fps.
        cfg.kf_mode = vpx_kf_mode::VPX_KF_AUTO;
        cfg.kf_max_dist = 300;
        let mut ctx = Box::new(MaybeUninit::<vpx_codec_ctx_t>::zeroed());
        // SAFETY: ctx is zeroed writable memory for the context, cfg was
        // filled by libvpx above; both outlive the call.
        let mut ctx = unsafe {
            check(
                vpx_codec_enc_init_ver(
                    ctx.as_mut_ptr(),
                    vpx_codec_vp8_cx(),
                    &*cfg,
                    0,
                    VPX_ENCODER_ABI_VERSION as c_int,
                ),
                None,
            )?;
            Box::from_raw(Box::into_raw(ctx).cast::<vpx_codec_ctx_t>())
        };
        // Speed over quality: -6 is libvpx's usual real-time setting.
        // SAFETY: an initialised encoder context and an int control.
        unsafe {
            let r = vpx_codec_control_(
                &mut *ctx,
                vp8e_enc_control_id::VP8E_SET_CPUUSED as c_int,
                -6 as c_int,
            );
            check(r, Some(&mut ctx))?;
        }
        Ok(Encoder {
            ctx,
            cfg,
            width,
            height,
            pts: 0,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Changes the target bitrate from the next frame on.
    pub fn set_bitrate(&mut self, kbps: u32) -> Result<(), VpxError> {
        self.cfg.rc_target_bitrate = kbps.max(50);
        // SAFETY: an initialised context and the config it was made with.
        let r = unsafe { vpx_codec_enc_config_set(&mut *self.ctx, &*self.cfg) };
        check(r, Some(&mut self.ctx))
    }

    /// Encodes one I420 picture of the encoder's size; `keyframe` forces
    /// an intra frame (a receiver asked for one).
    pub fn encode(&mut self, i420: &[u8], keyframe: bool) -> Result<Vec<Frame>, VpxError> {
        let want = i420_len(self.width, self.height);
        if i420.len() != want {
            return Err(VpxError::BadPicture {
                got: i420.len(),
                want,
                width: self.width,
                height: self.height,
            });
        }
        let mut img = MaybeUninit::<vpx_image_t>::zeroed();
        let flags = if keyframe {
            VPX_EFLAG_FORCE_KF as vpx_enc_frame_flags_t
        } else {
            0
        };
        let mut out = Vec::new();
        // SAFETY: `img` wraps `i420` (length checked above) for this call
        // only; libvpx reads it and never writes through the pointer. The
        // packets point into the encoder's buffer and are copied out before
        // the next call on the context.
        unsafe {
            let wrapped = vpx_img_wrap(
                img.as_mut_ptr(),
                vpx_img_fmt::VPX_IMG_FMT_I420,
                self.width as c_uint,
                self.height as c_uint,
                1,
                i420.as_ptr().cast_mut(),
            );
            if wrapped.is_null() {
                return Err(VpxError::Codec("cannot wrap the picture".into()));
            }
            let r = vpx_codec_encode(
                &mut *self.ctx,
                wrapped,
                self.pts,
                1,
                flags,
                VPX_DL_REALTIME as _,
            );
            check(r, Some(&mut self.ctx))?;
            self.pts += 1;
            let mut iter: vpx_codec_iter_t = ptr::null();
            loop {
                let pkt = vpx_codec_get_cx_data(&mut *self.ctx, &mut iter);
                if pkt.is_null() {
                    break;
                }
                if (*pkt).kind != vpx_codec_cx_pkt_kind::VPX_CODEC_CX_FRAME_PKT {
                    continue;
                }
                let f = (*pkt).data.frame;
                let data = std::slice::from_raw_parts(f.buf.cast::<u8>(), f.sz as usize).to_vec();
                out.push(Frame {
                    data,
                    keyframe: f.flags & VPX_FRAME_IS_KEY != 0,
                });
            }
        }
        Ok(out)
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: the context was initialised in `new` and is destroyed once.
        unsafe {
            vpx_codec_destroy(&mut *self.ctx);
        }
    }
}
/// A VP8 decoder.
pub struct Decoder {
    ctx: Box<vpx_codec_ctx_t>,
}

// SAFETY: as for the encoder.
unsafe impl Send for Decoder {}

impl Decoder {
    pub fn new() -> Result<Self, VpxError> {
        let cfg = vpx_codec_dec_cfg_t {
            threads: 1,
            w: 0,
            h: 0,
        };
        let mut ctx = Box::new(MaybeUninit::<vpx_codec_ctx_t>::zeroed());
        // SAFETY: ctx is zeroed writable memory for the context; cfg lives
        // for the call.
        let ctx = unsafe {
            check(
                vpx_codec_dec_init_ver(
                    ctx.as_mut_ptr(),
                    vpx_codec_vp8_dx(),
                    &cfg,
                    0,
                    VPX_DECODER_ABI_VERSION as c_int,
                ),
                None,
            )?;
            Box::from_raw(Box::into_raw(ctx).cast::<vpx_codec_ctx_t>())
        };
        Ok(Decoder { ctx })
    }

    /// Decodes one VP8 frame; the newest picture it produced, if any.
    pub fn decode(&mut self, frame: &[u8]) -> Result<Option<Picture>, VpxError> {
        let len = c_uint::try_from(frame.len()).map_err(|_| VpxError::TooLarge)?;
        let mut last = None;
        // SAFETY: `frame` is borrowed for the call; the images point into
        // the decoder's buffers and are copied out, plane by plane within
        // their strides, before the next call on the context.
        unsafe {
            let r = vpx_codec_decode(&mut *self.ctx, frame.as_ptr(), len, ptr::null_mut(), 0);
            check(r, Some(&mut self.ctx))?;
            let mut iter: vpx_codec_iter_t = ptr::null();
            loop {
                let img = vpx_codec_get_frame(&mut *self.ctx, &mut iter);
                if img.is_null() {
                    break;
                }
                let img = &*img;
                let (w, h) = (img.d_w as usize, img.d_h as usize);
                let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
                let mut i420 = Vec::with_capacity(i420_len(img.d_w, img.d_h));
                for (plane, pw, ph) in [(0, w, h), (1, cw, ch), (2, cw, ch)] {
                    let stride = img.stride[plane] as usize;
                    let base = img.planes[plane];
                    for row in 0..ph {
                        let line = std::slice::from_raw_parts(base.add(row * stride), pw);
                        i420.extend_from_slice(line);
                    }
                }
                last = Some(Picture {
                    width: img.d_w,
                    height: img.d_h,
                    i420,
                });
            }
        }
        Ok(last)
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, destroyed once.
        unsafe {
            vpx_codec_destroy(&mut *self.ctx);
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    /// A picture with a bright square at (x, y) on grey.
    fn picture(w: u32, h: u32, x: usize, y: usize) -> Vec<u8> {
        let mut p = vec![128u8; i420_len(w, h)];
        for row in y..y + 32 {
            for col in x..x + 32 {
                p[row * w as usize + col] = 235;
            }
        }
        p
    }

    #[test]
    fn frames_survive_a_round_trip() -> Result<(), VpxError> {
        let (w, h) = (320, 240);
        let mut enc = Encoder::new(w, h, 15, 800, 1)?;
        let mut dec = Decoder::new()?;
        let mut pictures = 0;
        let mut keys = 0;
        for i in 0..10 {
            let frames = enc.encode(&picture(w, h, 10 + i * 8, 40), i == 5)?;
            for f in frames {
                keys += usize::from(f.keyframe);
                if let Some(p) = dec.decode(&f.data)? {
                    assert_eq!((p.width, p.height), (w, h));
                    // The square's middle is bright, a corner stays grey.
                    let mid = p.i420[(40 + 16) * w as usize + (10 + i * 8 + 16)];
                    assert!(mid > 200, "frame {i}: {mid}");
                    assert!(p.i420[5 * w as usize + 300].abs_diff(128) < 10);
                    pictures += 1;
                }
            }
        }
        assert_eq!(pictures, 10);
        // The first frame and the forced one.
        assert!(keys >= 2, "{keys} keyframes");
        Ok(())
    }

    #[test]
    fn a_wrong_sized_picture_is_refused() -> Result<(), VpxError> {
        let mut enc = Encoder::new(64, 64, 15, 200, 1)?;
        assert!(matches!(
            enc.encode(&[0; 10], false),
            Err(VpxError::BadPicture { .. })
        ));
        let mut dec = Decoder::new()?;
        assert!(dec.decode(&[1, 2, 3]).is_err());
        Ok(())
    }
}
