//! Input limits and the validation rules both ends apply.
//!
//! The server is the authority: it runs every rule here before writing
//! anything. The UI runs the same functions to show inline errors before a
//! request is even sent, so the two can never disagree.

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

pub const USERNAME_MIN: usize = 2;
pub const USERNAME_MAX: usize = 32;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const EMAIL_MAX: usize = 254;
pub const DISPLAY_NAME_MAX: usize = 64;
pub const BIO_MAX: usize = 500;
pub const TIMEZONE_MAX: usize = 64;
pub const STATUS_TEXT_MAX: usize = 100;
pub const WORKSPACE_NAME_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 500;
pub const CHANNEL_NAME_MAX: usize = 80;
pub const TOPIC_MAX: usize = 250;
pub const PURPOSE_MAX: usize = 250;
pub const MESSAGE_MAX: usize = 4_000;
pub const NONCE_MAX: usize = 64;
/// A group DM holds at most this many people, the creator included.
pub const GROUP_DM_MAX_PEOPLE: usize = 8;
pub const PAGE_DEFAULT: u32 = 50;
pub const PAGE_MAX: u32 = 100;
pub const INVITE_MAX_USES: u32 = 1_000;
pub const INVITE_MAX_HOURS: u32 = 24 * 30;

/// A broken rule: which field, and a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        ValidationError {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

pub type Validated<T> = Result<T, ValidationError>;

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control())
}

/// Format characters (general category Cf: bidi overrides and isolates,
/// zero-width spaces and joiners, word joiners, the BOM …) draw nothing
/// and reorder or hide what follows, so a name with them can pass for
/// another. The zero-width joiner is the one exception, and only inside
/// an emoji sequence (👩‍💻), where it is how the emoji is written.
fn has_format_char(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        if c.general_category() != GeneralCategory::Format {
            return false;
        }
        let joins_emoji = c == '\u{200D}'
            && i > 0
            && i + 1 < chars.len()
            && [chars[i - 1], chars[i + 1]]
                .iter()
                .all(|&n| is_emoji_part(n));
        !joins_emoji
    })
}

/// A character emoji sequences are built from: pictographs (So) and the
/// variation selector that asks for emoji presentation.
fn is_emoji_part(c: char) -> bool {
    c == '\u{FE0F}' || c.general_category() == GeneralCategory::OtherSymbol
}

/// Characters that are letters to Unicode but show as blank space (Hangul
/// fillers, the braille blank …): a name of only these would be invisible.
fn looks_blank(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}' | '\u{180E}'
        )
        || matches!(
            c.general_category(),
            GeneralCategory::Format
                | GeneralCategory::NonspacingMark
                | GeneralCategory::EnclosingMark
                | GeneralCategory::SpaceSeparator
        )
}

/// A name people pick each other (or a workspace) out by: a single line
/// that shows at least one character and hides nothing.
fn visible_name(field: &'static str, value: &str, max: usize) -> Validated<String> {
    let v = single_line(field, value, max)?;
    if has_format_char(&v) {
        return Err(ValidationError::new(
            field,
            "must not contain invisible formatting characters (such as direction overrides or zero-width spaces)",
        ));
    }
    if v.chars().all(looks_blank) {
        return Err(ValidationError::new(
            field,
            "must contain a visible character",
        ));
    }
    Ok(v)
}

/// Trimmed, non-empty, at most `max` characters, no control characters.
pub fn single_line(field: &'static str, value: &str, max: usize) -> Validated<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if has_control(v) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// Like [`single_line`] but empty is allowed (it clears the field).
pub fn optional_text(field: &'static str, value: &str, max: usize) -> Validated<String> {
    if value.trim().is_empty() {
        return Ok(String::new());
    }
    single_line(field, value, max)
}

/// Free text that may span lines (bio): only the length is limited.
pub fn multiline_text(field: &'static str, value: &str, max: usize) -> Validated<String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// Usernames are case-insensitive: returns the lowercase form that is stored.
pub fn username(value: &str) -> Validated<String> {
    let v = value.trim().to_lowercase();
    let n = v.chars().count();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&n) {
        return Err(ValidationError::new(
            "username",
            format!("must be {USERNAME_MIN} to {USERNAME_MAX} characters"),
        ));
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
    {
        return Err(ValidationError::new(
            "username",
            "may contain only letters a-z, digits, '_', '.' and '-'",
        ));
    }
    if !v.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(ValidationError::new(
            "username",
            "must start with a letter or digit",
        ));
    }
    Ok(v)
}

/// Returns the lowercase form that is stored.
pub fn email(value: &str) -> Validated<String> {
    let v = value.trim().to_lowercase();
    let bad = || {
        Err(ValidationError::new(
            "email",
            "is not a valid email address",
        ))
    };
    if v.len() > EMAIL_MAX || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad();
    }
    let Some((local, domain)) = v.split_once('@') else {
        return bad();
    };
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return bad();
    }
    Ok(v)
}

