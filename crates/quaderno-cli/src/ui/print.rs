//! A note as one self-contained HTML file that prints well: title, meeting, tags, text (its
//! tasks as checkboxes), and nothing of the application around it. The same file is what
//! `quaderno export --format html` writes and what the page's "Stampa" opens.

use chrono::{Local, NaiveDate};
use quaderno_client::notebook::NoteFormat;
use quaderno_model::{DocumentId, Note};

use super::markdown::render;

/// The language of the words around the note (the note itself is as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    #[default]
    It,
    En,
}

impl Lang {
    fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    fn word(self, key: Word) -> &'static str {
        use Word::*;
        match (self, key) {
            (Lang::It, Date) => "Data",
            (Lang::It, Place) => "Luogo",
            (Lang::It, Participants) => "Presenti",
            (Lang::It, Tags) => "Tag",
            (Lang::It, Group) => "Gruppo",
            (Lang::It, Personal) => "Quaderno personale",
            (Lang::It, Untitled) => "Senza titolo",
            (Lang::It, Bin) => "Questa nota è nel cestino.",
            (Lang::It, Printed) => "Stampato da Quaderno il",
            (Lang::It, Written) => "Scritta da",
            (Lang::It, PrintNow) => "Stampa o salva in PDF",
            (Lang::En, Date) => "Date",
            (Lang::En, Place) => "Place",
            (Lang::En, Participants) => "Present",
            (Lang::En, Tags) => "Tags",
            (Lang::En, Group) => "Group",
            (Lang::En, Personal) => "Personal notebook",
            (Lang::En, Untitled) => "Untitled",
            (Lang::En, Bin) => "This note is in the bin.",
            (Lang::En, Printed) => "Printed from Quaderno on",
            (Lang::En, Written) => "Written by",
            (Lang::En, PrintNow) => "Print or save as PDF",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Word {
    Date,
    Place,
    Participants,
    Tags,
    Group,
    Personal,
    Untitled,
    Bin,
    Printed,
    Written,
    PrintNow,
}

/// Notes as print-ready HTML files, for [`quaderno_client::Notebook::export_as`].
pub struct Html<'a> {
    pub lang: Lang,
    /// The title of a group, by slug (`None`: the personal notebook, or not known).
    pub group_title: &'a dyn Fn(&str) -> Option<String>,
}

impl NoteFormat for Html<'_> {
    fn extension(&self) -> &'static str {
        "html"
    }

    fn text(&self, _id: &DocumentId, note: &Note, group: &str) -> String {
        page(note, (self.group_title)(group).as_deref(), self.lang, None)
    }
}

/// The page of `note`; `group`: the title of its group (`None` for the personal notebook).
/// `script`: the address of a script of the page's own to load, for the print view's button
/// that opens the print dialog (shown on screen, not printed); an exported file has neither.
pub fn page(note: &Note, group: Option<&str>, lang: Lang, script: Option<&str>) -> String {
    let w = |key| lang.word(key);
    let title = if note.title.trim().is_empty() {
        w(Word::Untitled)
    } else {
        note.title.as_str()
    };
    let mut meeting = Vec::new();
    if let Some(date) = note.meeting.date {
        meeting.push((w(Word::Date), day(date)));
    }
    if let Some(place) = note.meeting.place.as_deref().filter(|p| !p.is_empty()) {
        meeting.push((w(Word::Place), escape(place)));
    }
    if !note.meeting.participants.is_empty() {
        meeting.push((
            w(Word::Participants),
            escape(&note.meeting.participants.join(", ")),
        ));
    }
    if !note.tags.is_empty() {
        meeting.push((w(Word::Tags), escape(&note.tags.join(", "))));
    }
    let meeting: String = meeting
        .into_iter()
        .map(|(label, value)| format!("<div><dt>{label}</dt><dd>{value}</dd></div>"))
        .collect();
    let group = match group {
        Some(title) => format!("{} · {}", w(Word::Group), escape(title)),
        None => w(Word::Personal).to_owned(),
    };
    let bin = if note.deleted {
        format!("<p class=\"bin\">{}</p>", w(Word::Bin))
    } else {
        String::new()
    };
    let (script, bar) = match script {
        Some(src) => (
            format!("<script src=\"{}\" defer></script>\n", escape(src)),
            format!(
                "<nav class=\"print-bar\"><button type=\"button\" id=\"print-now\">{}</button></nav>\n",
                w(Word::PrintNow)
            ),
        ),
        None => (String::new(), String::new()),
    };
    let written = format!(
        "{} {} · {} {}",
        w(Word::Written),
        escape(&note.created_by),
        w(Word::Printed),
        day(Local::now().date_naive())
    );
    format!(
        "<!doctype html>
<html lang=\"{lang}\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>{title}</title>
<style>{PRINT_STYLE}</style>
{script}</head>
<body>
{bar}<article>
<header>
<p class=\"group\">{group}</p>
<h1>{title}</h1>
{bin}<dl class=\"meeting\">{meeting}</dl>
</header>
<div class=\"text\">
{body}</div>
<footer>{written}</footer>
</article>
</body>
</html>
",
        lang = lang.code(),
        title = escape(title),
        body = render(&note.body),
    )
}

