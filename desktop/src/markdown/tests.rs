//! The renderer's tests: its output for an XSS corpus is parsed and every
//! tag and attribute checked against the allow-list.

use super::*;
use parley_shared::mention::{parse, Mention};

/// The shared allow-list check, as an assertion.
fn assert_inert(src: &str, html: &str) {
    if let Err(why) = super::inert::check(html) {
        panic!("{why} (from {src:?}): {html}");
    }
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
