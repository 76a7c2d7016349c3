//! The renderer's safety contract as a check: every tag and attribute of
//! rendered HTML is on the allow-list and every `href` passes `safe_url`.
//! The unit tests run it over an XSS corpus and the fuzzer (`fuzz/`) over
//! whatever it generates, so both hold the renderer to the same rule.

use super::safe_url;

/// The only tags the renderer may write.
pub const TAGS: &[&str] = &[
    "p",
    "em",
    "strong",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "br",
    "hr",
    "span",
    "mark",
];
/// The only attributes it may write.
pub const ATTRS: &[&str] = &["class", "href", "target", "rel", "start", "data-user"];

/// Parses every tag of `html`; `Err` names the first thing off the list.
pub fn check(html: &str) -> Result<(), String> {
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let tag_src = &rest[open + 1..];
        let mut end = None;
        let mut quote = false;
        for (i, c) in tag_src.char_indices() {
            match c {
                '"' => quote = !quote,
                '>' if !quote => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or("unclosed tag")?;
        let inner = tag_src[..end].trim_start_matches('/');
        let mut parts = inner.splitn(2, ' ');
        let name = parts.next().unwrap_or_default();
        if !TAGS.contains(&name) {
            return Err(format!("tag <{name}>"));
        }
        let mut attrs = parts.next().unwrap_or_default();
        while let Some(eq) = attrs.find("=\"") {
            let attr = attrs[..eq].trim();
            if !ATTRS.contains(&attr) {
                return Err(format!("attribute {attr}"));
            }
            let after = &attrs[eq + 2..];
            let close = after.find('"').ok_or("open quote")?;
            let value = &after[..close];
            if attr == "href" {
                let decoded = value.replace("&amp;", "&");
                if safe_url(&decoded).as_deref() != Some(decoded.as_str()) {
                    return Err(format!("unsafe href {value:?}"));
                }
            }
            attrs = &after[close + 1..];
        }
        if !attrs.trim().is_empty() {
            return Err(format!("stray attribute text {attrs:?}"));
        }
        rest = &tag_src[end + 1..];
    }
    let lower = html.to_ascii_lowercase();
    if lower.contains("href=\"javascript") || lower.contains("href=\"data") {
        return Err("a script or data link".into());
    }
    Ok(())
}
