//! Large question banks end to end through the built binary: a GIFT bank of 10,000 and of 100,000 questions is
//! converted (`deck convert`) and the resulting deck imported (`deck import`) into a fresh database. For each step
//! the bench prints wall time, time per card and peak memory (the child's VmHWM), and the ratios of the large bank
//! to the small one: a time ratio near 10 means linear work, a memory ratio near 1 means bounded memory.
//!
//! Run with `cargo bench --bench bank` (Linux: memory is read from /proc).

// A test or bench may unwrap: a panic is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A GIFT bank of `n` questions of the usual kinds, in categories of 500.
fn bank(path: &Path, n: usize) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..n {
        if i % 500 == 0 {
            writeln!(out, "$CATEGORY: $course$/top/Bank/Week {}\n", i / 500 + 1)?;
        }
        match i % 4 {
            0 => writeln!(
                out,
                "// [id:q{i}] [tag:bench]\n::Q{i}::Which treaty is number {i}? {{\n\t=Treaty {i}#Right.\n\t~Treaty {}\n\t~Treaty {}\n\t####Treaty {i} is the one.\n}}\n",
                i + 1,
                i + 2
            )?,
            1 => writeln!(out, "::Q{i}::Name treaty {i}. {{=Treaty {i} =T{i}}}\n")?,
            2 => writeln!(out, "::Q{i}::Treaty {i} was signed.{{TRUE}}\n")?,
            _ => writeln!(
                out,
                "::Q{i}::In which year was treaty {i} signed?{{#{}:1}}\n",
                1900 + i % 100
            )?,
        }
    }
    out.flush()
}

fn main() {
    let exe = env!("CARGO_BIN_EXE_detente");
    let dir = std::env::temp_dir().join(format!("detente-bank-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut rows = Vec::new();
    for n in [10_000, 100_000] {
        let gift = dir.join(format!("bank{n}.gift"));
        let deck = dir.join(format!("bank{n}.toml"));
        let db = dir.join(format!("bank{n}.db"));
        bank(&gift, n).expect("write bank");
        let convert = common::measure(
            Command::new(exe)
                .args(["deck", "convert", "--from", "gift"])
                .arg(&gift)
                .arg("-o")
                .arg(&deck)
                .stderr(std::process::Stdio::null()),
        );
        let import = common::measure(
            Command::new(exe)
                .args(["deck", "import"])
                .arg(&deck)
                .env("DETENTE_DB", &db)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null()),
        );
        let size = std::fs::metadata(&gift).map(|m| m.len()).unwrap_or(0);
        println!(
            "{n:>7} cards ({:.1} MB GIFT): convert {:>6.2} s ({:>5.1} µs/card, peak {:>6} kB)  import {:>6.2} s ({:>5.1} µs/card, peak {:>6} kB)",
            size as f64 / 1e6,
            convert.0.as_secs_f64(),
            convert.0.as_secs_f64() * 1e6 / n as f64,
            convert.1,
            import.0.as_secs_f64(),
            import.0.as_secs_f64() * 1e6 / n as f64,
            import.1,
        );
        rows.push((convert, import));
    }
    let (small, large) = (rows[0], rows[1]);
    let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64();
    println!(
        "100k / 10k: convert time x{:.1}, memory x{:.2}; import time x{:.1}, memory x{:.2}",
        ratio(small.0.0, large.0.0),
        large.0.1 as f64 / small.0.1.max(1) as f64,
        ratio(small.1.0, large.1.0),
        large.1.1 as f64 / small.1.1.max(1) as f64,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
