//! Aligned text tables for the human output.

/// Lays out `rows` under `headers` in columns two spaces apart (the last column unpadded).
pub(super) fn render<const N: usize>(headers: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = line(&headers.map(str::to_owned), &widths);
    for row in rows {
        out.push_str(&line(row, &widths));
    }
    out
}

fn line<const N: usize>(cells: &[String; N], widths: &[usize; N]) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .map(|(cell, width)| format!("{cell:<width$}"))
        .collect();
    let mut text = padded.join("  ").trim_end().to_owned();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_whatever_the_accents() {
        let rows = [
            ["1".to_owned(), "Anna".to_owned(), "Forlì".to_owned()],
            [
                "12".to_owned(),
                "Marco Bianchi".to_owned(),
                "Roma".to_owned(),
            ],
        ];
        let text = render(["ID", "NAME", "CITY"], &rows);
        assert_eq!(
            text,
            "ID  NAME           CITY\n\
             1   Anna           Forlì\n\
             12  Marco Bianchi  Roma\n"
        );
    }
}
