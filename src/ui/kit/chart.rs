//! A bar chart drawn as SVG in the page, with its figures in a table for
//! screen readers: the picture is for eyes, the table says the same.

use leptos::prelude::*;

/// One group of bars: its label and one value per series.
#[derive(Clone, Debug, PartialEq)]
pub struct BarGroup {
    pub label: String,
    pub values: Vec<i64>,
}

/// Width and height of the drawing in SVG units; it scales to its box.
const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 160.0;
/// Room under the bars for the group labels.
const LABEL_ROOM: f64 = 18.0;

/// Grouped bars, one colour per series, scaled to the largest value, with
/// a table of the same figures behind it (`value_text` writes each value).
#[component]
pub fn BarChart(
    /// What the chart shows: its caption.
    title: String,
    /// The series' names, in the order of each group's values.
    series: &'static [&'static str],
    groups: Vec<BarGroup>,
    value_text: fn(i64) -> String,
    testid: &'static str,
) -> impl IntoView {
    let largest = groups
        .iter()
        .flat_map(|group| group.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = WIDTH / groups.len().max(1) as f64;
    let bar = (slot * 0.8) / series.len().max(1) as f64;
    let plot = HEIGHT - LABEL_ROOM;
    let bars = groups.iter().enumerate().flat_map(|(at, group)| {
        group.values.iter().enumerate().map(move |(which, value)| {
            let height = (*value as f64 / largest * plot).max(if *value > 0 { 1.0 } else { 0.0 });
            let x = at as f64 * slot + slot * 0.1 + which as f64 * bar;
            view! {
                <rect
                    class=format!("bar series-{which}")
                    x=format!("{x:.1}")
                    y=format!("{:.1}", plot - height)
                    width=format!("{:.1}", (bar - 1.0).max(1.0))
                    height=format!("{height:.1}")
                ></rect>
            }
        })
    });
    let labels = groups.iter().enumerate().map(|(at, group)| {
        view! {
            <text class="bar-label" x=format!("{:.1}", at as f64 * slot + slot / 2.0) y=format!("{:.1}", HEIGHT - 4.0)>
                {group.label.clone()}
            </text>
        }
    });
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>{title}</figcaption>
            {(series.len() > 1).then(|| view! {
                <p class="chart-legend" aria-hidden="true">
                    {series.iter().enumerate().map(|(which, name)| view! {
                        <span class=format!("swatch series-{which}")></span>{*name}" "
                    }).collect_view()}
                </p>
            })}
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") aria-hidden="true" focusable="false">
                {bars.collect_view()}
                {labels.collect_view()}
            </svg>
            <table class="visually-hidden">
                <thead>
                    <tr>
                        <th scope="col"></th>
                        {series.iter().map(|name| view! { <th scope="col">{*name}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {groups.into_iter().map(|group| view! {
                        <tr>
                            <th scope="row">{group.label}</th>
                            {group.values.into_iter().map(|value| view! { <td>{value_text(value)}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}