/// A day as Italians write it, whatever the language: 12/03/2025.
fn day(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Readable on screen, and on A4 paper: the browser's own fonts (the file stands alone),
/// margins the printer can keep, headings kept with what follows them.
const PRINT_STYLE: &str = "
@page { size: A4; margin: 18mm 16mm 20mm; }
* { box-sizing: border-box; }
html { color: #24231f; background: #fff; }
body { margin: 0; font: 11.5pt/1.55 system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif; }
article { max-width: 46rem; margin: 0 auto; padding: 2rem 1.5rem 3rem; }
header { border-bottom: 1.5pt solid #2f6f6a; padding-bottom: 0.8rem; margin-bottom: 1.2rem; }
.group { margin: 0 0 0.3rem; font-size: 9pt; letter-spacing: 0.06em; text-transform: uppercase; color: #245955; font-weight: 650; }
h1 { font-size: 20pt; line-height: 1.2; margin: 0 0 0.6rem; }
.bin { margin: 0 0 0.6rem; padding: 0.3rem 0.6rem; border: 1pt solid #a8322a; color: #a8322a; border-radius: 4pt; }
.meeting { display: grid; grid-template-columns: auto 1fr; gap: 0.15rem 1rem; margin: 0; font-size: 10.5pt; }
.meeting div { display: contents; }
.meeting dt { color: #656158; font-weight: 600; }
.meeting dd { margin: 0; }
.text h1, .text h2, .text h3 { line-height: 1.25; margin: 1.2em 0 0.4em; break-after: avoid; }
.text h1 { font-size: 16pt; } .text h2 { font-size: 14pt; } .text h3 { font-size: 12pt; }
.text p, .text ul, .text ol, .text blockquote, .text table, .text pre { margin: 0 0 0.8em; }
.text li { break-inside: avoid; }
.text li:has(> input[type=checkbox]) { list-style: none; margin-left: -1.3em; }
.text input[type=checkbox] { width: 1em; height: 1em; margin: 0 0.45em 0 0; vertical-align: -0.12em; }
.text blockquote { border-left: 2pt solid #b9d4cf; padding-left: 0.8rem; color: #4d4a43; }
.text code { background: #f1efe9; padding: 0 0.2em; border-radius: 2pt; }
.text pre { background: #f1efe9; padding: 0.6rem 0.8rem; white-space: pre-wrap; }
.text table { border-collapse: collapse; } .text th, .text td { border: 0.75pt solid #cfc9bc; padding: 0.25rem 0.5rem; text-align: left; }
.text img { max-width: 100%; }
.text a { color: #245955; }
footer { margin-top: 2rem; padding-top: 0.5rem; border-top: 0.75pt solid #e3dfd5; color: #656158; font-size: 9pt; }
.print-bar { position: sticky; top: 0; display: flex; justify-content: flex-end; padding: 0.6rem 1rem; background: #f6f4ef; border-bottom: 1px solid #e3dfd5; }
.print-bar button { font: inherit; font-weight: 600; min-height: 44px; padding: 0 1.1rem; border: 0; border-radius: 8px; background: #2f6f6a; color: #fff; cursor: pointer; }
@media print { .print-bar { display: none; } article { padding: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
";

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use quaderno_model::Meeting;

    use super::*;

    fn note(title: &str, body: &str) -> Note {
        Note {
            title: title.to_owned(),
            body: body.to_owned(),
            tags: vec!["verbale".to_owned()],
            meeting: Meeting {
                date: NaiveDate::from_ymd_opt(2025, 3, 12),
                place: Some("Palermo".to_owned()),
                participants: vec!["Anna".to_owned(), "Marco".to_owned()],
            },
            created_at: Utc::now(),
            created_by: "Anna (Palermo)".to_owned(),
            deleted: false,
            schema: 1,
        }
    }

    #[test]
    fn the_page_holds_the_meeting_the_text_and_its_tasks() {
        let html = page(
            &note(
                "Verbale <del> 12 marzo",
                "## Compiti\n\n- [ ] Chiamare il servizio\n- [x] Mandare il verbale",
            ),
            Some("Housing First Palermo"),
            Lang::It,
            None,
        );
        assert!(html.contains("<title>Verbale &lt;del&gt; 12 marzo</title>"));
        assert!(html.contains("<dt>Data</dt><dd>12/03/2025</dd>"));
        assert!(html.contains("<dd>Anna, Marco</dd>"));
        assert!(html.contains("Gruppo · Housing First Palermo"));
        assert!(html.contains("<h2>Compiti</h2>"));
        assert_eq!(html.matches("type=\"checkbox\"").count(), 2, "{html}");
        assert!(!html.contains("<script"), "an exported file runs nothing");
        assert!(!html.contains("http"), "and loads nothing from elsewhere");
    }

    #[test]
    fn raw_html_in_a_note_is_shown_as_text() {
        let html = page(
            &note("t", "<script>alert(1)</script>"),
            None,
            Lang::En,
            None,
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("Personal notebook"));
    }
}
