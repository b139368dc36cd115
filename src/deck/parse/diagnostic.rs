//! Problems in a deck file: what each is ([`Code`]), where it is ([`Lines`]), the advice that goes with it
//! ([`Code::hint`]), how it is printed, and how a warning repeated on every card is counted instead of listed.

use std::collections::HashMap;
use std::fmt;

/// How serious a problem is: errors stop an import, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Declares [`Code`] and [`Code::ALL`] from one list, so that no code can be missing from `ALL`.
macro_rules! codes {
    ($( $(#[$doc:meta])* $name:ident, )*) => {
        /// What a problem is, one code per distinct problem (or family of problems sharing one fix). A
        /// diagnostic's hint is chosen by its code ([`Code::hint`]), never by the words of its message. The code is
        /// not part of the JSON of `deck check --json`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $( $(#[$doc])* $name, )*
        }

        impl Code {
            /// Every code, in the order they are declared.
            pub const ALL: &'static [Code] = &[$(Code::$name),*];
        }
    };
}

codes! {
    // Reading the file.
    /// The file is not UTF-8.
    NotUtf8,
    /// A TOML syntax error, or a value of the wrong type, as the TOML reader words it.
    Toml,
    /// A problem in a file that is not a deck (an exam file), made with [`Diagnostic::new`]: no hint.
    Other,
    /// A field an exam file does not take (made by the exam parser).
    ExamUnknownField,

    // The shape of the document.
    /// A top-level key other than `deck` and `card`.
    UnknownTopLevelKey,
    /// No `[deck]` table.
    MissingDeckTable,
    /// No `[[card]]` entries.
    NoCards,
    /// `card` written as something other than `[[card]]` tables.
    CardNotTable,

    // Fields.
    /// A field no card (or `[deck]`, or `source`) takes.
    UnknownField,
    /// A field of another kind of card.
    MisplacedField,
    /// A required field is missing.
    MissingField,
    /// A deck or card id that is not a slug.
    BadId,
    /// Two cards of a deck with one id.
    DuplicateCardId,
    /// Two deck files with one deck id.
    DuplicateDeckId,
    /// A deck file with the id of a built-in deck.
    BuiltinDeckId,
    /// A tag that is not one word.
    BadTag,
    /// A `new_order` other than "paragraph" and "file".
    BadNewOrder,
    /// A `kind` that is not one of the card kinds.
    UnknownKind,
    /// An empty `prompt`.
    EmptyPrompt,
    /// A prompt too long to read comfortably in a terminal.
    LongPrompt,

    // Answers and the lists of each kind.
    /// An empty `answer`.
    EmptyAnswer,
    /// An `answer` of the wrong type for its kind.
    AnswerType,
    /// A `choice` or `multi` answer that is not one of the choices.
    AnswerNotAChoice,
    /// A `number` answer that does not read as a number.
    NotANumber,
    /// A negative or infinite `tolerance`.
    BadTolerance,
    /// A list with too few or too many entries for its kind (choices, answers, items, pairs).
    ListSize,
    /// An empty entry in a list.
    EmptyEntry,
    /// The same entry twice in a list.
    DuplicateEntry,
    /// A `match` pair with an empty side.
    EmptyPairSide,
    /// A side used by two `match` pairs.
    DuplicatePairSide,
    /// A cloze blank opened with `{{` and not closed.
    ClozeUnclosed,
    /// A cloze prompt without blanks.
    ClozeNoBlank,
    /// A cloze blank with no answer in it.
    ClozeEmptyBlank,

    // Explanations and sources.
    /// A card without `explain`.
    NoExplain,
    /// A card without `source`.
    NoSource,
    /// A `source` that is not a table or a list of tables.
    SourceNotTable,
    /// A `source` paragraph that is not a number from 1, or an empty locator or deck.
    BadSourceValue,
    /// A `source` table that says neither the paragraph nor a locator.
    SourceWithoutLocation,

    // `allow`.
    /// An `allow` that is not a table of names and reasons.
    AllowNotTable,
    /// A name in `allow` that is not an item-writing warning.
    UnknownAllowName,
    /// An `allow` entry without a reason.
    AllowWithoutReason,
    /// An `allow` entry for a warning the card does not raise.
    StaleAllow,

    // Warnings from answer checking across the deck.
    /// Two choices of a card that normalize to the same text.
    LookAlikeChoices,
    /// Two cards with the same prompt.
    SamePrompt,
    /// A typed answer one typo from another card's answer.
    TypoNeighbour,

    // The item-writing warnings ([`crate::deck::CARD_WARNINGS`]), each named by its kebab-case name.
    /// `longest-answer`.
    LongestAnswer,
    /// `leaked-answer`.
    LeakedAnswer,
    /// `order-cue`.
    OrderCue,
    /// `all-of-the-above`.
    AllOfTheAbove,
    /// `none-of-the-above`.
    NoneOfTheAbove,
    /// `negative-stem`.
    NegativeStem,
    /// `number-form`.
    NumberForm,
    /// `near-duplicate`.
    NearDuplicate,
    /// `several-questions`.
    SeveralQuestions,
    /// `shown-earlier`: found by `deck check` over the learner's path ([`crate::lint::path`]), not by `lint`.
    ShownEarlier,
    /// `truefalse-lean`.
    TruefalseLean,
    /// `option-position`.
    OptionPosition,
    /// `answer-in-title`.
    AnswerInTitle,
    /// `absolute-words`.
    AbsoluteWords,

    // The deck-level theme warnings ([`crate::lint::DECK_WARNINGS`]).
    /// `theme-coverage`.
    ThemeCoverage,
    /// `deck-theme`.
    DeckTheme,
}

impl Code {
    /// How to fix the problem, where there is something useful to say.
    pub fn hint(self) -> Option<&'static str> {
        use Code::*;
        Some(match self {
            LongestAnswer => {
                "make the wrong choices as long and as specific as the right one, or shorten it"
            }
            LeakedAnswer => {
                "reword the other card's prompt so it does not print the answer, or ask this card another way"
            }
            OrderCue => {
                "take the numbers, years, labels or sequence words out of the items and the prompt; say them in `explain`"
            }
            AllOfTheAbove => {
                "replace it with a plausible wrong choice, or make the card a `multi` card"
            }
            NoneOfTheAbove => {
                "replace it with a plausible choice: knowing what is wrong does not show knowing what is right"
            }
            NegativeStem => "ask positively, or emphasize the negative word: NOT or *not*",
            NumberForm => {
                "say what is wanted: \"In what year...\", \"On which day of the month...\", \"How many...\", \"What percentage...\""
            }
            NearDuplicate => "remove one card, or make them ask different things",
            SeveralQuestions => "split it into one flashcard per question",
            ShownEarlier => {
                "reword the earlier card so it does not show the answer, or have this card come first (`new_order`)"
            }
            TruefalseLean => {
                "balance the deck: rewrite some statements so that about as many are true as false"
            }
            OptionPosition => {
                "name the option by its text: choices are shuffled, so \"the second option\" points at another one"
            }
            AnswerInTitle => {
                "reword the deck title or the card: the title is in the header above every card"
            }
            AbsoluteWords => {
                "word the wrong option (or the false statement) as a plausible, qualified claim: test-wise learners rule out absolutes"
            }
            ThemeCoverage => {
                "keep the theme on the cards about it; a theme every card has measures nothing"
            }
            DeckTheme => {
                "move the theme tag onto the cards about it, and keep deck tags for what describes the deck"
            }
            StaleAllow => "remove the entry from `allow`: the card no longer raises that warning",
            UnknownAllowName => "`allow` takes the warning names listed in `docs/deck-format.md`",
            AllowNotTable | AllowWithoutReason => {
                "write `allow = { longest-answer = \"why this card is right as it is\" }`"
            }
            AnswerNotAChoice => "copy the answer exactly from `choices`, or add it to them",
            NotANumber => "write a plain number such as 2008 or 3.5 (no units or words)",
            BadId => "use lower-case letters, digits and '-', such as `nrc-refresh`",
            DuplicateCardId => {
                "give each card its own id; progress is keyed on it, so rename the newer card"
            }
            BadTag => "tags have no spaces: `theme:missile-defence`, not `theme:missile defence`",
            UnknownField => {
                "check the spelling; `docs/deck-format.md` lists the fields of each kind"
            }
            ExamUnknownField => {
                "check the spelling; `docs/exam-format.md` lists the fields of an exam file"
            }
            MisplacedField => "remove it, or change `kind` to a kind that takes it",
            UnknownKind => "`docs/deck-format.md` describes each kind and the fields it takes",
            ClozeNoBlank => "mark each blank in the prompt as {{answer}} or {{answer|alternative}}",
            ClozeUnclosed => "close the blank with }}",
            DuplicateEntry => "each entry must differ from the others",
            EmptyEntry => "remove the empty entry or fill it in",
            LookAlikeChoices => "learners cannot tell these apart: reword one of them",
            TypoNeighbour => {
                "make the answers distinct, or add the other card's answer to `reject`"
            }
            SamePrompt => "reword one of the prompts, or remove the duplicate card",
            NoExplain => "add `explain = \"...\"`: a sentence on why the answer is right",
            NoSource => "add `source = { paragraph = N }` or `source = { locator = \"...\" }`",
            SourceWithoutLocation => {
                "say where in the reading: add `paragraph = N` or `locator = \"...\"` to the table, beside any `deck = \"...\"`"
            }
            MissingField => "add the field; `docs/deck-format.md` shows an example of each kind",
            MissingDeckTable => {
                "start the file with [deck], an `id` and a `title`; `detente deck new` writes a template"
            }
            NoCards => "add cards as [[card]] tables; `detente deck new` writes one of every kind",
            DuplicateDeckId => "deck ids must be unique: rename one deck's `id`",
            LongPrompt => {
                "shorter prompts are easier to read in a terminal; move detail into `explain`"
            }
            NotUtf8 => "save the file as UTF-8 in your editor",
            ListSize => "see the limits of each kind in `docs/deck-format.md`",
            Toml | Other | UnknownTopLevelKey | CardNotTable | BuiltinDeckId | BadNewOrder
            | EmptyPrompt | EmptyAnswer | AnswerType | BadTolerance | EmptyPairSide
            | DuplicatePairSide | ClozeEmptyBlank | SourceNotTable | BadSourceValue => return None,
        })
    }

    /// The kebab-case name of an item-writing or theme warning, which its message ends with (`[longest-answer]`)
    /// and a card may `allow` (the item-writing ones); `None` for every other code.
    pub fn rule(self) -> Option<&'static str> {
        use Code::*;
        Some(match self {
            LongestAnswer => "longest-answer",
            LeakedAnswer => "leaked-answer",
            OrderCue => "order-cue",
            AllOfTheAbove => "all-of-the-above",
            NoneOfTheAbove => "none-of-the-above",
            NegativeStem => "negative-stem",
            NumberForm => "number-form",
            NearDuplicate => "near-duplicate",
            SeveralQuestions => "several-questions",
            ShownEarlier => "shown-earlier",
            TruefalseLean => "truefalse-lean",
            OptionPosition => "option-position",
            AnswerInTitle => "answer-in-title",
            AbsoluteWords => "absolute-words",
            ThemeCoverage => "theme-coverage",
            DeckTheme => "deck-theme",
            _ => return None,
        })
    }
}

