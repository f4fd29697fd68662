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

  /* Times in the user's zone (the page names it) and the site's format, "07 Dec 2026,
   * 14:00", as every other date here; not the browser's locale ("12/1/26"). */
  function timeFormats(tz) {
    function parts(options) {
      var format = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: tz }, options));
      return function (seconds) {
        var out = {};
        format.formatToParts(new Date(seconds * 1000)).forEach(function (p) { out[p.type] = p.value; });
        return out;
      };
    }
    var date = parts({ day: "2-digit", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" });
    return {
      day: function (s) { var p = date(s); return p.day + " " + p.month; },
      time: function (s) { var p = date(s); return p.hour + ":" + p.minute; },
      full: function (s) { var p = date(s); return p.day + " " + p.month + " " + p.year + ", " + p.hour + ":" + p.minute + " " + p.timeZoneName; }
    };
  }

  function drawChart(el) {
    if (el.dataset.drawn || !window.uPlot) return;
    el.dataset.drawn = "1";
    var xs = numbers(el.dataset.x);
    var ys = numbers(el.dataset.y);
    var tz = el.dataset.tz || "UTC";
    var fmt = timeFormats(tz);
    var label = el.dataset.series || "Occurrences";
    if (xs.length && !el.hasAttribute("aria-label")) {
      el.setAttribute("role", "img");
      el.setAttribute("aria-label", label + " per hour from " + fmt.full(xs[0]) + " to " + fmt.full(xs[xs.length - 1]) +
        ": " + ys.reduce(function (a, b) { return a + b; }, 0) + " in all");
    }
    var series = [
      { value: function (u, v) { return v == null ? "—" : fmt.full(v); } },
      { label: label, stroke: "#c53030", fill: "rgba(197,48,48,0.15)", paths: window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [0.9] }) : undefined }
    ];
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
      // Ticks fall on the user's midnights and hours, not the browser's.
      tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), tz); },
      series: series,
      axes: [
        { values: function (u, splits, axisIdx, space, incr) {
          return splits.map(function (s) {
            var time = fmt.time(s);
            return incr >= 86400 || time === "00:00" ? fmt.day(s) : time;
          });
        } },
        { label: "per hour" }
      ]
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
