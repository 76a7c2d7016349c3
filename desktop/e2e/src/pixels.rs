//! Pixels of PNG pictures: counting the clearly red ones in a box (the
//! spelling underline, the tray icon's mention dot).
//!
//! What must stay true: "red" is strict enough that nothing else on the
//! page or in the icon counts, so a count of zero means no mark.

/// Pixels inside `rect` ([left, top, right, bottom]) of a PNG that are
/// clearly red (the spelling underline's colour; the composer has no other
/// red).
pub fn red_pixels(png_bytes: &[u8], rect: &[u32]) -> usize {
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
    let mut red = 0;
    for y in *top..(*bottom).min(info.height) {
        let row = &buf[y as usize * info.line_size..][..info.line_size];
        for x in *left..(*right).min(info.width) {
            let p = &row[x as usize * channels..][..3];
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            if r > 150 && r - g > 80 && r - b > 80 {
                red += 1;
            }
        }
    }
    red
}
