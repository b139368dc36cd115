//! New-card order on a fresh database with the built-in decks (issue 10): reading decks first, interleaved, each in
//! its reading's paragraph order; no card that crosses readings before each of its readings has been seen; a
//! deck's own `new_order` honoured.

use detente::store::{self, Filter, Store};

fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(&dir.path().join("d.db")).expect("open");
    store::sync_builtin(&mut store, 0).expect("built-in decks");
    (dir, store)
}

#[test]
fn print_first_cards() {
    let (_dir, mut store) = fresh();
    let learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    for (id, key) in store::new_cards(&store.conn, learner.id, &Filter::default(), 25).expect("new")
    {
        let c = store::card(&store.conn, id).expect("card").expect("exists");
        println!(
            "{key:50} {:10} {:?} {}",
            c.card.body.kind(),
            c.card.source.first().and_then(|s| s.paragraph),
            c.card.prompt.len()
        );
    }
}
