//! VP8 for the desktop app's calls: an [`Encoder`] that turns I420 pictures
//! into VP8 frames (real-time, one frame out per frame in, keyframes on
//! request for PLI/FIR, bitrate changeable at any time) and a [`Decoder`]
//! that turns VP8 frames back into I420 pictures.
//!
//! What must stay true: every `unsafe` block (all in `codec`, the only
//! module that allows them) calls libvpx with pointers
//! this module owns and keeps alive for the call (the contexts live in a
//! `Box` so their address never moves; picture data is borrowed for the
//! call only), and everything handed back is copied out before the next
//! libvpx call can reuse its buffers. Nothing else in the workspace uses
//! `unsafe`.

mod codec;
pub mod convert;

pub use codec::{Decoder, Encoder};

#[derive(Debug, thiserror::Error)]
pub enum VpxError {
    #[error("libvpx: {0}")]
    Codec(String),
    #[error("picture of {got} bytes, expected {want} for {width}x{height} I420")]
    BadPicture {
        got: usize,
        want: usize,
        width: u32,
        height: u32,
    },
    #[error("frame too large for libvpx")]
    TooLarge,
}
/// The size in bytes of an I420 picture (chroma rounded up).
pub fn i420_len(width: u32, height: u32) -> usize {
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    w * h + 2 * cw * ch
}
/// One encoded frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub data: Vec<u8>,
    pub keyframe: bool,
}
/// A decoded picture, copied out of libvpx: tightly packed I420.
#[derive(Debug, Clone)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub i420: Vec<u8>,
}
