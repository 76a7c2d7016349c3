//! What an upload really is: the type comes from the bytes (magic numbers),
//! never from the name or the client's Content-Type. A claim that the bytes
//! contradict is refused, so an executable named `cat.png` never reaches
//! anyone as an image.

/// The type found in the first bytes of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    pub mime: String,
    /// The bytes have a signature (`infer` knew them); otherwise they are
    /// text or unknown binary.
    pub by_magic: bool,
}

impl Sniffed {
    /// Raster images the server decodes for thumbnails and shows inline.
    pub fn is_raster_image(&self) -> bool {
        matches!(
            self.mime.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        )
    }

    pub fn is_executable(&self) -> bool {
        matches!(
            self.mime.as_str(),
            "application/x-executable"
                | "application/vnd.microsoft.portable-executable"
                | "application/x-msdownload"
                | "application/x-mach-binary"
                | "application/x-sharedlib"
                | "application/x-elf"
                | "application/vnd.android.dex"
        )
    }
}

/// Looks at the head of a file (a few KB are enough).
pub fn sniff(head: &[u8]) -> Sniffed {
    if let Some(t) = infer::get(head) {
        return Sniffed {
            mime: t.mime_type().to_owned(),
            by_magic: true,
        };
    }
    // No signature: text if it is UTF-8 (a cut multi-byte character at the
    // very end of the head does not count against it).
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && !head[..e.valid_up_to()].contains(&0),
    } && !head.contains(&0);
    Sniffed {
        mime: if text {
            "text/plain".into()
        } else {
            "application/octet-stream".into()
        },
        by_magic: false,
    }
}

/// Spellings of one type that clients use interchangeably.
fn canonical(mime: &str) -> String {
    let essence = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "image/jpg" | "image/pjpeg" => "image/jpeg".into(),
        "image/x-png" => "image/png".into(),
        "application/x-zip-compressed" => "application/zip".into(),
        "audio/mp3" => "audio/mpeg".into(),
        _ => essence,
    }
}

/// Checks one claim (a Content-Type header or the type the file name
/// implies) against the bytes.
pub fn check_claim(claim: &str, sniffed: &Sniffed) -> Result<(), String> {
    let claim = canonical(claim);
    if claim.is_empty() || claim == "application/octet-stream" || claim == sniffed.mime {
        return Ok(());
    }
    // Office documents and friends are zip files inside.
    if sniffed.mime == "application/zip"
        && (claim.ends_with("+zip")
            || claim.contains("openxmlformats")
            || claim.contains("opendocument"))
    {
        return Ok(());
    }
    let contradicts = if sniffed.by_magic {
        // The bytes have a definite type and the claim names another.
        true
    } else {
        // Text or unknown binary: any claim is fine unless it names a type
        // that would have had a signature, or claims text for binary bytes.
        infer::is_mime_supported(&claim)
            || (sniffed.mime != "text/plain" && claim.starts_with("text/"))
    };
    if contradicts {
        Err(format!(
            "the file's contents are {}, not {claim} as declared",
            describe(&sniffed.mime)
        ))
    } else {
        Ok(())
    }
}

fn describe(mime: &str) -> String {
    match mime {
        "application/x-executable" | "application/x-elf" => "an ELF executable".into(),
        "application/vnd.microsoft.portable-executable" | "application/x-msdownload" => {
            "a Windows executable".into()
        }
        "application/x-mach-binary" => "a macOS executable".into(),
        other => other.into(),
    }
}

/// The type a file name implies, if its extension is known.
pub fn implied_by_name(name: &str) -> Option<String> {
    mime_guess::from_path(name)
        .first()
        .map(|m| m.essence_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    const ELF: &[u8] = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0\x01\0\0\0";
    const PE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";

    /// A header padded to a realistic length (signatures look past it).
    fn padded(head: &[u8]) -> Vec<u8> {
        let mut b = head.to_vec();
        b.resize(512, 0);
        b
    }

    #[test]
    fn types_come_from_the_bytes() {
        let (elf, pe) = (padded(ELF), padded(PE));
        assert_eq!(sniff(PNG).mime, "image/png");
        assert!(sniff(PNG).is_raster_image());
        assert!(sniff(&elf).is_executable());
        assert!(sniff(&pe).is_executable());
        assert_eq!(sniff("회의록: 안녕하세요".as_bytes()).mime, "text/plain");
        assert_eq!(
            sniff(&[0xff, 0x00, 0x13, 0x37]).mime,
            "application/octet-stream"
        );
        // A multi-byte character cut at the end of the head is still text.
        let cut = &"가나다".as_bytes()[..8];
        assert_eq!(sniff(cut).mime, "text/plain");
    }

    #[test]
    fn contradicting_claims_are_refused() {
        let (elf, pe) = (padded(ELF), padded(PE));
        let elf = sniff(&elf);
        assert!(check_claim("image/png", &elf).is_err());
        assert!(check_claim("text/plain", &elf).is_err());
        assert!(check_claim("application/octet-stream", &elf).is_ok());
        let exe = sniff(&pe);
        let err = check_claim("image/png", &exe).unwrap_err();
        assert!(err.contains("Windows executable"), "{err}");
        let png = sniff(PNG);
        assert!(check_claim("image/png", &png).is_ok());
        assert!(check_claim("image/jpeg", &png).is_err());
        let text = sniff(b"# notes\n- one\n");
        assert!(check_claim("text/markdown", &text).is_ok());
        assert!(check_claim("application/json", &text).is_ok());
        assert!(check_claim("image/png", &text).is_err());
        let junk = sniff(&[0xff, 0x00, 0x13, 0x37]);
        assert!(check_claim("text/plain", &junk).is_err());
        assert!(check_claim("application/x-custom", &junk).is_ok());
    }

    #[test]
    fn names_imply_types() {
        assert_eq!(implied_by_name("cat.PNG").as_deref(), Some("image/png"));
        assert_eq!(implied_by_name("README"), None);
    }
}
