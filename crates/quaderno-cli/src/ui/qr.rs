//! The QR code of an invite, drawn here as SVG text: nothing leaves this computer to draw it,
//! and the page shows it as a `data:` image, which its policy allows (no inline markup).

use qrcode::QrCode;
use qrcode::render::svg;
use qrcode::types::QrError;

/// The side of the picture, in CSS pixels (the page may scale it: it is a vector).
const SIDE: u32 = 232;

/// `text` as a QR code: dark modules on white, with the quiet zone scanners need.
pub fn svg(text: &str) -> Result<String, QrError> {
    let code = QrCode::new(text.as_bytes())?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(SIDE, SIDE)
        .dark_color(svg::Color("#24231f"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_join_command_becomes_one_svg_picture() {
        let picture =
            svg("quaderno join https://quaderno.example.org 7K2M-QX9D-4HNP-RT3V").unwrap();
        assert!(picture.contains("<svg"), "{picture}");
        assert!(picture.ends_with("</svg>"));
        assert!(!picture.contains("7K2M"), "the code is drawn, not written");
        assert!(!picture.contains("<script"));
    }

    #[test]
    fn the_same_text_draws_the_same_code() {
        let text = "quaderno join http://127.0.0.1:7878 ABCD-EFGH";
        assert_eq!(svg(text).unwrap(), svg(text).unwrap());
        assert_ne!(svg(text).unwrap(), svg("another").unwrap());
    }
}
