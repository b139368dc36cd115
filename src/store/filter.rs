//! The filter that says which cards a session, a count or a statistic draws from (decks and tags), and the SQL
//! condition it adds to a query on cards.

/// Which cards a session draws from: decks and tags (a tag may end in `*` to match a prefix).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Filter {
    pub decks: Vec<String>,
    pub tags: Vec<String>,
}

impl Filter {
    /// SQL conditions on the card alias `c`, and their parameters.
    pub(crate) fn sql(&self) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut args = Vec::new();
        if !self.decks.is_empty() {
            sql.push_str(&format!(
                " AND c.deck_id IN ({})",
                vec!["?"; self.decks.len()].join(",")
            ));
            args.extend(self.decks.iter().cloned());
        }
        if !self.tags.is_empty() {
            let ors = vec!["t.tag GLOB ?"; self.tags.len()].join(" OR ");
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM card_tags t WHERE t.card_id = c.id AND ({ors}))"
            ));
            args.extend(self.tags.iter().cloned());
        }
        (sql, args)
    }

    /// The condition on the card state alias `s` that keeps the filter's decks (its parameters are `decks`); empty
    /// when it names none. For the counts that read states by their own deck, with no tag in the filter.
    pub(crate) fn state_decks_sql(&self) -> String {
        if self.decks.is_empty() {
            String::new()
        } else {
            format!(
                " AND s.deck_id IN ({})",
                vec!["?"; self.decks.len()].join(",")
            )
        }
    }
}
