//! The class page in a real browser, against a real `detente serve` with TLS (the server of `server_tls`), its
//! database a course with study, two learners and an open flag. Attacks: a page reached without the teacher's
//! sign-in (no cookie, a link used twice, a form posted without the session's token, the Unix socket) must show
//! nothing of the class; a signed-in teacher's pages must load with no error, show the class and each learner, let a
//! flag be resolved (in the server's database), and read at 1280 and 390 px wide (no sideways scrolling, no text
//! under 12 px; screenshots kept in `target/screenshots/`).

use crate::server_tls::{Laptop, Served, issue, login, pki, teacher, text, tls_request};
use crate::support::browser::{Browser, Page};
use crate::support::process;
use std::path::Path;

/// A server folder whose database holds the sample deck studied by ann over a few days, bob on the roster, the
/// built-in decks, and one open flag of ann's.
fn course() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = pki();
    for (name, pem) in [("ca.pem", ca), ("cert.pem", cert), ("key.pem", key)] {
        std::fs::write(dir.path().join(name), pem).unwrap();
    }
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let studied = crate::stats::studied_db(&state);
    let db = Served::database(dir.path());
    std::fs::rename(&studied, &db).unwrap();
    for args in [&["learner", "add", "bob"][..], &["decks"]] {
        let out = process(&db).args(args).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "INSERT INTO flags (learner_id, card_id, flagged_at, note)
         SELECT l.id, c.id, strftime('%s', 'now'), 'the year in the prompt looks wrong'
         FROM learners l, cards c WHERE l.name = 'ann' AND c.deck_id = 'sample' LIMIT 1",
        [],
    )
    .unwrap();
    dir
}

/// The page reads well at its width (see `Page::assert_reads_well`), its screenshot named for the class page.
fn reads_well(page: &mut Page, name: &str, width: u32) {
    page.assert_reads_well(&format!("class-page-{name}"), width);
}

