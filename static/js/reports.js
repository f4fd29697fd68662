/* The report page's chart: executions started and failed per day, drawn with the vendored
 * uPlot from data-* attributes the server rendered (numbers and ISO dates only). */
(function () {
  "use strict";

  function list(text) {
    return (text || "").split(",").filter(function (v) { return v !== ""; });
  }

  function draw(el) {
    if (el.dataset.drawn || !window.uPlot) return;
    el.dataset.drawn = "1";
    var days = list(el.dataset.days);
    var started = list(el.dataset.started).map(Number);
    var failed = list(el.dataset.failed).map(Number);
    // Noon UTC of each day: the label is that calendar day in any browser zone.
    var xs = days.map(function (d) { return Date.parse(d + "T12:00:00Z") / 1000; });
    var sum = function (a) { return a.reduce(function (x, y) { return x + y; }, 0); };
    el.setAttribute("role", "img");
    el.setAttribute("aria-label", "Executions per day from " + days[0] + " to " + days[days.length - 1] +
      ": " + sum(started) + " started, " + sum(failed) + " failed");
    new window.uPlot({
      width: Math.max(280, el.clientWidth || 600), height: 200,
      scales: { x: { time: true }, y: { range: [0, Math.max(1, Math.max.apply(null, started))] } },
      tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), "UTC"); },
      series: [
        { value: function (u, v) { return v == null ? "—" : new Date(v * 1000).toISOString().slice(0, 10); } },
        { label: "Started", stroke: "#2b6cb0", fill: "rgba(43,108,176,0.12)" },
        { label: "Failed", stroke: "#c53030", fill: "rgba(197,48,48,0.15)" }
      ],
      axes: [{ values: function (u, splits) {
        return splits.map(function (s) { return new Date(s * 1000).toISOString().slice(5, 10); });
      } }, { label: "per day" }]
    }, [xs, started, failed], el);
  }

  function drawAll() { document.querySelectorAll("#report-chart").forEach(draw); }
  document.addEventListener("DOMContentLoaded", drawAll);
  if (document.readyState !== "loading") drawAll();
})();
