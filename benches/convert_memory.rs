//! Converter memory, measured: peak resident memory of `detente deck convert --from gift` on generated banks of
//! about 50 MB, run under `/usr/bin/time -v` (skipped with a note where it is missing). Two banks: one question of
//! 50 MB on one line (refused at its line by the question size limit, `MAX_QUESTION_BYTES`, before it is held) and
//! 50 MB of ordinary questions (converted, streaming). Run with `cargo bench --bench convert_memory`; set
//! `DETENTE_BIN` to measure another build of detente (an older one, to compare).

// A bench may unwrap: a panic is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// About this many bytes of input in each bank.
const SIZE: usize = 50 << 20;

/// One multiple-choice question whose text is `SIZE` bytes on one line.
pub fn one_long_question(path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(b"::Long::").unwrap();
    let word = b"sovereignty ";
    for _ in 0..SIZE / word.len() {
        out.write_all(word).unwrap();
    }
    out.write_all(b"{=Geneva ~Vienna ~New York}\n").unwrap();
    out.flush().unwrap();
}

/// `SIZE` bytes of ordinary questions, each a few hundred bytes, blank-line separated.
pub fn many_questions(path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut written = 0;
    let mut n = 0;
    while written < SIZE {
        let q = format!(
            "// [tag:week{}]\n::Q{n}::Which city hosted conference number {n} on the law of treaties, held after \
             a long preparatory process among the member states?{{=Geneva ~Vienna ~New York ~The Hague}}\n\n",
            n % 12
        );
        out.write_all(q.as_bytes()).unwrap();
        written += q.len();
        n += 1;
    }
    out.flush().unwrap();
}

/// Peak resident memory in KiB and the exit code of `detente deck convert` on `input`, or `None` without
/// `/usr/bin/time`.
fn measure(bin: &str, input: &Path, dir: &Path) -> Option<(u64, i32, String)> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let out = Command::new(time)
        .arg("-v")
        .arg(bin)
        .arg("--db")
        .arg(dir.join("d.db"))
        .args(["deck", "convert", "--from", "gift"])
        .arg(input)
        .arg("-o")
        .arg(dir.join("out.toml"))
        .env_clear()
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())?;
    let first = stderr
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(160)
        .collect();
    Some((rss, out.status.code().unwrap_or(-1), first))
}

fn main() {
    let bin = std::env::var("DETENTE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_detente").into());
    let dir = tempfile::tempdir().unwrap();
    println!("Converter memory (benches/convert_memory.rs), {bin}");
    for (name, make) in [
        ("one 50 MB question", one_long_question as fn(&Path)),
        ("50 MB of ordinary questions", many_questions),
    ] {
        let input = dir.path().join("bank.gift");
        make(&input);
        let size = std::fs::metadata(&input).unwrap().len();
        let started = std::time::Instant::now();
        match measure(&bin, &input, dir.path()) {
            Some((rss, code, first)) => println!(
                "  {name:<28} {:>6.1} MB in: peak RSS {:>7.1} MB ({:.2}x the input), exit {code}, {:.1} s\n    {first}",
                size as f64 / 1e6,
                rss as f64 * 1024.0 / 1e6,
                rss as f64 * 1024.0 / size as f64,
                started.elapsed().as_secs_f64()
            ),
            None => println!("  {name}: /usr/bin/time is missing; nothing measured"),
        }
    }
}
