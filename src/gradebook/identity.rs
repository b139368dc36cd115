//! Who a learner is to a gradebook: the identity fields, how they are normalized and checked, and a roster's rows.

/// Who a learner is to a gradebook. Every field is optional; empty strings are treated as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub student_id: Option<String>,
}

/// A name or identifier as detente stores and compares it: trimmed, in Unicode normal form C (so that an "é" typed
/// as one character and one typed as "e" and a combining accent are one name).
pub fn normal(value: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    value.trim().nfc().collect()
}

/// The one rule for finding a learner by name among `names` (those stored): the index of the learner whose name is
/// `wanted` in normal form C ([`normal`]) ignoring case (Unicode lowercase). When several stored names differ only
/// in case (an older detente let them in), the one written exactly as `wanted` is taken; without one the name is
/// ambiguous and the error (one line) names them and says how to pick one.
pub fn pick_name<'a>(
    wanted: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> std::result::Result<Option<usize>, String> {
    let want = normal(wanted);
    let folded = want.to_lowercase();
    let same: Vec<(usize, String)> = names
        .into_iter()
        .map(normal)
        .enumerate()
        .filter(|(_, n)| n.to_lowercase() == folded)
        .collect();
    match same.as_slice() {
        [] => Ok(None),
        [(i, _)] => Ok(Some(*i)),
        several => match several.iter().find(|(_, n)| *n == want) {
            Some((i, _)) => Ok(Some(*i)),
            None => {
                let listed: Vec<String> = several.iter().map(|(_, n)| format!("`{n}`")).collect();
                Err(format!(
                    "learner name `{want}` is ambiguous: learners {} differ only in case; give one of them \
                     exactly as written (see `detente learner list`)",
                    listed.join(" and ")
                ))
            }
        },
    }
}

/// Refuses an identifier (a learner's name, username, email, student id, first or last name) that holds a control
/// character (NUL, escape, newline...) or an invisible format character (a bidirectional override, say), or is
/// longer than 200 characters; the message names the field.
pub fn check_identifier(field: &str, value: &str) -> std::result::Result<(), String> {
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() || crate::text::hidden(*c))
    {
        return Err(format!(
            "the {field} holds the control character U+{:04X}; names and identifiers cannot hold control or invisible formatting characters",
            u32::from(c)
        ));
    }
    if value.chars().count() > 200 {
        return Err(format!("the {field} is longer than 200 characters"));
    }
    Ok(())
}

impl Identity {
    /// Checks every value with [`check_identifier`].
    pub fn check(&self) -> std::result::Result<(), String> {
        for (field, v) in [
            ("username", &self.username),
            ("first name", &self.first_name),
            ("last name", &self.last_name),
            ("email", &self.email),
            ("student id", &self.student_id),
        ] {
            if let Some(v) = v {
                check_identifier(field, v)?;
            }
        }
        Ok(())
    }

    /// The identity with every value trimmed and in normal form C (see [`normal`]), and empty values dropped.
    pub fn cleaned(&self) -> Identity {
        let c = |v: &Option<String>| v.as_deref().map(normal).filter(|s| !s.is_empty());
        Identity {
            username: c(&self.username),
            first_name: c(&self.first_name),
            last_name: c(&self.last_name),
            email: c(&self.email),
            student_id: c(&self.student_id),
        }
    }

    /// detente's name for this person: the username, else the email's local part, else the student id.
    pub fn key_name(&self) -> Option<String> {
        let me = self.cleaned();
        me.username
            .or_else(|| {
                me.email
                    .as_deref()
                    .and_then(|e| e.split('@').next())
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            })
            .or(me.student_id)
    }
}

/// One usable-looking row of a roster, with the line it came from (1-based, the header is line 1).
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    pub line: usize,
    pub identity: Identity,
}

/// A roster row that cannot be imported.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterProblem {
    pub line: usize,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::pick_name;

    #[test]
    fn a_name_differing_only_in_case_is_the_same_learner() {
        assert_eq!(pick_name("aNn", ["bob", "ann"]), Ok(Some(1)));
        assert_eq!(pick_name(" ANN ", ["ann"]), Ok(Some(0)));
        // Normal form C: "é" composed matches "e" + combining acute, in any case.
        assert_eq!(pick_name("\u{c9}lodie", ["e\u{301}lodie"]), Ok(Some(0)));
        assert_eq!(pick_name("annie", ["ann"]), Ok(None));
    }

    #[test]
    fn two_learners_differing_in_case_take_the_exact_one_or_are_ambiguous() {
        let names = ["Ann", "ann"];
        assert_eq!(pick_name("ann", names), Ok(Some(1)));
        assert_eq!(pick_name("Ann", names), Ok(Some(0)));
        let e = pick_name("ANN", names).expect_err("ambiguous");
        assert!(
            e.contains("`Ann`") && e.contains("`ann`") && e.contains("ambiguous"),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }
}