fn flag_state(db: &Path) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT state FROM flags", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_teacher_signs_in_reads_the_class_at_desktop_and_phone_width_and_resolves_a_flag() {
    let served = Served::start(course());
    let db = Served::database(served.dir.path());
    let ca = served.dir.path().join("ca.pem");

    // Nothing without signing in: every page answers 401 with how to sign in, in the browser and to a raw request.
    let mut stranger = Browser::start();
    for path in [
        "/class",
        "/class?by=deck",
        "/class/learner?name=ann",
        "/class/items?deck=sample",
        "/class/flags",
    ] {
        let mut page = stranger.open(&format!("{}{path}", served.url), 1280);
        let seen = page.text();
        assert!(seen.contains("Sign in to the class page"), "{path}: {seen}");
        assert!(
            !seen.contains("ann") && !seen.contains("bob"),
            "{path}: {seen}"
        );
    }
    drop(stranger);
    let forged = tls_request(
        &served,
        &ca,
        "POST /class/flags/resolve HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 4\r\nConnection: close\r\n\r\nid=1",
    );
    assert!(forged.starts_with("HTTP/1.1 401"), "{forged}");
    assert_eq!(flag_state(&db), "open");

    // The teacher, on the socket, asks for a link.
    let t = teacher(&served);
    let out = t.run(&["report", "web"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let path = printed
        .trim()
        .strip_prefix("https://HOST:PORT")
        .unwrap_or_else(|| panic!("no link in {printed}"));
    assert!(path.starts_with("/class/signin?code="), "{printed}");
    let link = format!("{}{path}", served.url);
    let code = path.trim_start_matches("/class/signin?code=");
    assert!(!served.log().contains(code), "the code was logged");

    let mut browser = Browser::start();
    let mut page = browser.open(&link, 1280);
    assert_eq!(page.url(), format!("{}/class", served.url));
    let class = page.text();
    for shows in [
        "Class progress by theme",
        "ann",
        "bob",
        "Activity, open flags and exams",
    ] {
        assert!(class.contains(shows), "{shows:?} missing in\n{class}");
    }
    reads_well(&mut page, "class", 1280);
    drop(page);

    // The link works once: a second browser opening it is refused.
    let mut other = Browser::start();
    let mut again = other.open(&link, 1280);
    assert!(again.text().contains("This sign-in link does not work"));
    drop(again);
    drop(other);

    for width in [1280, 390] {
        for (name, path, shows) in [
            ("class", "/class", "Mastery matrix"),
            ("by-deck", "/class?by=deck", "Class progress by deck"),
            ("learner", "/class/learner?name=ann", "Progress of ann"),
            ("items", "/class/items?deck=sample", "Item analysis"),
            (
                "flags",
                "/class/flags",
                "the year in the prompt looks wrong",
            ),
        ] {
            let mut page = browser.open(&format!("{}{path}", served.url), width);
            let seen = page.text();
            assert!(seen.contains(shows), "{name}: {shows:?} missing in\n{seen}");
            reads_well(&mut page, name, width);
        }
    }

    // A learner's name on the class page leads to their page.
    let mut page = browser.open(&format!("{}/class", served.url), 390);
    page.eval_and_wait(
        "[...document.querySelectorAll('a')].find(a => a.textContent === 'bob').click()",
    );
    assert!(page.text().contains("Progress of bob"), "{}", page.text());

    // A form posted with the cookie but without the session's token is refused; with it, the flag is resolved.
    page.navigate(&format!("{}/class/flags", served.url));
    page.eval_and_wait(
        "const f = document.querySelector('form[action=\"/class/flags/resolve\"]'); \
         f.querySelector('input[name=csrf]').value = 'forged'; f.submit()",
    );
    assert!(
        page.text().contains("This form is out of date"),
        "{}",
        page.text()
    );
    assert_eq!(flag_state(&db), "open");
    // (the refusal's 403 is the one error the browser logged so far)
    assert_eq!(page.errors.len(), 1, "{:?}", page.errors);
    page.errors.clear();
    page.navigate(&format!("{}/class/flags", served.url));
    page.eval_and_wait(
        "document.querySelector('form[action=\"/class/flags/resolve\"] button').click()",
    );
    assert!(page.text().contains("No open flags."), "{}", page.text());
    assert!(page.errors.is_empty(), "{:?}", page.errors);
    assert_eq!(flag_state(&db), "resolved");

    // Signing out ends the session.
    page.eval_and_wait("document.querySelector('form[action=\"/class/signout\"] button').click()");
    page.navigate(&format!("{}/class", served.url));
    assert!(page.text().contains("Sign in to the class page"));
}

/// Attack: the class page over the Unix socket, where a request carries the uid and no browser goes. It is not
/// served there (404), whoever asks.
#[test]
fn the_class_page_is_not_served_on_the_socket() {
    use std::io::{Read, Write};
    let served = Served::start(course());
    let mut s = std::os::unix::net::UnixStream::connect(&served.socket).unwrap();
    s.write_all(b"GET /class HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
}

/// Attack: a student on a laptop (over TLS, by their device) signs in to the class page. They see their own page
/// and nothing else: the class, another learner's page, the items and the flags all send them back to it, and
/// their page never names a classmate.
#[test]
fn a_student_signs_in_from_a_laptop_and_sees_only_their_own_page() {
    let dir = course();
    let code = issue(&Served::database(dir.path()), "bob", &[]);
    let served = Served::start(dir);
    let ca = served.dir.path().join("ca.pem");
    let laptop = Laptop::new();
    let out = login(&laptop, &served, &code, &ca);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = laptop.run(&["report", "web"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let path = printed
        .trim()
        .strip_prefix("https://HOST:PORT")
        .expect("a link");
    let mut browser = Browser::start();
    let mut page = browser.open(&format!("{}{path}", served.url), 390);
    assert_eq!(page.url(), format!("{}/class/me", served.url));
    let own = page.text();
    assert!(own.contains("Progress of bob"), "{own}");
    assert!(!own.contains("ann"), "{own}");
    reads_well(&mut page, "student", 390);
    for other in [
        "/class",
        "/class/learner?name=ann",
        "/class/items?deck=sample",
        "/class/flags",
    ] {
        page.navigate(&format!("{}{other}", served.url));
        assert_eq!(page.url(), format!("{}/class/me", served.url), "{other}");
        let seen = page.text();
        assert!(
            !seen.contains("ann") && !seen.contains("the year in the prompt"),
            "{other}: {seen}"
        );
    }
}

/// Attack: the class page on a PostgreSQL server reading or writing other rows than SQLite's would. The same course,
/// adopted into PostgreSQL (`admin adopt`), served over TLS: the teacher's link signs in, the class lists both
/// learners, the flag's note is on the flags page, and its Resolve button resolves it in PostgreSQL's rows.
#[test]
fn the_class_page_reads_and_resolves_a_flag_on_postgresql() {
    use crate::support::{pg, pg_served::PgServed};
    let lab = course();
    let served = PgServed::adopting(
        &pg::cluster().database(),
        "classpage",
        true,
        Some(&Served::database(lab.path())),
    );
    served.ok(&["login", served.socket.to_str().unwrap()]);
    let printed = served.ok(&["report", "web"]);
    let path = printed
        .trim()
        .strip_prefix("https://HOST:PORT")
        .expect("a link");
    let (url, _) = served.tls.clone().expect("tls");
    let mut browser = Browser::start();
    let mut page = browser.open(&format!("{url}{path}"), 1280);
    let class = page.text();
    assert!(class.contains("ann") && class.contains("bob"), "{class}");
    page.navigate(&format!("{url}/class/flags"));
    assert!(
        page.text().contains("the year in the prompt looks wrong"),
        "{}",
        page.text()
    );
    page.eval_and_wait(
        "document.querySelector('form[action=\"/class/flags/resolve\"] button').click()",
    );
    assert!(page.text().contains("No open flags."), "{}", page.text());
    assert!(page.errors.is_empty(), "{:?}", page.errors);
    let mut owner = postgres::Client::connect(&served.owner_url, postgres::NoTls).unwrap();
    let mut tx = owner.transaction().unwrap();
    tx.execute("SELECT set_config('detente.scope', 'course', true)", &[])
        .unwrap();
    let state: String = tx.query_one("SELECT state FROM flags", &[]).unwrap().get(0);
    assert_eq!(state, "resolved");
}
