//! Shell quoting, for the commands a message tells people to run.

/// A word as a POSIX shell reads it back: as it is when it holds only letters, digits and `._@%+=:,/-`, else in
/// single quotes (a quote inside as `'\''`). For commands that a message tells people to run.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || "._@%+=:,/-".contains(c));
    if plain && !word.starts_with('-') {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("ann"), "ann");
        assert_eq!(shell_word("ann.b@x"), "ann.b@x");
        assert_eq!(shell_word("Ann Arbor"), "'Ann Arbor'");
        assert_eq!(shell_word("O'Neil"), "'O'\\''Neil'");
        assert_eq!(shell_word("-x"), "'-x'");
        assert_eq!(shell_word(""), "''");
    }
}