/// One problem in a deck file, with its location.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub message: String,
    /// The line of the file the problem is on (shortened), for context.
    pub excerpt: String,
    /// How to fix it, where there is something useful to say: the hint of its [`Code`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'static str>,
    /// How many more places have this same warning, not listed one by one (see [`KEPT_REPEATS`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub more: usize,
    /// The name of an item-writing or theme warning (`longest-answer`, ...), which a card may `allow`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// What the problem is; it chose `hint` and `rule`. Not serialized.
    #[serde(skip)]
    pub code: Code,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How many places of one same warning are kept one by one; beyond them a 100,000-card bank without sources keeps a
/// count, not a hundred thousand diagnostics.
pub const KEPT_REPEATS: usize = 1000;

impl fmt::Display for Diagnostic {
    /// The first line is `FILE:LINE:COL: severity: message`; the excerpt with a caret under the column, and the
    /// hint, follow on lines of their own.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, severity, self.message
        )?;
        if !self.excerpt.trim().is_empty() {
            let gutter = self.line.to_string().len();
            let caret = self.column.min(self.excerpt.chars().count() + 1);
            write!(
                f,
                "\n {:>gutter$} | {}\n {:>gutter$} | {:>caret$}",
                self.line, self.excerpt, "", "^"
            )?;
        }
        if let Some(hint) = self.hint {
            write!(
                f,
                "\n {:>gutter$} = hint: {hint}",
                "",
                gutter = self.line.to_string().len()
            )?;
        }
        Ok(())
    }
}

