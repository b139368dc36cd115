//! Asking a card and checking the reply: the question a card shows, asking it through the [`Prompter`] in the way
//! its kind needs (choices shuffled, typed answers, self-graded flashcards), grading the reply against the deck's
//! [`Lexicon`], and the expected answer as text. Nothing here writes to the store; study and exams share it.

use super::{Prompter, Question, Reply, Session};
use crate::deck::{Body, cloze_blanks, cloze_question};
use crate::error::Result;
use crate::grade::{self, Lexicon, Rule, Verdict};
use crate::schedule::Rating;
use crate::store::{self, StoredCard};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::Rng;

/// A card asked and how it was answered, before it is stored.
pub(crate) struct Answered {
    pub(crate) response: serde_json::Value,
    pub(crate) given: String,
    pub(crate) verdict: Verdict,
    /// The learner's own rating (a flashcard); `None` when the verdict decides it at commit.
    pub(crate) rating: Option<Rating>,
}

impl Session<'_> {
    /// The question a card shows as the session's `number`th.
    pub(super) fn question(&self, card: &StoredCard, number: usize, new: bool) -> Question {
        let c = &card.card;
        Question {
            number,
            deck: self
                .sources
                .get(&card.deck_id)
                .map_or(card.deck_id.clone(), |(t, _)| t.clone()),
            kind: c.body.kind(),
            prompt: prompt(card),
            hint: c.hint.clone(),
            new,
            reversed: matches!(c.body, Body::Flashcard { .. }) && card.sibling == 1,
            ..Question::default()
        }
    }

    /// Asks a card and grades the reply.
    pub(super) fn ask(
        &mut self,
        card: &StoredCard,
        q: &Question,
        p: &mut dyn Prompter,
    ) -> Result<Reply<Answered>> {
        self.lexicon(&card.deck_id)?;
        let empty = Lexicon::default();
        let lexicon = self.lexicons.get(&card.deck_id).unwrap_or(&empty);
        ask(card, q, p, &mut self.rng, lexicon)
    }

    fn lexicon(&mut self, deck: &str) -> Result<&Lexicon> {
        if !self.lexicons.contains_key(deck) {
            self.lexicons
                .insert(deck.to_string(), load_lexicon(&self.store.conn, deck)?);
        }
        Ok(&self.lexicons[deck])
    }
}

/// What a card asks, as the learner sees it: a cloze with its blank, a reversed flashcard's back.
pub(crate) fn prompt(card: &StoredCard) -> String {
    let c = &card.card;
    match (&c.body, card.sibling) {
        (Body::Cloze { .. }, s) => cloze_question(&c.prompt, s),
        (Body::Flashcard { answer, .. }, 1) => answer.clone(),
        _ => c.prompt.clone(),
    }
}

