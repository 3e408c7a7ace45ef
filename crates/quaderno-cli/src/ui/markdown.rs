//! A note's Markdown as HTML for the preview. Raw HTML in a note is shown as text, never passed
//! through; links keep only safe schemes; images become links (the page loads nothing from
//! elsewhere, and works offline).

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// The HTML of `markdown`, safe to put in the page.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let events = Parser::new_ext(markdown, options).map(make_safe);
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

fn make_safe(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            dest_url,
            title,
            id,
            ..
        }) => Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    }
}

/// The address if it is http(s), mailto, or within the page; else nothing to follow.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower
        .split_once(':')
        .map(|(scheme, _)| scheme)
        .filter(|s| !s.contains(['/', '?', '#']));
    match scheme {
        None | Some("http" | "https" | "mailto") => url,
        Some(_) => CowStr::Borrowed("#"),
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_is_formatted() {
        let html = render("# Verbale\n\n**Presenti**: 12\n\n- casa\n- lavoro\n");
        assert!(html.contains("<h1>Verbale</h1>"), "{html}");
        assert!(html.contains("<strong>Presenti</strong>"), "{html}");
        assert!(html.contains("<li>casa</li>"), "{html}");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = render("<script>alert(1)</script>\n\nciao <img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn only_safe_links_are_followed() {
        let html = render(
            "[a](javascript:alert(1)) [b](https://example.org) [c](#sopra) [d](JaVaScRiPt:x) [e](data:text/html,x)",
        );
        assert!(!html.to_lowercase().contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(html.contains(r#"href="https://example.org""#), "{html}");
        assert!(html.contains(r##"href="#sopra""##), "{html}");
    }

    #[test]
    fn images_become_links_and_load_nothing() {
        let html = render("![la foto](http://example.org/foto.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains(r#"<a href="http://example.org/foto.png">la foto</a>"#),
            "{html}"
        );
    }
}
