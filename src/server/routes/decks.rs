//! The course's decks on the class server: `GET /v1/decks` (every published deck's id, title and version, for any
//! caller), `GET /v1/decks/ID` (one deck's file as published) and `POST /v1/decks` (teachers: deck files checked
//! by the parser a local `deck import` uses, imported by `ClassStore::publish` under the rules of
//! `store::import_deck`, and published, all in one transaction; a dry run rolls it back), on SQLite and PostgreSQL
//! alike. A version is the deck's content hash; a student's `sync` imports every deck whose version its database
//! lacks.

use super::{App, problem};
use crate::deck::{Severity, parse_deck};
use crate::server::api::{Hello, Role};
use crate::sync::{DeckText, DeckVersion, Publish};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `GET /v1/decks`.
pub async fn list(State(app): State<App>) -> Response {
    match app.with_repo(|repo| repo.published_decks()).await {
        Ok(decks) => Json(
            decks
                .into_iter()
                .map(|d| DeckVersion {
                    id: d.id,
                    title: d.title,
                    content_hash: d.content_hash,
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(refusal) => refusal,
    }
}

/// `GET /v1/decks/ID`.
pub async fn text(State(app): State<App>, Path(id): Path<String>) -> Response {
    let wanted = id.clone();
    match app
        .with_repo(move |repo| repo.published_deck(&wanted))
        .await
    {
        Ok(Some((content_hash, file, text))) => Json(DeckText {
            id,
            content_hash,
            file,
            text,
        })
        .into_response(),
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            format!(
                "this server has published no deck {}",
                crate::text::clean(&id)
            ),
        ),
        Err(refusal) => refusal,
    }
}

/// Why the files cannot be published, if they cannot: the parser's errors (as `deck check` prints them), a
/// built-in deck's id, or one deck id in two files.
fn refusal(publish: &Publish) -> Option<String> {
    let builtin = crate::deck::builtin::ids();
    let mut errors = Vec::new();
    let mut seen: Vec<(String, &str)> = Vec::new();
    for f in &publish.decks {
        let (deck, diagnostics) = parse_deck(&f.file, &f.text);
        errors.extend(
            diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.to_string().lines().next().unwrap_or_default().to_string()),
        );
        if let Some(deck) = deck {
            if builtin.contains(&deck.id) {
                errors.push(format!(
                    "{}: deck id `{}` is a built-in deck's id",
                    f.file, deck.id
                ));
            }
            if let Some((_, first)) = seen.iter().find(|(id, _)| *id == deck.id) {
                errors.push(format!(
                    "{}: deck id `{}` is also used by {first}",
                    f.file, deck.id
                ));
            }
            seen.push((deck.id, &f.file));
        }
    }
    let first = errors.first()?;
    Some(crate::text::clean(&format!(
        "cannot publish: {} error(s), nothing was published; the first: {first}",
        errors.len()
    )))
}

/// `POST /v1/decks` (teachers).
pub async fn publish(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    body: Result<Json<Publish>, JsonRejection>,
) -> Response {
    if me.role != Role::Teacher {
        return problem(
            StatusCode::FORBIDDEN,
            format!(
                "publishing decks is for this server's teachers, and you are {} (`--db FILE` imports a deck into \
                 a local database)",
                me.describe()
            ),
        );
    }
    let publish = match body {
        Ok(Json(p)) => p,
        Err(e) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("nothing was published: {}", e.body_text()),
            );
        }
    };
    if let Some(why) = refusal(&publish) {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, why);
    }
    let user = me.user.clone();
    let done = app
        .with_repo(move |repo| {
            let now = chrono::Utc::now().timestamp();
            repo.publish(&publish, &user, now)
        })
        .await;
    match done {
        Ok(out) => Json(out).into_response(),
        Err(refusal) => refusal,
    }
}
