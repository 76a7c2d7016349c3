//! Search queries and snippets: what a query asks for (`terms`), and the
//! window of a hit's text to show with its matches marked (`snippet`).
//! Matching is by characters, case-insensitive, so Korean and Japanese
//! words match inside longer words as the index finds them.

use parley_shared::validate::ValidationError;

const QUERY_MAX: usize = 200;
const TERMS_MAX: usize = 10;
const SNIPPET_CONTEXT: usize = 60;

/// The terms of a query: a quoted query is one phrase, otherwise words.
pub fn terms(q: &str) -> Result<Vec<String>, ValidationError> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > QUERY_MAX {
        return Err(ValidationError::new(
            "q",
            format!("must be 1 to {QUERY_MAX} characters"),
        ));
    }
    let phrase = q.len() >= 2 && q.starts_with('"') && q.ends_with('"');
    let mut out: Vec<String> = if phrase {
        vec![q[1..q.len() - 1].trim().to_owned()]
    } else {
        q.split_whitespace().map(str::to_owned).collect()
    };
    out.retain(|t| !t.is_empty());
    out.dedup();
    if out.is_empty() {
        return Err(ValidationError::new("q", "must contain a word"));
    }
    if out.len() > TERMS_MAX {
        return Err(ValidationError::new(
            "q",
            format!("at most {TERMS_MAX} words"),
        ));
    }
    Ok(out)
}

fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Character ranges where any term occurs (case-insensitive), in order.
fn matches(text: &[char], terms: &[Vec<char>]) -> Vec<(usize, usize)> {
    let lowered: Vec<char> = text.iter().map(|&c| lower(c)).collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lowered.len() {
        let hit = terms
            .iter()
            .filter(|t| !t.is_empty() && lowered[i..].starts_with(t))
            .map(|t| t.len())
            .max();
        match hit {
            Some(n) => {
                found.push((i, i + n));
                i += n;
            }
            None => i += 1,
        }
    }
    found
}

/// A window of the text around the first match, and the matches in it.
pub fn snippet(content: &str, terms: &[String]) -> (String, Vec<[u32; 2]>) {
    let text: Vec<char> = content.chars().collect();
    let terms: Vec<Vec<char>> = terms
        .iter()
        .map(|t| t.chars().map(lower).collect())
        .collect();
    let all = matches(&text, &terms);
    let first = all.first().map(|m| m.0).unwrap_or(0);
    let start = first.saturating_sub(SNIPPET_CONTEXT);
    let end = (first + SNIPPET_CONTEXT * 2).min(text.len());
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    let shift = prefix.chars().count();
    let body: String = text[start..end].iter().collect();
    let highlights = all
        .into_iter()
        .filter(|&(s, e)| s >= start && e <= end)
        .map(|(s, e)| [(s - start + shift) as u32, (e - start + shift) as u32])
        .collect();
    (format!("{prefix}{body}{suffix}"), highlights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_queries_are_phrases() {
        assert_eq!(terms("\"ship it\"").unwrap(), vec!["ship it"]);
        assert_eq!(terms("ship  it").unwrap(), vec!["ship", "it"]);
        assert!(terms("   ").is_err());
        assert!(terms(&"x".repeat(201)).is_err());
    }

    #[test]
    fn snippets_highlight_every_match_by_character() {
        let (s, h) = snippet("오늘 회의록 공유합니다. 회의 끝!", &["회의".into()]);
        assert_eq!(s, "오늘 회의록 공유합니다. 회의 끝!");
        assert_eq!(h, vec![[3, 5], [14, 16]]);
        let long = format!("{}Deployment done{}", "a".repeat(100), "b".repeat(200));
        let (s, h) = snippet(&long, &["deploy".into()]);
        assert!(s.starts_with('…') && s.ends_with('…'));
        let [a, b] = h[0];
        let hit: String = s.chars().skip(a as usize).take((b - a) as usize).collect();
        assert_eq!(hit, "Deploy");
    }
}
