// The plotly.js traces the reports draw, and nothing else: the full bundle is 4.8 MB
// (1.1 MB brotli) of which the report pages use a small part. reports/charts.py makes only
// these trace types; tests/test_plotly_bundle.py checks the two lists agree.
var Plotly = require("plotly.js/lib/core");

Plotly.register([
  require("plotly.js/lib/bar"),
  require("plotly.js/lib/barpolar"),
  require("plotly.js/lib/scatterpolar"),
]);

module.exports = Plotly;
