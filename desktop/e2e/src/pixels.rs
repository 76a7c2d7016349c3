//! Pixels of PNG pictures: counting the clearly red ones in a box (the
//! spelling underline, the tray icon's mention dot), or those near a given
//! colour (a shared screen's known pattern), telling a picture from a flat
//! box (a shared screen of unknown content), and writing a picture of
//! coloured bars (that pattern).
//!
//! What must stay true: "red" is strict enough that nothing else on the
//! page or in the icon counts, so a count of zero means no mark; and a
//! colour match allows only what video compression does to a flat colour.

/// The colours of the pixels inside `rect` ([left, top, right, bottom]) of
/// a PNG, row by row (what of the box lies outside the picture is left out).
fn pixels_in(png_bytes: &[u8], rect: &[u32]) -> Vec<[u8; 3]> {
    let [left, top, right, bottom] = rect else {
        panic!("a box is four numbers: {rect:?}")
    };
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a PNG's size")];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    let channels = info.color_type.samples();
    assert!(channels >= 3, "a colour screenshot");
    let mut found = Vec::new();
    for y in *top..(*bottom).min(info.height) {
        let row = &buf[y as usize * info.line_size..][..info.line_size];
        for x in *left..(*right).min(info.width) {
            let p = &row[x as usize * channels..][..3];
            found.push([p[0], p[1], p[2]]);
        }
    }
    found
}

/// Pixels inside `rect` ([left, top, right, bottom]) of a PNG for which
/// `matches(r, g, b)` holds.
pub fn count_pixels(
    png_bytes: &[u8],
    rect: &[u32],
    matches: impl Fn(i32, i32, i32) -> bool,
) -> usize {
    pixels_in(png_bytes, rect)
        .iter()
        .filter(|p| matches(i32::from(p[0]), i32::from(p[1]), i32::from(p[2])))
        .count()
}

/// The share (0–1) of the pixels inside `rect` of a PNG that are within
/// 40 in every channel of the box's median colour: about 1 for a flat box
/// (compression noise and all), clearly less for a picture. 1 for an
/// empty box.
pub fn flat_share(png_bytes: &[u8], rect: &[u32]) -> f64 {
    let pixels = pixels_in(png_bytes, rect);
    if pixels.is_empty() {
        return 1.0;
    }
    let median = [0, 1, 2].map(|c| {
        let mut channel: Vec<u8> = pixels.iter().map(|p| p[c]).collect();
        channel.sort_unstable();
        i32::from(channel[channel.len() / 2])
    });
    let near = pixels
        .iter()
        .filter(|p| (0..3).all(|c| (i32::from(p[c]) - median[c]).abs() <= 40))
        .count();
    near as f64 / pixels.len() as f64
}

/// Pixels inside `rect` ([left, top, right, bottom]) of a PNG that are
/// clearly red (the spelling underline's colour; the composer has no other
/// red).
pub fn red_pixels(png_bytes: &[u8], rect: &[u32]) -> usize {
    count_pixels(png_bytes, rect, |r, g, b| {
        r > 150 && r - g > 80 && r - b > 80
    })
}

/// Pixels inside `rect` of a PNG within 60 of `rgb` in every channel: a
/// flat colour after VP8 and JPEG have been through it.
pub fn pixels_near(png_bytes: &[u8], rect: &[u32], rgb: [u8; 3]) -> usize {
    let [wr, wg, wb] = rgb.map(i32::from);
    count_pixels(png_bytes, rect, |r, g, b| {
        (r - wr).abs() <= 60 && (g - wg).abs() <= 60 && (b - wb).abs() <= 60
    })
}

/// A `width`×`height` PNG of vertical bars of `colours`, equally wide,
/// left to right.
pub fn bars_png(width: u32, height: u32, colours: &[[u8; 3]]) -> Vec<u8> {
    let bar = width.div_ceil(colours.len() as u32).max(1);
    let row: Vec<u8> = (0..width)
        .flat_map(|x| colours[((x / bar) as usize).min(colours.len() - 1)])
        .collect();
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("a PNG header");
        let data: Vec<u8> = (0..height).flat_map(|_| row.iter().copied()).collect();
        writer.write_image_data(&data).expect("the PNG's pixels");
    }
    png_bytes
}