/// Asks a card through the prompter (choices shuffled with `rng`) and grades the reply; nothing is stored.
pub(crate) fn ask(
    card: &StoredCard,
    q: &Question,
    p: &mut dyn Prompter,
    rng: &mut ChaCha8Rng,
    lexicon: &Lexicon,
) -> Result<Reply<Answered>> {
    let c = &card.card;
    macro_rules! reply {
        ($e:expr) => {
            match $e? {
                Reply::Answer(a) => a,
                Reply::Quit => return Ok(Reply::Quit),
                Reply::Interrupt => return Ok(Reply::Interrupt),
                Reply::TimeUp => return Ok(Reply::TimeUp),
            }
        };
    }
    let auto = |correct: bool| {
        if correct {
            Verdict::right()
        } else {
            Verdict::wrong()
        }
    };
    let answered = match &c.body {
        Body::Flashcard { answer, .. } => {
            let back = if card.sibling == 1 {
                c.prompt.clone()
            } else {
                answer.clone()
            };
            let rating = reply!(p.reveal(q, &back));
            let verdict = Verdict {
                correct: rating > Rating::Again,
                rule: Rule::SelfGraded,
                near: None,
                why: None,
            };
            Answered {
                response: rating.number().into(),
                given: rating_name(rating).into(),
                verdict,
                rating: Some(rating),
            }
        }
        Body::Choice { choices, answer } => {
            let mut options = choices.clone();
            shuffle(&mut options, rng);
            let i = reply!(p.choose(q, "", &options));
            let picked = options.get(i).cloned().unwrap_or_default();
            graded(
                picked.clone().into(),
                picked.clone(),
                auto(picked == *answer),
            )
        }
        Body::Multi { choices, answers } => {
            let mut options = choices.clone();
            shuffle(&mut options, rng);
            let picked: Vec<String> = reply!(ticked(p, q, &options))
                .into_iter()
                .filter_map(|i| options.get(i).cloned())
                .collect();
            let right = picked.len() == answers.len() && answers.iter().all(|a| picked.contains(a));
            graded(serde_json::json!(picked), picked.join("; "), auto(right))
        }
        Body::Truefalse { answer } => {
            let judged = reply!(p.judge(q));
            graded(
                judged.into(),
                true_false(judged).into(),
                auto(judged == *answer),
            )
        }
        Body::Text { answers, reject } => {
            let typed = reply!(typed_answer(p, q));
            let verdict = lexicon.check_asked(&typed, &c.prompt, answers, reject);
            graded(typed.clone().into(), typed, verdict)
        }
        Body::Cloze { reject } => {
            let typed = reply!(typed_answer(p, q));
            let verdict = lexicon.check_cloze(&typed, &c.prompt, card.sibling, reject);
            graded(typed.clone().into(), typed, verdict)
        }
        Body::Number { answer, tolerance } => {
            let typed = reply!(typed_answer(p, q));
            let verdict = grade::check_number_asked(&c.prompt, &typed, *answer, *tolerance);
            graded(typed.clone().into(), typed, verdict)
        }
        Body::Order { items } => {
            let mut shuffled = items.clone();
            shuffle(&mut shuffled, rng);
            let picked = reply!(pick_order(p, q, shuffled));
            let right = picked == *items;
            graded(serde_json::json!(picked), numbered(&picked), auto(right))
        }
        Body::Match { pairs } => {
            let mut rights: Vec<String> = pairs.iter().map(|(_, r)| r.clone()).collect();
            shuffle(&mut rights, rng);
            let lefts: Vec<String> = pairs.iter().map(|(l, _)| l.clone()).collect();
            let chosen = reply!(pick_pairs(p, q, &lefts, rights));
            let right = chosen == *pairs;
            graded(serde_json::json!(chosen), matched(&chosen), auto(right))
        }
    };
    Ok(Reply::Answer(answered))
}

/// A typed answer. An empty one (an accidental Enter) is asked for once more before it counts as given up.
pub(crate) fn typed_answer(p: &mut dyn Prompter, q: &Question) -> Result<Reply<String>> {
    match p.type_answer(q)? {
        Reply::Answer(typed) if typed.trim().is_empty() => {
            p.notice(
                "Nothing typed. Type your answer, or press Enter again to give up on this card.",
            );
            p.type_answer(q)
        }
        other => Ok(other),
    }
}

/// An order card's items put in order, one pick at a time from `shuffled` (the last one left goes last by itself):
/// the local study and exam screens and the server's exams ask it alike.
pub(crate) fn pick_order(
    p: &mut dyn Prompter,
    q: &Question,
    shuffled: Vec<String>,
) -> Result<Reply<Vec<String>>> {
    let n = shuffled.len();
    let mut remaining = shuffled;
    let mut picked = Vec::new();
    while remaining.len() > 1 {
        let label = format!("{} of {}:", ordinal(picked.len() + 1), n);
        match p.choose(q, &label, &remaining)? {
            Reply::Answer(i) if i < remaining.len() => picked.push(remaining.remove(i)),
            Reply::Answer(_) => {}
            Reply::Quit => return Ok(Reply::Quit),
            Reply::Interrupt => return Ok(Reply::Interrupt),
            Reply::TimeUp => return Ok(Reply::TimeUp),
        }
    }
    picked.append(&mut remaining);
    Ok(Reply::Answer(picked))
}

