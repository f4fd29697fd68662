/* Sparklines on the incidents list and the occurrences chart on an incident page, drawn
 * with the vendored uPlot from data-* attributes the server rendered (escaped there;
 * uPlot writes labels with textContent). Re-drawn after every htmx swap. */
(function () {
  "use strict";

  function numbers(text) {
    return (text || "").split(",").filter(function (v) { return v !== ""; }).map(Number);
  }

  function drawSparkline(el) {
    if (el.dataset.drawn || !window.uPlot) return;
    el.dataset.drawn = "1";
    var ys = numbers(el.dataset.series);
    var xs = ys.map(function (_, i) { return i; });
    el.setAttribute("role", "img");
    el.setAttribute("aria-label", el.dataset.label + ": " + ys.join(", "));
    new window.uPlot({
      width: 96, height: 24, class: "spark",
      cursor: { show: false }, legend: { show: false }, select: { show: false },
      scales: { x: { time: false }, y: { range: [0, Math.max(1, Math.max.apply(null, ys))] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: "#c53030", width: 1, fill: "rgba(197,48,48,0.15)" }]
    }, [xs, ys], el);
  }

  function drawChart(el) {
    if (el.dataset.drawn || !window.uPlot) return;
    el.dataset.drawn = "1";
    var xs = numbers(el.dataset.x);
    var ys = numbers(el.dataset.y);
    var series = [{}, { label: el.dataset.series || "Occurrences", stroke: "#c53030", fill: "rgba(197,48,48,0.15)", paths: window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [0.9] }) : undefined }];
    var data = [xs, ys];
    // A blueprint's chart: the expected band (at least so many per hour) as a line.
    if (el.dataset.band) {
      var band = Number(el.dataset.band);
      series.push({ label: "Expected at least", stroke: "#2f855a", width: 2, dash: [6, 4] });
      data.push(xs.map(function () { return band; }));
    }
    new window.uPlot({
      title: el.dataset.label,
      width: Math.max(300, el.clientWidth || 600), height: 200,
      series: series,
      axes: [{}, { label: "per hour" }]
    }, data, el);
  }

  function drawAll() {
    document.querySelectorAll(".sparkline").forEach(drawSparkline);
    document.querySelectorAll("#incident-chart, #blueprint-chart").forEach(drawChart);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSwap", drawAll);
  if (document.readyState !== "loading") drawAll();
})();
