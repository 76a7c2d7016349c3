//! Message Markdown → HTML that is safe by construction.
//!
//! Instead of rendering HTML and cleaning it afterwards, this writer emits
//! only the handful of tags it knows (`p`, `em`, `strong`, `del`, `code`,
//! `pre`, `blockquote`, lists, `a`, `br`, `hr`, `span`, `mark`) and escapes every
//! piece of text. Raw HTML in the source is shown as text, link targets must
//! be `http(s):` or `mailto:`, and no attribute other than the fixed
//! `class`/`href`/`target`/`rel`/`start`/`data-user` ever appears, so
//! `<script>`, `on*=` handlers and `javascript:` URLs cannot reach the DOM.
//!
//! The code highlighter is in `highlight`, the allow-list as a check in
//! `inert`, the tests (an XSS corpus checked against it) in `tests`.

mod highlight;
pub mod inert;
#[cfg(test)]
mod tests;

pub use highlight::highlight;

use highlight::highlight_into;

use parley_shared::mention;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// Escapes text for element content and for double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

pub(super) fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// A link target we are willing to put in `href`, or `None`.
///
/// Browsers ignore tabs, newlines and leading control characters inside a
/// scheme (`java\tscript:`), so those are stripped before the scheme check,
/// and only an explicit allow-list of schemes passes.
pub fn safe_url(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect();
    let lower = cleaned.to_ascii_lowercase();
    let ok = ["http://", "https://", "mailto:"]
        .iter()
        .any(|p| lower.starts_with(p) && lower.len() > p.len());
    ok.then_some(cleaned)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Escapes plain text while turning `@mentions`, bare URLs and `:shortcodes:`
/// into markup. The mention rules match `parley_shared::mention::parse`
/// (a test checks that both find the same names).
/// Keywords (lowercase, as the account keeps them) are marked where they
/// stand as whole words, as the server matches them for notifications.
fn inline_text(out: &mut String, text: &str, links: bool, keywords: &[String]) {
    let mut prev: Option<char> = None;
    let mut i = 0;
    let bytes_len = text.len();
    while i < bytes_len {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        let after_word = prev.is_some_and(|p| p.is_alphanumeric());
        if c == '@' && !after_word {
            let name: String = rest[1..].chars().take_while(|&c| is_name_char(c)).collect();
            let name = name.trim_end_matches(['.', '-']);
            if !name.is_empty() && name.len() <= parley_shared::validate::USERNAME_MAX {
                let lower = name.to_lowercase();
                let class = if matches!(lower.as_str(), "channel" | "everyone" | "here") {
                    "mention mention-all"
                } else {
                    "mention"
                };
                out.push_str("<span class=\"");
                out.push_str(class);
                out.push_str("\" data-user=\"");
                escape_into(out, &lower);
                out.push_str("\">@");
                escape_into(out, name);
                out.push_str("</span>");
                i += 1 + name.len();
                prev = name.chars().last();
                continue;
            }
        }
        if links && !after_word && (rest.starts_with("https://") || rest.starts_with("http://")) {
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
                .unwrap_or(rest.len());
            // Sentence punctuation after a URL belongs to the sentence.
            let url = rest[..end].trim_end_matches(['.', ',', ')', '!', '?', ';', ':']);
            if let Some(href) = safe_url(url) {
                push_link_open(out, &href);
                escape_into(out, url);
                out.push_str("</a>");
                i += url.len();
                prev = url.chars().last();
                continue;
            }
        }
        if !prev.is_some_and(mention::is_word_char) {
            if let Some(len) = mention::keyword_at(rest, keywords) {
                out.push_str("<mark class=\"keyword\">");
                escape_into(out, &rest[..len]);
                out.push_str("</mark>");
                i += len;
                prev = rest[..len].chars().last();
                continue;
            }
        }
        if c == ':' {
            if let Some(end) = rest[1..].find(':') {
                let code = &rest[1..1 + end];
                if !code.is_empty()
                    && code
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'))
                {
                    if let Some(e) = emojis::get_by_shortcode(code) {
                        out.push_str(e.as_str());
                        i += code.len() + 2;
                        prev = Some(':');
                        continue;
                    }
                }
            }
        }
        escape_into(out, &c.to_string());
        i += c.len_utf8();
        prev = Some(c);
    }
}

fn push_link_open(out: &mut String, href: &str) {
    out.push_str("<a href=\"");
    escape_into(out, href);
    out.push_str("\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">");
}

/// Renders message Markdown to sanitized HTML.
pub fn render(source: &str) -> String {
    render_marking(source, &[])
}

/// [`render`], marking the reader's notification keywords.
pub fn render_marking(source: &str, keywords: &[String]) -> String {
    let mut out = String::with_capacity(source.len() * 2);
    let parser = Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH);
    // Inside a code block we collect the text and highlight it at the end.
    let mut code: Option<(String, String)> = None;
    // Links whose target was refused render their text without an anchor.
    let mut link_stack: Vec<bool> = Vec::new();
    let mut image_depth = 0usize;
    for event in parser {
        if let Some((_, buf)) = code.as_mut() {
            match event {
                Event::Text(t) => {
                    buf.push_str(&t);
                    continue;
                }
                Event::End(TagEnd::CodeBlock) => {}
                _ => continue,
            }
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => out.push_str("<p>"),
                Tag::Heading { .. } => out.push_str("<p class=\"md-h\">"),
                Tag::BlockQuote(_) => out.push_str("<blockquote>"),
                Tag::CodeBlock(kind) => {
                    let lang = match kind {
                        CodeBlockKind::Fenced(l) => {
                            l.split_whitespace().next().unwrap_or("").to_owned()
                        }
                        CodeBlockKind::Indented => String::new(),
                    };
                    code = Some((lang, String::new()));
                }
                Tag::List(Some(start)) => {
                    out.push_str(&format!("<ol start=\"{start}\">"));
                }
                Tag::List(None) => out.push_str("<ul>"),
                Tag::Item => out.push_str("<li>"),
                Tag::Emphasis => out.push_str("<em>"),
                Tag::Strong => out.push_str("<strong>"),
                Tag::Strikethrough => out.push_str("<del>"),
                Tag::Link { dest_url, .. } => match safe_url(&dest_url) {
                    Some(href) if image_depth == 0 => {
                        push_link_open(&mut out, &href);
                        link_stack.push(true);
                    }
                    _ => link_stack.push(false),
                },
                // Images are not loaded from arbitrary hosts (tracking pixels):
                // their alt text becomes a link to them.
                Tag::Image { dest_url, .. } => {
                    image_depth += 1;
                    match safe_url(&dest_url) {
                        Some(href) => {
                            push_link_open(&mut out, &href);
                            link_stack.push(true);
                        }
                        None => link_stack.push(false),
                    }
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph | TagEnd::Heading(_) => out.push_str("</p>"),
                TagEnd::BlockQuote(_) => out.push_str("</blockquote>"),
                TagEnd::CodeBlock => {
                    if let Some((lang, buf)) = code.take() {
                        out.push_str("<pre><code>");
                        highlight_into(&mut out, &lang, buf.trim_end_matches('\n'));
                        out.push_str("</code></pre>");
                    }
                }
                TagEnd::List(true) => out.push_str("</ol>"),
                TagEnd::List(false) => out.push_str("</ul>"),
                TagEnd::Item => out.push_str("</li>"),
                TagEnd::Emphasis => out.push_str("</em>"),
                TagEnd::Strong => out.push_str("</strong>"),
                TagEnd::Strikethrough => out.push_str("</del>"),
                TagEnd::Link | TagEnd::Image => {
                    if matches!(tag, TagEnd::Image) {
                        image_depth = image_depth.saturating_sub(1);
                    }
                    if link_stack.pop() == Some(true) {
                        out.push_str("</a>");
                    }
                }
                _ => {}
            },
            Event::Text(t) => {
                let in_link = link_stack.iter().any(|l| *l);
                inline_text(&mut out, &t, !in_link, keywords);
            }
            Event::Code(t) => {
                out.push_str("<code>");
                escape_into(&mut out, &t);
                out.push_str("</code>");
            }
            // Raw HTML is never interpreted: the author sees what they typed.
            Event::Html(t) | Event::InlineHtml(t) => escape_into(&mut out, &t),
            Event::SoftBreak | Event::HardBreak => out.push_str("<br>"),
            Event::Rule => out.push_str("<hr>"),
            _ => {}
        }
    }
    out
}
