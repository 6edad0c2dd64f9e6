// Initialise GOV.UK Frontend components (an ES module, as govuk-frontend v6 ships).
// The body class it needs is set by govuk-supported.js.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
