// First thing in <body>, so components are styled for JavaScript before the first paint.
// External rather than inline, so the Content Security Policy can forbid inline scripts.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
