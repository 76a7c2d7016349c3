//! A small language-agnostic highlighter for code blocks: comments,
//! strings, numbers and common keywords, each in a `<span class="tok-…">`
//! around escaped text; everything else is escaped as well.

use super::escape_into;

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

pub(super) fn highlight_into(out: &mut String, lang: &str, code: &str) {
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
