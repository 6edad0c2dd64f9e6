// Draws the report's plotly charts and runs the chart switcher.
// Each chart's figure is in a <script type="application/json"> (Django's json_script) named
// by the div's data-figure attribute, so the page needs no inline script (strict CSP).
// Without JavaScript the text alternatives and tables carry the same numbers, and the
// switcher is a plain GET form.
(function () {
  "use strict";

  var NARROW = 560; // px: a phone, or a narrow column

  function draw(el) {
    if (el.getAttribute("data-drawn") || !window.Plotly) return;
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source) return;
    var fig = JSON.parse(source.textContent);
    var narrow = el.clientWidth < NARROW;
    if (narrow) fitToNarrowScreen(fig.layout);
    // On a phone plotly's toolbar sat over the chart's top and reserved a blank band;
    // zooming and panning a radar is of little use there, so it is left out.
    var config = { responsive: true, displaylogo: false, displayModeBar: narrow ? false : "hover" };
    window.Plotly.newPlot(el, fig.data, fig.layout, config);
    el.setAttribute("data-drawn", "true");
  }

  // On a phone the radar's long axis labels do not fit: label the spokes with their codes
  // (A to I) and narrow the margins; the chart's title, which plotly cannot wrap, is left
  // to the heading above it. The table beside each chart names everything in full.
  function codeOf(label) {
    return String(label).split(".")[0];
  }

  function fitToNarrowScreen(layout) {
    if (layout.title) {
      delete layout.title;
      layout.margin = Object.assign({}, layout.margin, { t: 30 });
    }
    // A dot plot: pre-conditions by their codes, the scale by its numbers.
    if (layout.yaxis && layout.yaxis.ticktext && layout.xaxis && layout.xaxis.ticktext) {
      layout.yaxis.ticktext = layout.yaxis.ticktext.map(codeOf);
      layout.xaxis.ticktext = layout.xaxis.tickvals.map(String);
      layout.xaxis.title = { text: "Median" };
      layout.margin = Object.assign({}, layout.margin, { l: 10, r: 10 });
    }
    var axis = layout.polar && layout.polar.angularaxis;
    if (!axis || !axis.categoryarray) return;
    axis.tickvals = axis.categoryarray;
    axis.ticktext = axis.categoryarray.map(codeOf);
    layout.margin = Object.assign({}, layout.margin, { l: 30, r: 30 });
    layout.height = Math.min(layout.height || 680, 460);
  }

  function drawVisible(root) {
    var charts = (root || document).querySelectorAll(".app-chart[data-figure]");
    Array.prototype.forEach.call(charts, function (el) {
      if (!el.closest("[hidden]")) draw(el);
    });
  }

  function initSwitcher(form) {
    var panels = document.querySelectorAll("[data-chart-panel]");
    var status = document.querySelector("[data-chart-status]");
    if (!panels.length) return;

    function chosenKey() {
      var view = form.querySelector("input[name=view]:checked");
      var system = form.querySelector("select[name=system]");
      var kind = view ? view.value : "systems";
      if (kind === "systems") return { key: "systems", kind: kind, system: system ? system.value : "" };
      return { key: kind + ":" + (system ? system.value : ""), kind: kind, system: system ? system.value : "" };
    }

    function show(event) {
      var choice = chosenKey();
      var target = null;
      Array.prototype.forEach.call(panels, function (panel) {
        if (panel.getAttribute("data-chart-panel") === choice.key) target = panel;
      });
      if (!target) return; // let the form submit and the server decide
      if (event) event.preventDefault();
      Array.prototype.forEach.call(panels, function (panel) {
        panel.hidden = panel !== target;
      });
      drawVisible(target);
      var params = new URLSearchParams({ view: choice.kind });
      if (choice.system) params.set("system", choice.system);
      window.history.replaceState(null, "", "?" + params.toString() + "#chart-switcher");
      if (status) {
        var heading = target.querySelector("h3");
        status.textContent = "Showing: " + (heading ? heading.textContent : "");
      }
    }

    form.addEventListener("change", show);
    form.addEventListener("submit", show);
  }

  // Fit drawn charts to the page width when printing ("Save as PDF"), then back.
  function resizeAll() {
    if (!window.Plotly) return;
    Array.prototype.forEach.call(document.querySelectorAll(".app-chart[data-drawn]"), function (el) {
      window.Plotly.Plots.resize(el);
    });
  }
  // Printing: every "What people said" is printed open (a closed <details> prints only its
  // summary line), then put back as the reader left it.
  var openedForPrint = [];
  function openForPrint() {
    openedForPrint = Array.prototype.filter.call(
      document.querySelectorAll("details.app-evidence:not([open])"),
      function (details) { details.open = true; return true; }
    );
    resizeAll();
  }
  function closeAfterPrint() {
    openedForPrint.forEach(function (details) { details.open = false; });
    openedForPrint = [];
    resizeAll();
  }
  window.addEventListener("beforeprint", openForPrint);
  window.addEventListener("afterprint", closeAfterPrint);

  drawVisible(document);
  Array.prototype.forEach.call(
    document.querySelectorAll("form[data-module=app-chart-switcher]"),
    initSwitcher
  );
})();
