//! `spend.svg`: cumulative spend over the flood, antirelou against a naive
//! responder, with the caps drawn. Two panels: to scale on the left (the
//! naive bill dwarfs everything), zoomed on antirelou on the right (where
//! the caps are). Text is SVG `<text>`: no font files needed.

use antirelou_domain::Money;
use plotters::prelude::*;

use crate::report::{hours, Report};
use crate::SimError;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 640;
const NAIVE: RGBColor = RGBColor(200, 40, 40);
const ANTIRELOU: RGBColor = RGBColor(20, 110, 60);
const DAILY_CAP: RGBColor = RGBColor(200, 120, 0);
const MONTHLY_CAP: RGBColor = RGBColor(90, 60, 160);

/// The chart of `report` as SVG text.
pub fn spend_svg(report: &Report) -> Result<String, SimError> {
    let mut svg = String::new();
    draw(report, &mut svg).map_err(|e| SimError::Chart(e.to_string()))?;
    Ok(svg)
}

fn draw(report: &Report, svg: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let (title_area, body) = root.split_vertically(70);
    let c = &report.currency;
    let calls = report.channel == "call";
    let (messages, senders, naive_name, replies) = if calls {
        ("calls", "callers", "naive answering machine", "answered calls")
    } else {
        ("messages", "senders", "naive responder", "replies")
    };
    title_area.draw(&Text::new(
        format!(
            "Flood \"{}\": {} {messages} from {} {senders} over {}",
            report.scenario,
            report.messages,
            report.distinct_senders,
            hours(report.duration_seconds)
        ),
        (20, 12),
        ("sans-serif", 26).into_font().color(&BLACK),
    ))?;
    title_area.draw(&Text::new(
        format!(
            "A {naive_name} pays {c} {}; antirelou paid {c} {} ({:.2} %) and answered {} of {} genuine {senders}.",
            report.naive_spend,
            report.spend,
            report.spend_vs_naive * 100.0,
            report.genuine_answered,
            report.genuine_senders
        ),
        (20, 44),
        ("sans-serif", 18).into_font().color(&RGBColor(60, 60, 60)),
    ))?;
    let (left, right) = body.split_horizontally(WIDTH / 2);

    let last_seconds = report.curve.last().map_or(0.0, |p| p.seconds);
    let x_max = (last_seconds.max(report.duration_seconds as f64) / 3_600.0).max(1.0 / 60.0);
    let major = |micros: i64| Money::from_micros(micros).as_major_f64();
    let naive_max = major(report.naive_spend_micros).max(1.0);
    let antirelou: Vec<(f64, f64)> =
        report.curve.iter().map(|p| (p.seconds / 3_600.0, major(p.antirelou_micros))).collect();
    let naive: Vec<(f64, f64)> = report.curve.iter().map(|p| (p.seconds / 3_600.0, major(p.naive_micros))).collect();
    let caps: Vec<(String, f64, RGBColor)> = [
        (report.daily_cap_micros, "number daily cap", DAILY_CAP),
        (report.monthly_cap_micros, "tenant monthly cap", MONTHLY_CAP),
    ]
    .into_iter()
    .filter_map(|(cap, name, color)| {
        cap.map(|m| (format!("{name} ({c} {})", antirelou_domain::Money::from_micros(m)), major(m), color))
    })
    .collect();

    // Left: to scale.
    let mut chart = ChartBuilder::on(&left)
        .caption(format!("To scale: {naive_name} vs antirelou"), ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(46)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..x_max, 0.0..naive_max * 1.08)?;
    chart
        .configure_mesh()
        .x_desc("hours since the flood began")
        .y_desc(format!("cumulative spend ({c})"))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .light_line_style(WHITE.mix(0.0))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    chart
        .draw_series(LineSeries::new(naive.iter().copied(), NAIVE.stroke_width(3)))?
        .label(format!("{naive_name}: {c} {}", report.naive_spend))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], NAIVE.stroke_width(3)));
    chart
        .draw_series(LineSeries::new(antirelou.iter().copied(), ANTIRELOU.stroke_width(4)))?
        .label(format!("antirelou: {c} {}", report.spend))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], ANTIRELOU.stroke_width(4)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()?;

    // Right: zoomed on antirelou and the caps.
    let zoom_max = caps
        .iter()
        .map(|(_, v, _)| *v)
        .chain(std::iter::once(major(report.spend_micros)))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.2;
    let mut zoom = ChartBuilder::on(&right)
        .caption("Zoom: antirelou's spend and its caps", ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(46)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, 0.0..zoom_max)?;
    zoom.configure_mesh()
        .x_desc("hours since the flood began")
        .y_desc(format!("cumulative spend ({c})"))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .light_line_style(WHITE.mix(0.0))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    for (label, value, color) in &caps {
        let color = *color;
        zoom.draw_series(DashedLineSeries::new(vec![(0.0, *value), (x_max, *value)], 10, 6, color.stroke_width(2)))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2)));
    }
    zoom.draw_series(LineSeries::new(antirelou.iter().copied(), ANTIRELOU.stroke_width(4)))?
        .label(format!("antirelou: {c} {} ({} {replies})", report.spend, report.replies))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], ANTIRELOU.stroke_width(4)));
    let naive_clipped: Vec<(f64, f64)> = naive.iter().copied().take_while(|(_, y)| *y <= zoom_max).collect();
    zoom.draw_series(LineSeries::new(naive_clipped, NAIVE.stroke_width(2)))?
        .label(format!("{naive_name} (leaves the chart)"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], NAIVE.stroke_width(2)));
    zoom.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    root.present()?;
    Ok(())
}
