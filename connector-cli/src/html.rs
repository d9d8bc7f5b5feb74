//! The little HTML the simulators and the sample page need: escaping and one page frame.

use std::fmt::Write as _;

/// Escapes text for HTML element content and double-quoted attribute values.
///
/// ```
/// assert_eq!(
///     connector_cli::html::escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
///     "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
/// );
/// ```
pub fn escape(text: &str) -> String {
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

/// A whole page around `body` (already HTML), with a small shared style sheet.
pub fn page(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 1500);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body><main>\n{body}\n</main></body></html>\n",
        escape(title)
    );
    out
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;background:#f4f5f7;color:#1f2328;margin:0}\
main{max-width:42rem;margin:2.5rem auto;background:#fff;border:1px solid #d0d7de;border-radius:12px;padding:2rem}\
h1{font-size:1.5rem;margin-top:0}\
.badge{display:inline-block;font-size:.8rem;background:#fff8c5;border:1px solid #d4a72c;border-radius:2em;padding:.1rem .7rem}\
.muted{color:#656d76;font-size:.9rem}\
button,.button{display:inline-block;font:inherit;padding:.55rem 1.1rem;margin:.25rem .25rem .25rem 0;border-radius:6px;border:1px solid #d0d7de;background:#f6f8fa;color:inherit;text-decoration:none;cursor:pointer}\
button.primary,.button.primary{background:#1f883d;border-color:#1a7f37;color:#fff}\
.stack .button{display:block;text-align:center;margin:.5rem 0}\
input{font:inherit;padding:.5rem;border:1px solid #d0d7de;border-radius:6px;min-width:16rem}\
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:top}\
pre{background:#f6f8fa;border-radius:6px;padding:1rem;overflow:auto;font-size:.85rem}\
.error{background:#ffebe9;border:1px solid #ff8182;border-radius:6px;padding:1rem}\
.mail{border:1px solid #d0d7de;border-radius:8px;padding:1rem;margin:1rem 0}";
