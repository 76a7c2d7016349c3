//! Message Markdown → HTML that is safe by construction.
//!
//! Instead of rendering HTML and cleaning it afterwards, this writer emits
//! only the handful of tags it knows (`p`, `em`, `strong`, `del`, `code`,
//! `pre`, `blockquote`, lists, `a`, `br`, `hr`, `span`) and escapes every
//! piece of text. Raw HTML in the source is shown as text, link targets must
//! be `http(s):` or `mailto:`, and no attribute other than the fixed
//! `class`/`href`/`target`/`rel`/`start`/`data-user` ever appears, so
//! `<script>`, `on*=` handlers and `javascript:` URLs cannot reach the DOM.

use parley_shared::mention;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// Escapes text for element content and for double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

fn escape_into(out: &mut String, s: &str) {
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

const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "def",
    "default",
    "do",
    "elif",
    "else",
    "enum",
    "except",
    "export",
    "extends",
    "false",
    "fn",
    "for",
    "from",
    "func",
    "function",
    "go",
    "if",
    "impl",
    "import",
    "in",
    "interface",
    "is",
    "let",
    "loop",
    "match",
    "mod",
    "mut",
    "new",
    "nil",
    "none",
    "null",
    "package",
    "pub",
    "return",
    "self",
    "static",
    "struct",
    "switch",
    "this",
    "throw",
    "trait",
    "true",
    "try",
    "type",
    "use",
    "var",
    "where",
    "while",
    "with",
    "yield",
    "None",
    "True",
    "False",
    "SELECT",
    "FROM",
    "WHERE",
    "INSERT",
    "UPDATE",
    "DELETE",
    "JOIN",
    "select",
    "where",
];

/// A small language-agnostic highlighter: comments, strings, numbers and
/// common keywords. Good enough for chat snippets, and a few hundred bytes of
/// wasm instead of a full grammar engine.
pub fn highlight(lang: &str, code: &str) -> String {
    let mut out = String::new();
    highlight_into(&mut out, lang, code);
    out
}

fn span(out: &mut String, class: &str, text: &str) {
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
    escape_into(out, text);
    out.push_str("</span>");
}

