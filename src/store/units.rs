//! How the program's units are stored: a [`UnixMs`] and a [`Day`] as the INTEGER they always were, a [`Rating`] as
//! its number 1 to 4. Reading a rating outside 1 to 4 is an error (the column is checked on the way in), never a
//! silent clamp.

use crate::schedule::Rating;
use crate::time::{Day, UnixMs};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

impl ToSql for UnixMs {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

impl FromSql for UnixMs {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        i64::column_result(value).map(UnixMs)
    }
}

impl ToSql for Day {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

impl FromSql for Day {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        i64::column_result(value).map(Day)
    }
}

impl ToSql for Rating {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(i64::from(self.number())))
    }
}

impl FromSql for Rating {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let n = i64::column_result(value)?;
        Rating::from_number(n).ok_or(FromSqlError::OutOfRange(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_trip_through_sqlite() -> rusqlite::Result<()> {
        let conn = rusqlite::Connection::open_in_memory()?;
        let (ms, day, rating): (UnixMs, Day, Rating) = conn.query_row(
            "SELECT ?1, ?2, ?3",
            rusqlite::params![UnixMs(1_700_000_000_123), Day(739_000), Rating::Hard],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        assert_eq!(
            (ms, day, rating),
            (UnixMs(1_700_000_000_123), Day(739_000), Rating::Hard)
        );
        let raw: i64 = conn.query_row("SELECT ?1", [Rating::Easy], |r| r.get(0))?;
        assert_eq!(raw, 4);
        assert!(
            conn.query_row("SELECT 5", [], |r| r.get::<_, Rating>(0))
                .is_err()
        );
        Ok(())
    }
}
