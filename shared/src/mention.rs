//! `@mention` parsing shared by the server (who gets notified) and the UI
//! (what gets highlighted). Mentions inside code spans and code blocks are
//! text, not mentions.

use crate::validate;

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
                // Only a name someone could have is a mention (the fuzzer
                // found `@e`: shorter than any username).
                if validate::username(&name).as_deref() == Ok(name.as_str()) {
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

/// Whether `text`, already lowercased (so a message checked against many
/// keywords is lowercased once), contains `keyword` (lowercase, as
/// [`crate::validate::keywords`] stores it) as a whole word or phrase:
/// "deploy" matches "deploy done" and "deploy!", not "redeploy" or
/// "deployment".
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

/// The same rule read at one place of the original text, for marking
/// keywords where they stand: the byte length of the first of `keywords`
/// that `rest` starts with in any case and that ends a word. (Whether a
/// word starts here is the caller's: it knows the character before.)
pub fn keyword_at(rest: &str, keywords: &[String]) -> Option<usize> {
    keywords.iter().filter(|k| !k.is_empty()).find_map(|k| {
        let len: usize = rest
            .chars()
            .take(k.chars().count())
            .map(char::len_utf8)
            .sum();
        let same = rest[..len]
            .chars()
            .flat_map(char::to_lowercase)
            .eq(k.chars());
        let word_after = rest[len..].chars().next().is_some_and(is_word_char);
        (same && !word_after).then_some(len)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both readings of the keyword rule, which must agree: anywhere in a
    /// message (notifications) and at the start of each word (marking).
    fn has_keyword(text: &str, keyword: &str) -> bool {
        let anywhere = lowercase_has_keyword(&text.to_lowercase(), keyword);
        let keywords = [keyword.to_owned()];
        let mut prev = None;
        let at_a_word = text.char_indices().any(|(i, c)| {
            let starts = !prev.is_some_and(is_word_char);
            prev = Some(c);
            starts && keyword_at(&text[i..], &keywords).is_some()
        });
        assert_eq!(anywhere, at_a_word, "{text:?} / {keyword:?}");
        anywhere
    }

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
        assert_eq!(keyword_at("Deploy!", &["deploy".to_owned()]), Some(6));
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
