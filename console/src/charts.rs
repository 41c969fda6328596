//! Bar charts as SVG markup, readable without colour: the second series is hatched, not just
//! another colour; every chart comes with a text summary (its accessible name) and the same
//! numbers as a table (the page shows both). Drawn as markup (no inline styles) so the console's
//! strict CSP holds; the stylesheet colours `.bar-0` and `.bar-1`.

use crate::i18n::Text;

/// One bar group: its label (a day, a snippet) and one value per series.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub values: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Unique on the page (for the hatch pattern's id).
    pub id: String,
    pub series: Vec<String>,
    pub rows: Vec<Row>,
    /// Values are shares (0 to 1), shown as percentages.
    pub percent: bool,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const AXIS: f64 = 16.0;

impl Chart {
    /// How a value reads in text.
    pub fn format(&self, value: f64) -> String {
        if self.percent { format!("{:.0} %", value * 100.0) } else { format!("{value:.0}") }
    }

    /// One sentence for screen readers and for anyone who cannot tell the bars apart: totals
    /// per series and where each peaks.
    pub fn summary(&self, text: &Text) -> String {
        if self.rows.is_empty() {
            return text.chart_no_data.to_owned();
        }
        let mut parts = Vec::new();
        for (index, name) in self.series.iter().enumerate() {
            let values = self.rows.iter().map(|row| row.values.get(index).copied().unwrap_or(0.0));
            let (peak_at, peak) = values
                .clone()
                .enumerate()
                .fold((0, f64::MIN), |best, (at, value)| if value > best.1 { (at, value) } else { best });
            let total: f64 = values.sum();
            let peak_label = &self.rows[peak_at].label;
            if self.percent {
                parts.push(format!("{name}: {} {} ({peak_label})", text.chart_highest, self.format(peak)));
            } else {
                parts.push(format!(
                    "{name}: {} {}, {} {} ({peak_label})",
                    self.format(total),
                    text.chart_in_all,
                    text.chart_most,
                    self.format(peak)
                ));
            }
        }
        parts.join("; ")
    }

    /// The chart as an `<svg>` element (the summary is its accessible name).
    pub fn svg(&self, text: &Text) -> String {
        let max = self.rows.iter().flat_map(|row| row.values.iter().copied()).fold(0.0_f64, f64::max);
        let max = if self.percent { 1.0 } else { max.max(1.0) };
        let groups = self.rows.len().max(1) as f64;
        let series = self.series.len().max(1) as f64;
        let group_width = WIDTH / groups;
        let bar_width = (group_width * 0.8 / series).max(1.0);
        let mut svg = format!(
            "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {}\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\">\
             <defs><pattern id=\"hatch-{id}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
             <rect class=\"hatch-ground\" width=\"6\" height=\"6\"/><line class=\"hatch-line\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke-width=\"3\"/></pattern></defs>\
             <line class=\"axis\" x1=\"0\" y1=\"{HEIGHT}\" x2=\"{WIDTH}\" y2=\"{HEIGHT}\"/>",
            HEIGHT + AXIS,
            escape(&self.summary(text)),
            id = escape(&self.id),
        );
        for (group, row) in self.rows.iter().enumerate() {
            for (index, value) in row.values.iter().enumerate() {
                let height = (value / max * HEIGHT).max(if *value > 0.0 { 1.0 } else { 0.0 });
                let x = group as f64 * group_width + group_width * 0.1 + index as f64 * bar_width;
                let fill =
                    if index == 1 { format!(" fill=\"url(#hatch-{})\"", escape(&self.id)) } else { String::new() };
                svg.push_str(&format!(
                    "<rect class=\"bar bar-{index}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar_width:.1}\" height=\"{height:.1}\"{fill}>\
                     <title>{}: {} {}</title></rect>",
                    HEIGHT - height,
                    escape(&row.label),
                    self.format(*value),
                    escape(self.series.get(index).map_or("", String::as_str)),
                ));
            }
        }
        svg.push_str("</svg>");
        svg
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn chart() -> Chart {
        Chart {
            id: "opened".into(),
            series: vec!["Opens".into(), "Views".into()],
            rows: vec![
                Row { label: "2026-12-01".into(), values: vec![3.0, 5.0] },
                Row { label: "2026-12-02".into(), values: vec![7.0, 2.0] },
            ],
            percent: false,
        }
    }

    #[test]
    fn the_summary_says_totals_and_peaks_in_words() {
        let text = Lang::En.text();
        assert_eq!(
            chart().summary(text),
            "Opens: 10 in all, most 7 (2026-12-02); Views: 7 in all, most 5 (2026-12-01)"
        );
        let shares = Chart {
            percent: true,
            series: vec!["Helpful".into()],
            rows: vec![Row { label: "VAT".into(), values: vec![0.75] }],
            ..chart()
        };
        assert_eq!(shares.summary(text), "Helpful: highest 75 % (VAT)");
    }

    #[test]
    fn an_empty_chart_still_says_something() {
        let empty = Chart { rows: Vec::new(), ..chart() };
        assert_eq!(empty.summary(Lang::De.text()), "Keine Daten in diesem Zeitraum");
        assert!(empty.svg(Lang::En.text()).contains("aria-label=\"No data in this period\""));
    }

    #[test]
    fn the_second_series_is_hatched_and_labels_are_escaped() {
        let mut chart = chart();
        chart.rows[0].label = "<script>\"x\"</script>".into();
        let svg = chart.svg(Lang::En.text());
        assert_eq!(svg.matches("class=\"bar bar-1\"").count(), 2);
        assert_eq!(svg.matches("fill=\"url(#hatch-opened)\"").count(), 2);
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("style="), "no inline styles under the console's CSP");
        assert!(svg.contains("role=\"img\" aria-label=\"Opens: 10 in all"));
    }
}