impl Diagnostic {
    /// A diagnostic at a line and column, with the text of that line as its excerpt, and the hint and warning name
    /// of its code.
    pub fn coded(
        code: Code,
        file: &str,
        text: &str,
        line: usize,
        column: usize,
        severity: Severity,
        message: String,
    ) -> Self {
        let excerpt: String = if text.chars().count() > 100 {
            text.chars().take(97).chain("...".chars()).collect()
        } else {
            text.to_string()
        };
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            severity,
            hint: code.hint(),
            message,
            excerpt: excerpt.trim_end().to_string(),
            more: 0,
            rule: code.rule(),
            code,
        }
    }

    /// A diagnostic of a file that is not a deck (an exam file): code [`Code::Other`], no hint.
    pub fn new(
        file: &str,
        text: &str,
        line: usize,
        column: usize,
        severity: Severity,
        message: String,
    ) -> Self {
        Self::coded(Code::Other, file, text, line, column, severity, message)
    }
}

/// A text's line starts, to turn byte offsets into lines and columns in logarithmic time (a 100,000-card deck
/// may have as many warnings).
pub struct Lines<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(src: &'a str) -> Self {
        // Sized once: a 100,000-card deck has some 800,000 lines, and a list grown by doubling peaks at 1.5x.
        let breaks = src.bytes().filter(|&b| b == b'\n').count();
        let mut starts = Vec::with_capacity(breaks + 1);
        starts.push(0);
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Lines { src, starts }
    }

    /// The 1-based line and column (in characters) of byte offset `at`.
    pub fn locate(&self, at: usize) -> (usize, usize) {
        let at = at.min(self.src.len());
        let line = self.starts.partition_point(|&s| s <= at);
        let start = self.starts[line - 1];
        let column = self.src.get(start..at).map_or(1, |t| t.chars().count() + 1);
        (line, column)
    }

    /// How many lines the text has (a last line break starts an empty last line).
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn text(&self, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self.starts.get(line).map_or(self.src.len(), |&e| e);
        self.src
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// The diagnostics of one file as they are found, each located by its byte offset; a warning message repeated
/// beyond [`KEPT_REPEATS`] places is counted on the last one kept instead of listed.
pub(super) struct Report<'a> {
    file: &'a str,
    pub(super) lines: Lines<'a>,
    diags: Vec<Diagnostic>,
    /// For each warning message: how often it came, and where its last kept diagnostic is.
    repeats: HashMap<String, (usize, usize)>,
}

impl<'a> Report<'a> {
    pub(super) fn new(file: &'a str, src: &'a str) -> Self {
        Report {
            file,
            lines: Lines::new(src),
            diags: Vec::new(),
            repeats: HashMap::new(),
        }
    }

    /// A problem at byte offset `at` of the file.
    pub(super) fn push(&mut self, code: Code, severity: Severity, at: usize, message: String) {
        if severity == Severity::Warning {
            let next = self.diags.len();
            let (count, last) = self.repeats.entry(message.clone()).or_insert((0, next));
            *count += 1;
            if *count > KEPT_REPEATS {
                if let Some(d) = self.diags.get_mut(*last) {
                    d.more += 1;
                }
                return;
            }
            *last = next;
        }
        let (line, column) = self.lines.locate(at);
        self.diags.push(Diagnostic::coded(
            code,
            self.file,
            self.lines.text(line),
            line,
            column,
            severity,
            message,
        ));
    }

    /// The diagnostics, sorted by position.
    pub(super) fn into_sorted(self) -> Vec<Diagnostic> {
        let mut diags = self.diags;
        diags.sort_by_key(|d| (d.line, d.column, d.severity));
        diags
    }
}