pub fn password(value: &str) -> Validated<()> {
    let n = value.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&n) {
        return Err(ValidationError::new(
            "password",
            format!("must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"),
        ));
    }
    if value.trim().is_empty() {
        return Err(ValidationError::new("password", "must not be only spaces"));
    }
    Ok(())
}

pub fn display_name(value: &str) -> Validated<String> {
    visible_name("display_name", value, DISPLAY_NAME_MAX)
}

pub fn bio(value: &str) -> Validated<String> {
    multiline_text("bio", value, BIO_MAX)
}

/// IANA zone names such as `Asia/Seoul`, `America/Argentina/Buenos_Aires`, `UTC`.
pub fn timezone(value: &str) -> Validated<String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    if v.len() > TIMEZONE_MAX
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
        || v.starts_with('/')
        || v.ends_with('/')
    {
        return Err(ValidationError::new(
            "timezone",
            "must be an IANA time zone name such as Asia/Seoul",
        ));
    }
    Ok(v.to_owned())
}

/// Channel names are lowercase, without spaces (spaces become '-'); letters
/// of any script are welcome (Korean teams name channels in Korean). They
/// are NFKC-normalized first, so fullwidth `ｇｅｎｅｒａｌ` and mathematical
/// `𝐠𝐞𝐧𝐞𝐫𝐚𝐥` become `general`, and Hangul typed as separate jamo becomes
/// the syllables it spells. (Look-alikes across scripts, such as a
/// Cyrillic `е`, are refused by the server against existing names.)
pub fn channel_name(value: &str) -> Validated<String> {
    let v: String = value
        .nfkc()
        .collect::<String>()
        .trim()
        .trim_start_matches('#')
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' { '-' } else { c })
        .collect();
    let n = v.chars().count();
    if n == 0 || n > CHANNEL_NAME_MAX {
        return Err(ValidationError::new(
            "name",
            format!("must be 1 to {CHANNEL_NAME_MAX} characters"),
        ));
    }
    if !v
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(ValidationError::new(
            "name",
            "may contain only letters, digits, '-' and '_'",
        ));
    }
    Ok(v)
}

pub fn workspace_name(value: &str) -> Validated<String> {
    visible_name("name", value, WORKSPACE_NAME_MAX)
}

pub fn description(value: &str) -> Validated<String> {
    multiline_text("description", value, DESCRIPTION_MAX)
}

pub fn topic(value: &str) -> Validated<String> {
    multiline_text("topic", value, TOPIC_MAX)
}

pub fn purpose(value: &str) -> Validated<String> {
    multiline_text("purpose", value, PURPOSE_MAX)
}

