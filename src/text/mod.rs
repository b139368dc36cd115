//! Pure text helpers that every layer uses: the one cleaning path for outside text, shell quoting, numbers and dates
//! as people write them, and the FNV-1a hash. The bottom of the house: no `crate::` imports at all.

mod clean;
mod date;
mod hash;
mod number;
mod shell;

pub use clean::{Clean, CleanWriter, clean, hidden};
pub use date::{iso_date, parse_date};
pub use hash::{Fnv1a, fnv1a};
pub use number::{format_number, plain_number};
pub use shell::shell_word;