fn highlight_into(out: &mut String, lang: &str, code: &str) {
    let hash_comments = matches!(
        lang,
        "py" | "python" | "sh" | "bash" | "shell" | "rb" | "ruby" | "yaml" | "yml" | "toml"
    );
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    let offset = |k: usize| chars.get(k).map_or(code.len(), |&(o, _)| o);
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k].1;
        let start = k;
        if (c == '/' && at(k + 1) == Some('/'))
            || (c == '#' && hash_comments)
            || (c == '-' && at(k + 1) == Some('-') && lang == "sql")
        {
            while k < chars.len() && chars[k].1 != '\n' {
                k += 1;
            }
            span(out, "tok-c", &code[offset(start)..offset(k)]);
        } else if c == '/' && at(k + 1) == Some('*') {
            k += 2;
            while k < chars.len() && !(chars[k].1 == '*' && at(k + 1) == Some('/')) {
                k += 1;
            }
            k = (k + 2).min(chars.len());
            span(out, "tok-c", &code[offset(start)..offset(k)]);
        } else if matches!(c, '"' | '\'' | '`') {
            k += 1;
            while k < chars.len() && chars[k].1 != c && chars[k].1 != '\n' {
                if chars[k].1 == '\\' {
                    k += 1;
                }
                k += 1;
            }
            k = (k + 1).min(chars.len());
            span(out, "tok-s", &code[offset(start)..offset(k)]);
        } else if c.is_ascii_digit() {
            while k < chars.len()
                && (chars[k].1.is_ascii_alphanumeric() || chars[k].1 == '.' || chars[k].1 == '_')
            {
                k += 1;
            }
            span(out, "tok-n", &code[offset(start)..offset(k)]);
        } else if c.is_alphabetic() || c == '_' {
            while k < chars.len() && (chars[k].1.is_alphanumeric() || chars[k].1 == '_') {
                k += 1;
            }
            let word = &code[offset(start)..offset(k)];
            if KEYWORDS.contains(&word) {
                span(out, "tok-k", word);
            } else {
                escape_into(out, word);
            }
        } else {
            escape_into(out, &c.to_string());
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_shared::mention::{parse, Mention};

    const TAGS: &[&str] = &[
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
    ];
    const ATTRS: &[&str] = &["class", "href", "target", "rel", "start", "data-user"];

    /// Parses every tag of `html` and checks that only allow-listed tags and
    /// attributes occur, and that every `href` passes `safe_url`.
    fn assert_inert(src: &str, html: &str) {
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
            let end = end.unwrap_or_else(|| panic!("unclosed tag in {html}"));
            let inner = tag_src[..end].trim_start_matches('/');
            let mut parts = inner.splitn(2, ' ');
            let name = parts.next().unwrap_or_default();
            assert!(TAGS.contains(&name), "tag <{name}> from {src:?}: {html}");
            let mut attrs = parts.next().unwrap_or_default();
            while let Some(eq) = attrs.find("=\"") {
                let attr = attrs[..eq].trim();
                assert!(
                    ATTRS.contains(&attr),
                    "attribute {attr} from {src:?}: {html}"
                );
                let after = &attrs[eq + 2..];
                let close = after
                    .find('"')
                    .unwrap_or_else(|| panic!("open quote in {html}"));
                let value = &after[..close];
                if attr == "href" {
                    let decoded = value.replace("&amp;", "&");
                    assert_eq!(
                        safe_url(&decoded).as_deref(),
                        Some(decoded.as_str()),
                        "{html}"
                    );
                }
                attrs = &after[close + 1..];
            }
            assert!(
                attrs.trim().is_empty(),
                "stray attribute text {attrs:?} in {html}"
            );
            rest = &tag_src[end + 1..];
        }
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("href=\"javascript"), "{html}");
        assert!(!lower.contains("href=\"data"), "{html}");
    }

    const XSS: &[&str] = &[
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](data:image/svg+xml,<svg onload=alert(1)>)",
        "![x](javascript:alert(1))",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<body onload=alert(1)>",
        "[a](https://ok.example \"title\" onmouseover=alert(1))",
        "<a href=https://ok.example onclick=alert(1)>x</a>",
        "`<script>`",
        "```html\n<script>alert(1)</script>\n```",
        "<details open ontoggle=alert(1)>",
        "<<script>script>alert(1)<</script>/script>",
        "\"><svg/onload=alert(1)>",
        "<base href=\"javascript:/\">",
        "[x](vbscript:msgbox(1))",
        "https://ok.example/\"onmouseover=\"alert(1)",
        "@alice\"><img src=x onerror=alert(1)>",
    ];

    #[test]
    fn xss_corpus_renders_inert() {
        for src in XSS {
            let html = render(src);
            assert_inert(src, &html);
        }
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        assert_eq!(render("<b>hi</b>"), "<p>&lt;b&gt;hi&lt;/b&gt;</p>");
        assert!(render("<script>alert(1)</script>").contains("&lt;script&gt;"));
    }

    #[test]
    fn markdown_basics() {
        assert_eq!(
            render("**bold** _it_ ~~no~~"),
            "<p><strong>bold</strong> <em>it</em> <del>no</del></p>"
        );
        assert_eq!(render("a\nb"), "<p>a<br>b</p>");
        assert_eq!(
            render("- one\n- two"),
            "<ul>\n<li>one</li>\n<li>two</li>\n</ul>".replace('\n', "")
        );
        assert_eq!(render("> quoted"), "<blockquote><p>quoted</p></blockquote>");
        assert_eq!(render("`x < y`"), "<p><code>x &lt; y</code></p>");
    }

    #[test]
    fn links_are_allow_listed() {
        assert_eq!(
            render("[site](https://example.com)"),
            "<p><a href=\"https://example.com\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">site</a></p>"
        );
        assert_eq!(render("[bad](javascript:alert(1))"), "<p>bad</p>");
        let bare = render("see https://example.com/a?b=1&c=2.");
        assert!(
            bare.contains("href=\"https://example.com/a?b=1&amp;c=2\""),
            "{bare}"
        );
        assert!(bare.ends_with("</a>.</p>"), "{bare}");
        assert_eq!(safe_url(" JAVA\nSCRIPT:alert(1)"), None);
        assert_eq!(safe_url("mailto:a@b.io").as_deref(), Some("mailto:a@b.io"));
        assert_eq!(safe_url("https://"), None);
    }

    #[test]
    fn code_blocks_are_highlighted_and_escaped() {
        let html = render("```rust\nfn main() { let s = \"<hi>\"; // done\n}\n```");
        assert!(html.starts_with("<pre><code>"), "{html}");
        assert!(html.contains("<span class=\"tok-k\">fn</span>"));
        assert!(html.contains("<span class=\"tok-s\">&quot;&lt;hi&gt;&quot;</span>"));
        assert!(html.contains("<span class=\"tok-c\">// done</span>"));
        assert!(!html.contains("@"));
        assert_eq!(
            highlight("", "x = 42"),
            "x = <span class=\"tok-n\">42</span>"
        );
    }

    #[test]
    fn keywords_are_marked_as_whole_words_in_any_case() {
        let k = vec!["deploy".to_owned(), "on call".to_owned()];
        assert_eq!(
            render_marking("Deploy now, who is On Call? not redeploy or deploys", &k),
            "<p><mark class=\"keyword\">Deploy</mark> now, who is <mark class=\"keyword\">On Call</mark>? not redeploy or deploys</p>"
        );
        // Not inside code, and the text stays escaped.
        assert_eq!(
            render_marking("`deploy` deploy&co", &k),
            "<p><code>deploy</code> <mark class=\"keyword\">deploy</mark>&amp;co</p>"
        );
        assert_eq!(render_marking("deploy", &[]), render("deploy"));
    }

    #[test]
    fn mentions_match_the_shared_parser() {
        for text in [
            "hi @Alice and @bob.smith, @channel @here thanks @bob.smith.",
            "mail me at bob@example.com",
            "안녕 @minsu",
            "@a-b- @x_y",
        ] {
            let html = render(text);
            let mut ours: Vec<Mention> = Vec::new();
            for part in html.split("data-user=\"").skip(1) {
                let name = part.split('"').next().unwrap_or_default().to_owned();
                let m = match name.as_str() {
                    "channel" | "everyone" => Mention::Channel,
                    "here" => Mention::Here,
                    _ => Mention::User(name),
                };
                if !ours.contains(&m) {
                    ours.push(m);
                }
            }
            assert_eq!(ours, parse(text), "{text} → {html}");
        }
        assert!(render("`@alice`").contains("<code>@alice</code>"));
    }

    #[test]
    fn shortcodes_become_emoji() {
        assert_eq!(render("ship it :tada:"), "<p>ship it 🎉</p>");
        assert_eq!(render("time 10:30:00"), "<p>time 10:30:00</p>");
    }
}
