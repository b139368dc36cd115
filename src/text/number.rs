//! Numbers as a person writes them.

/// A number as a person writes it: the shortest decimal with no float noise ("3.1415", "2008"), and its tolerance
/// after a "±" when it has one ("3.1415 ± 0.0005").
pub fn format_number(answer: f64, tolerance: f64) -> String {
    if tolerance > 0.0 {
        format!(
            "{} \u{b1} {}",
            plain_number(answer),
            plain_number(tolerance)
        )
    } else {
        plain_number(answer)
    }
}

/// One number as the shortest decimal without float noise: "3.1415" for 3.1414999999999997, "2008", "-2.5".
pub fn plain_number(x: f64) -> String {
    // Twelve significant digits remove the noise of arithmetic and keep whatever a person wrote.
    let clean = format!("{x:.11e}").parse::<f64>().unwrap_or(x);
    let clean = if clean == 0.0 { 0.0 } else { clean };
    format!("{clean}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::approx_constant)]
    fn numbers_as_a_person_writes_them() {
        assert_eq!(format_number(2008.0, 0.0), "2008");
        assert_eq!(format_number(3.1415, 0.0005), "3.1415 \u{b1} 0.0005");
        assert_eq!(
            format_number(3.1414999999999997, 0.0004999999999999449),
            "3.1415 \u{b1} 0.0005"
        );
        assert_eq!(format_number(0.1 + 0.2, 0.0), "0.3");
        assert_eq!(format_number(-2.5, 0.0), "-2.5");
        assert_eq!(format_number(1_000_000.0, 0.0), "1000000");
        assert_eq!(plain_number(0.1 + 0.2), "0.3");
        assert_eq!(plain_number(-0.0), "0");
    }
}
