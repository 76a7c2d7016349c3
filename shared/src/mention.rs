//! `@mention` parsing shared by the server (who gets notified) and the UI
//! (what gets highlighted). Mentions inside code spans and code blocks are
//! text, not mentions.

use crate::validate::USERNAME_MAX;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mention {
    /// `@username` (lowercased).
    User(String),
    /// `@channel`: everyone in the channel.
    Channel,
    /// `@here`: everyone in the channel who is online.
    Here,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// All distinct mentions in `text`, in order of first appearance.
pub fn parse(text: &str) -> Vec<Mention> {
    let mut out: Vec<Mention> = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut in_code = false;
        let mut prev: Option<char> = None;
        let chars = line.char_indices();
        for (i, c) in chars {
            if c == '`' {
                in_code = !in_code;
            } else if c == '@' && !in_code && !prev.is_some_and(|p| p.is_alphanumeric()) {
                let rest = &line[i + 1..];
                let name: String = rest.chars().take_while(|&c| is_name_char(c)).collect();
                // A trailing '.' or '-' is punctuation ("thanks @bob."), not part of the name.
                let name = name.trim_end_matches(['.', '-']).to_lowercase();
                if !name.is_empty() && name.len() <= USERNAME_MAX {
                    let m = match name.as_str() {
                        "channel" | "everyone" => Mention::Channel,
                        "here" => Mention::Here,
                        _ => Mention::User(name),
                    };
                    if !out.contains(&m) {
                        out.push(m);
                    }
                }
            }
            prev = Some(c);
        }
    }
    out
}

/// Whether `c` continues a word, for keyword matching: a keyword counts
/// only where neither side touches one of these.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text` contains `keyword` (lowercase, as [`crate::validate::keywords`]
/// stores it) as a whole word or phrase, ignoring case: "deploy" matches
/// "Deploy done" and "deploy!", not "redeploy" or "deployment".
pub fn has_keyword(text: &str, keyword: &str) -> bool {
    lowercase_has_keyword(&text.to_lowercase(), keyword)
}

/// [`has_keyword`] for text already lowercased, so a message checked
/// against many keywords is lowercased once.
pub fn lowercase_has_keyword(text: &str, keyword: &str) -> bool {
    if keyword.is_empty() {
        return false;
    }
    text.match_indices(keyword).any(|(i, m)| {
        let before = text[..i].chars().next_back();
        let after = text[i + m.len()..].chars().next();
        !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_whole_words_in_any_case() {
        assert!(has_keyword("Deploy done", "deploy"));
        assert!(has_keyword("ready to deploy!", "deploy"));
        assert!(has_keyword("who is ON CALL tonight?", "on call"));
        assert!(has_keyword("déjà vu, again", "déjà vu"));
        assert!(!has_keyword("redeploy it", "deploy"));
        assert!(!has_keyword("the deployment", "deploy"));
        assert!(!has_keyword("deploy_bot ran", "deploy"));
        assert!(!has_keyword("anything", ""));
    }

    #[test]
    fn finds_users_channel_and_here() {
        let m = parse("hi @Alice and @bob.smith, @channel @here thanks @bob.smith.");
        assert_eq!(
            m,
            vec![
                Mention::User("alice".into()),
                Mention::User("bob.smith".into()),
                Mention::Channel,
                Mention::Here,
            ]
        );
    }

    #[test]
    fn ignores_emails_and_code() {
        assert!(parse("mail me at bob@example.com").is_empty());
        assert!(parse("`@alice` in code").is_empty());
        assert!(parse("```\n@alice\n```").is_empty());
        assert_eq!(parse("안녕 @민수"), vec![]);
        assert_eq!(parse("안녕 @minsu"), vec![Mention::User("minsu".into())]);
    }
}
