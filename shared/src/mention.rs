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

#[cfg(test)]
mod tests {
    use super::*;

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
