#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Renders a realistic weekly report to HTML and Markdown and checks their structure.
//!
//! With `ESCALATION_REPORT_HTML_OUT=PATH` the HTML is also written to PATH, and the HTML of an
//! empty week beside it (`report.html` → `report-empty.html`), where
//! `tests/browser/check_report.mjs` (`make browser-test`) opens them in headless Chromium.

mod report_fixture;

use std::path::{Path, PathBuf};

use report_fixture::{empty_report, sample_report, ticket_url};

/// Where `ESCALATION_REPORT_HTML_OUT` asks for the HTML, and the path beside it for the
/// empty week.
fn html_out() -> Option<(PathBuf, PathBuf)> {
    let path = PathBuf::from(std::env::var_os("ESCALATION_REPORT_HTML_OUT")?);
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let ext = path
        .extension()
        .map_or("html".into(), |e| e.to_string_lossy().into_owned());
    let empty = path.with_file_name(format!("{stem}-empty.{ext}"));
    Some((path, empty))
}

fn write(path: &Path, html: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, html).unwrap();
    eprintln!("wrote {}", path.display());
}

#[test]
fn html_report_is_one_self_contained_page() {
    let report = sample_report();
    let html = report.to_html();

    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert_eq!(html.matches("<style>").count(), 1);
    assert!(html.contains("@media print"));
    assert!(html.trim_end().ends_with("</html>"));
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("<img") && !html.contains("<link") && !html.contains("url("));

    // Exactly the ten ticket links leave the page (the tenth ticket has no URL).
    let mut rest = html.clone();
    for ticket in &report.slowest {
        if let Some(url) = &ticket.url {
            let link = format!("<a href=\"{url}\">#{}</a>", ticket.id);
            assert!(rest.contains(&link), "missing {link}");
            rest = rest.replace(&link, "");
        }
    }
    assert!(
        !rest.contains("http:") && !rest.contains("https:"),
        "an external URL is left"
    );
    assert!(!html.contains(&ticket_url(48_210 + 9 * 37)));
    assert!(
        html.contains("<td class=\"nowrap\">#48543</td>"),
        "a ticket without URL is plain text"
    );

    // Four charts, each sized, titled and with a view box.
    let svgs: Vec<&str> = html.split("<svg ").skip(1).collect();
    assert_eq!(svgs.len(), 4);
    for svg in &svgs {
        let open = &svg[..svg.find('>').unwrap()];
        for attribute in ["width=\"", "height=\"", "viewBox=\"0 0 "] {
            assert!(
                open.contains(attribute),
                "{attribute} missing in <svg {open}>"
            );
        }
        assert!(svg.contains("<title id=\"chart-"));
        assert!(svg.contains("class=\"axis-label\""), "an axis label");
    }
    // One bar per week of history, per category and week, per priority and split (plus the
    // overall split), per root cause.
    let rects = |svg: &str| svg[..svg.find("</svg>").unwrap()].matches("<rect ").count();
    assert_eq!(rects(svgs[0]), 12 + 2, "12 weeks and two legend swatches");
    assert_eq!(
        rects(svgs[1]),
        6 * 2 + 2,
        "6 categories × 2 weeks and two legend swatches"
    );
    assert_eq!(rects(svgs[2]), 5, "5 root causes");
    assert_eq!(
        rects(svgs[3]),
        5 * 2 + 2,
        "overall and P1–P4 × 2 and two legend swatches"
    );

    // Figures a support lead checks first.
    assert!(
        html.contains("<span class=\"value\">4.2 %</span>"),
        "9 / 212 breaches"
    );
    assert!(html.contains("<td>login &amp; sso</td>"));
    assert!(
        html.contains("<td class=\"num up\">+83 %</td>"),
        "billing 6 → 11"
    );
    assert!(
        html.contains("<td class=\"num up\">new</td>"),
        "mobile app 0 → 3"
    );
    assert!(
        html.contains("<td class=\"num down\">\u{2212}50 %</td>"),
        "onboarding 2 → 1"
    );
    assert!(html.contains("jumped +150 % in a week"));
    assert!(html.contains("Mon 23 Nov \u{2013} Sun 29 Nov 2026"));
    assert!(html.contains("&quot;seat limit reached&quot;"));
    for bad in ["NaN", "inf<", "Infinity"] {
        assert!(!html.contains(bad), "{bad}");
    }

    if let Some((path, _)) = html_out() {
        write(&path, &html);
    }
}

#[test]
fn empty_week_renders_no_data_charts_and_one_line_sections() {
    let html = empty_report().to_html();
    assert_eq!(
        html.matches("<svg ").count(),
        4,
        "every chart is still drawn"
    );
    assert_eq!(
        html.matches("<text class=\"note\"").count(),
        4,
        "each says why it is empty"
    );
    for line in [
        "No SLA clock ended this week.",
        "No pages this week.",
        "No recurring patterns this week.",
        "No tickets were resolved this week.",
        "No data: the report has no history.",
    ] {
        assert!(html.contains(line), "{line}");
    }
    assert!(!html.contains("<table"), "no empty table");
    assert!(!html.contains("NaN") && !html.contains("inf<"));
    assert!(html.contains("Mon 4 Jan \u{2013} Sun 10 Jan 2027"));

    if let Some((_, empty)) = html_out() {
        write(&empty, &html);
    }
}

#[test]
fn markdown_report_has_every_section() {
    let markdown = sample_report().to_markdown();
    for heading in [
        "# Weekly escalation report \u{2014} acme-eu, 2026-W48",
        "## Summary",
        "## Escalations and breaches per week",
        "## SLA targets",
        "## Top categories",
        "## Customer segments",
        "## Recurring patterns",
        "## On-call pages",
        "## Root causes of escalated tickets",
        "## Resolution time (ART)",
        "### By category",
        "### By customer tier",
        "### By priority",
        "### By team",
        "### By channel",
        "## Slowest tickets",
    ] {
        assert!(
            markdown.lines().any(|l| l == heading),
            "{heading} missing in\n{markdown}"
        );
    }
    assert!(markdown.contains("| [#48210](https://support.example.com/tickets/48210) | Invoice shows VAT twice for EU customers | billing | P1 | 2 d 14 h | 7 d 23 h | yes |"), "{markdown}");
    assert!(markdown.contains("| Dana Whitfield | 5 | 2 | 5 | 7 m 40 s |"));
    assert!(markdown.contains("| platform-oncall | 1 | 3 | 0 | \u{2013} |"));
    assert!(markdown.contains("| product bug | 7 | 36.8 % |"));
    assert!(
        markdown.contains("| api | 4 | 4 | 0 % |"),
        "unchanged reads 0 %"
    );
    assert!(markdown.contains("| mobile app | 3 | 0 | new |"));
    // Every table row has as many cells as its header.
    let mut columns = None;
    for line in markdown.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let cells = line.replace("\\|", "").matches('|').count();
        let expected = *columns.get_or_insert(cells);
        assert_eq!(cells, expected, "ragged row: {line}");
    }
}
