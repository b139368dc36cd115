//! A deck's own fields (id, description, tags, source, aliases, new order, exam-only) as a value apart from its
//! title and cards: what a writer carries in a format that has no place for them (Moodle XML's comments), and what
//! its reader hands back to `deck convert` in [`super::Meta`]; and where each deck of a multi-deck file starts
//! ([`Part`]).

/// A deck's fields besides its title and cards, as a writer carries them in a format that has no place for them (a
/// comment) and its reader gives them back.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeckExtras {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::deck::DeckSource>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub aliases: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_order: Option<crate::deck::NewOrder>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exam_only: bool,
}

impl DeckExtras {
    /// The fields of `deck` besides its title and cards.
    pub fn of(deck: &crate::deck::Deck) -> DeckExtras {
        DeckExtras {
            id: deck.id.clone(),
            description: deck.description.clone(),
            tags: deck.tags.clone(),
            source: deck.source.clone(),
            aliases: deck.aliases.clone(),
            new_order: deck.new_order,
            exam_only: deck.exam_only,
        }
    }
}

/// A part of a bank as a reader that knows decks hands it on (`text::read_anki_decks`): the start of a deck, or a
/// card of the deck last started.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Deck(DeckStart),
    Card(crate::deck::Card),
}

/// Where a deck of a multi-deck file starts: the line of its fields, the fields, and the title its first note gives.
#[derive(Debug, Clone, PartialEq)]
pub struct DeckStart {
    pub line: usize,
    pub extras: DeckExtras,
    pub title: Option<String>,
}