/// A match card's pairs: a right-hand side picked for each of `lefts` in turn from `rights` (the last one left is
/// taken by itself): the local study and exam screens and the server's exams ask it alike.
pub(crate) fn pick_pairs(
    p: &mut dyn Prompter,
    q: &Question,
    lefts: &[String],
    mut rights: Vec<String>,
) -> Result<Reply<Vec<(String, String)>>> {
    let mut chosen = Vec::new();
    for left in lefts {
        let r = if rights.len() == 1 {
            rights.remove(0)
        } else {
            match p.choose(q, &format!("{left} \u{2192}"), &rights)? {
                Reply::Answer(i) if i < rights.len() => rights.remove(i),
                Reply::Answer(_) => continue,
                Reply::Quit => return Ok(Reply::Quit),
                Reply::Interrupt => return Ok(Reply::Interrupt),
                Reply::TimeUp => return Ok(Reply::TimeUp),
            }
        };
        chosen.push((left.clone(), r));
    }
    Ok(Reply::Answer(chosen))
}

/// The choices ticked on a multi card; nothing ticked is asked once more, as an empty typed answer is (Enter
/// again with nothing ticked gives up on the card, and is graded wrong).
fn ticked(p: &mut dyn Prompter, q: &Question, options: &[String]) -> Result<Reply<Vec<usize>>> {
    match p.choose_many(q, options)? {
        Reply::Answer(picked) if picked.is_empty() => {
            p.notice("Nothing ticked. Tick every right answer, or press Enter again to give up on this card.");
            p.choose_many(q, options)
        }
        other => Ok(other),
    }
}

fn graded(response: serde_json::Value, given: String, verdict: Verdict) -> Answered {
    // The duration is not known yet; the slow-answer rule is applied at commit.
    Answered {
        response,
        given,
        rating: None,
        verdict,
    }
}

/// The expected answer of a study item, as text.
pub(crate) fn expected(card: &StoredCard) -> String {
    let c = &card.card;
    match &c.body {
        Body::Flashcard { answer, .. } => {
            if card.sibling == 1 {
                c.prompt.clone()
            } else {
                answer.clone()
            }
        }
        Body::Choice { answer, .. } => answer.clone(),
        Body::Multi { answers, .. } => answers.join("; "),
        Body::Truefalse { answer } => true_false(*answer).into(),
        Body::Text { answers, .. } => answers.first().cloned().unwrap_or_default(),
        Body::Cloze { .. } => cloze_blanks(&c.prompt)
            .get(card.sibling)
            .and_then(|b| b.answers.first().cloned())
            .unwrap_or_default(),
        Body::Order { items } => numbered(items),
        Body::Match { pairs } => matched(pairs),
        Body::Number { answer, tolerance } => crate::text::format_number(*answer, *tolerance),
    }
}

/// A copy of an answer (the override starts from the answer it corrects).
pub(super) fn answered_clone(a: &Answered) -> Answered {
    Answered {
        response: a.response.clone(),
        given: a.given.clone(),
        verdict: a.verdict.clone(),
        rating: a.rating,
    }
}

/// A deck's answer checker from what the store keeps for it (aliases and normalized known answers), for study and
/// exams alike.
pub(crate) fn load_lexicon(conn: &rusqlite::Connection, deck: &str) -> Result<Lexicon> {
    let (aliases, known, words) = store::deck_answers(conn, deck)?;
    Ok(Lexicon::with_known(&aliases, known).with_vocabulary(words))
}

/// Fisher-Yates with the session's RNG.
pub(crate) fn shuffle<T>(items: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn rating_name(r: Rating) -> &'static str {
    match r {
        Rating::Again => "Again",
        Rating::Hard => "Hard",
        Rating::Good => "Good",
        Rating::Easy => "Easy",
    }
}

pub(crate) fn true_false(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

pub(crate) fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

pub(crate) fn numbered(items: &[String]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {s}", i + 1))
        .collect::<Vec<_>>()
        .join("  ")
}

pub(crate) fn matched(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(l, r)| format!("{l} \u{2192} {r}"))
        .collect::<Vec<_>>()
        .join("; ")
}