/// Message text (Markdown). Surrounding blank lines are dropped; inner
/// whitespace is the author's.
pub fn message_content(value: &str) -> Validated<String> {
    let v = value.trim_matches(|c: char| c == '\n' || c == '\r' || c == ' ');
    if v.trim().is_empty() {
        return Err(ValidationError::new("content", "must not be empty"));
    }
    if v.chars().count() > MESSAGE_MAX {
        return Err(ValidationError::new(
            "content",
            format!("must be at most {MESSAGE_MAX} characters"),
        ));
    }
    if v.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(ValidationError::new(
            "content",
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// Client nonces make sends idempotent; printable ASCII, at most 64 bytes.
pub fn nonce(value: &str) -> Validated<String> {
    if value.is_empty() || value.len() > NONCE_MAX || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ValidationError::new(
            "nonce",
            format!("must be 1 to {NONCE_MAX} printable ASCII characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A reaction or status emoji: a Unicode emoji or a known `:shortcode:`.
/// Returns the stored form (shortcodes are kept as written, lowercase).
pub fn emoji(field: &'static str, value: &str) -> Validated<String> {
    let v = value.trim();
    if let Some(code) = v.strip_prefix(':').and_then(|s| s.strip_suffix(':')) {
        let code = code.to_lowercase();
        if emojis::get_by_shortcode(&code).is_some() {
            return Ok(format!(":{code}:"));
        }
        return Err(ValidationError::new(
            field,
            format!(":{code}: is not a known emoji shortcode"),
        ));
    }
    if emojis::get(v).is_some() {
        return Ok(v.to_owned());
    }
    Err(ValidationError::new(
        field,
        "must be a single emoji or a :shortcode:",
    ))
}

pub const KEYWORDS_MAX: usize = 50;
pub const KEYWORD_MAX: usize = 64;

/// Notification keywords: each trimmed, lowercased (matching ignores
/// case), one line; duplicates dropped, order kept; at most
/// [`KEYWORDS_MAX`] of at most [`KEYWORD_MAX`] characters.
pub fn keywords(values: &[String]) -> Validated<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let k = single_line("keywords", v, KEYWORD_MAX)?.to_lowercase();
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if out.len() > KEYWORDS_MAX {
        return Err(ValidationError::new(
            "keywords",
            format!("at most {KEYWORDS_MAX} keywords"),
        ));
    }
    Ok(out)
}

/// Page size for cursor pagination: default 50, at most 100.
pub fn page_limit(value: Option<u32>) -> Validated<u32> {
    match value {
        None => Ok(PAGE_DEFAULT),
        Some(n) if (1..=PAGE_MAX).contains(&n) => Ok(n),
        Some(_) => Err(ValidationError::new(
            "limit",
            format!("must be between 1 and {PAGE_MAX}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_trimmed_lowercased_and_bounded() {
        let k = |v: &[&str]| keywords(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            k(&[" Deploy ", "deploy", "On Call"]).expect("valid"),
            vec!["deploy".to_owned(), "on call".to_owned()]
        );
        assert!(k(&["  "]).is_err());
        assert!(k(&["a\nb"]).is_err());
        assert!(k(&[&"x".repeat(KEYWORD_MAX + 1)]).is_err());
        let many: Vec<String> = (0..=KEYWORDS_MAX).map(|i| format!("k{i}")).collect();
        assert!(keywords(&many).is_err());
        assert_eq!(keywords(&[]).expect("none is fine"), Vec::<String>::new());
    }

    #[test]
    fn usernames_are_normalized_and_checked() {
        assert_eq!(username("  Alice_1 ").unwrap(), "alice_1");
        assert!(username("a").is_err());
        assert!(username(&"a".repeat(33)).is_err());
        assert!(username("bad name").is_err());
        assert!(username("_lead").is_err());
        assert!(username("한글").is_err());
    }

    #[test]
    fn emails_need_a_domain() {
        assert_eq!(email("Bob@Example.COM").unwrap(), "bob@example.com");
        for bad in [
            "",
            "bob",
            "bob@",
            "@x.io",
            "bob@localhost",
            "a b@x.io",
            "a@@x.io",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn names_refuse_invisible_and_reordering_characters() {
        for bad in [
            "admin\u{202E}nimda",   // right-to-left override
            "bob\u{2066}x\u{2069}", // isolate
            "al\u{200B}ice",        // zero-width space
            "\u{FEFF}alice",        // BOM
            "a\u{2060}b",           // word joiner
            "\u{200D}",             // nothing but a joiner
            "\u{3164}",             // Hangul filler: a letter that shows nothing
            "\u{3164}\u{3164}",
            "\u{2800}", // braille blank
            "\u{0301}", // a lone combining mark
        ] {
            assert!(display_name(bad).is_err(), "{bad:?}");
            assert!(workspace_name(bad).is_err(), "{bad:?}");
        }
        for good in ["Alice", "김민수", "José", "👩‍💻 Dana", "محمد", "ｻﾄｳ"] {
            assert_eq!(display_name(good).as_deref(), Ok(good), "{good:?}");
        }
    }

    #[test]
    fn channel_names_are_nfkc_normalized() {
        assert_eq!(channel_name("ｇｅｎｅｒａｌ").as_deref(), Ok("general"));
        assert_eq!(channel_name("𝐠𝐞𝐧𝐞𝐫𝐚𝐥").as_deref(), Ok("general"));
        assert_eq!(channel_name("\u{1100}\u{1161}").as_deref(), Ok("가"));
        assert!(channel_name("gen\u{200B}eral").is_err());
    }

    #[test]
    fn channel_names_accept_any_script() {
        assert_eq!(channel_name("#General Chat").unwrap(), "general-chat");
        assert_eq!(channel_name("개발팀").unwrap(), "개발팀");
        assert!(channel_name("").is_err());
        assert!(channel_name("no/slash").is_err());
        assert!(channel_name(&"x".repeat(81)).is_err());
    }

    #[test]
    fn message_content_limits_count_characters_not_bytes() {
        assert!(message_content(&"가".repeat(MESSAGE_MAX)).is_ok());
        assert!(message_content(&"가".repeat(MESSAGE_MAX + 1)).is_err());
        assert!(message_content(" \n ").is_err());
        assert_eq!(
            message_content("\n```\ncode\n```\n").unwrap(),
            "```\ncode\n```"
        );
        assert!(message_content("bell\u{7}").is_err());
    }

    #[test]
    fn emoji_accepts_unicode_and_known_shortcodes() {
        assert_eq!(emoji("emoji", "👍").unwrap(), "👍");
        assert_eq!(emoji("emoji", ":tada:").unwrap(), ":tada:");
        assert!(emoji("emoji", ":not_a_real_emoji_code:").is_err());
        assert!(emoji("emoji", "abc").is_err());
        assert!(emoji("emoji", "").is_err());
    }

    #[test]
    fn passwords_and_limits() {
        assert!(password("short").is_err());
        assert!(password("long enough").is_ok());
        assert!(password(&"x".repeat(129)).is_err());
        assert_eq!(page_limit(None).unwrap(), 50);
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(101)).is_err());
        assert!(timezone("Asia/Seoul").is_ok());
        assert!(timezone("Mars Base").is_err());
        assert!(nonce("abc-123").is_ok());
        assert!(nonce("").is_err());
    }
}
