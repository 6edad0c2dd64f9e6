// Autosave for a partner's step: saves to the server a moment after the partner stops
// typing or changes a choice. Nothing is kept in browser storage: until the server has
// the text it stays in the page, this script keeps trying (with growing pauses, and at
// once when the browser is back online), and leaving the page asks first. Without
// JavaScript the step's buttons save instead, so this is only a convenience.
const DELAY_MS = 1500;
const RETRY_MS = [2000, 5000, 10000, 20000, 30000];

// The words, in the page's language (surveys.views.partner.autosave_text).
const TEXT = JSON.parse(document.getElementById("autosave-text")?.textContent || "{}");
const fill = (text, values) =>
  (text || "").replace(/%\((\w+)\)s/g, (place, name) => (name in values ? values[name] : place));

const firstError = (errors) => {
  for (const messages of Object.values(errors || {})) {
    if (messages && messages.length) return messages[0];
  }
  return "";
};

for (const form of document.querySelectorAll("form[data-autosave-url]")) {
  const status = form.querySelector(".app-autosave-status");
  const version = form.querySelector("input[name=version]");
  let timer = null;
  let inFlight = false;
  let changedWhileSaving = false;
  // True from the first change until the server has stored exactly what is in the page.
  let unsaved = form.dataset.unsaved === "true";
  let failures = 0;
  let leaving = false;

  const say = (text, state) => {
    if (!status) return;
    status.textContent = text;
    status.dataset.state = state;
  };

  const retryLater = (reason) => {
    const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
    failures += 1;
    say(fill(TEXT.retrying, { reason, seconds: Math.round(wait / 1000) }), "error");
    clearTimeout(timer);
    timer = setTimeout(save, wait);
  };

  async function save() {
    clearTimeout(timer);
    if (inFlight) {
      changedWhileSaving = true;
      return;
    }
    if (!unsaved) return;
    inFlight = true;
    changedWhileSaving = false;
    let response;
    let data = null;
    try {
      response = await fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      });
      data = await response.json().catch(() => null);
    } catch {
      response = null;
    } finally {
      inFlight = false;
    }
    if (response === null) {
      retryLater(navigator.onLine === false ? TEXT.offline : TEXT.connection_failed);
      return;
    }
    const outcome = data && data.status;
    if (data && data.version !== undefined && version) version.value = data.version;
    if (outcome === "saved") {
      failures = 0;
      if (!changedWhileSaving) unsaved = false;
      say(fill(TEXT.saved, { time: data.saved_at }), "saved");
    } else if (outcome === "conflict") {
      say(TEXT.conflict, "error");
    } else if (outcome === "closed") {
      say(TEXT.closed, "error");
    } else if (outcome === "not_found") {
      say(TEXT.not_found, "error");
    } else if (outcome === "invalid") {
      let problem = data.message || firstError(data.errors) || TEXT.check_your_answer;
      if (!/[.!?]$/.test(problem)) problem += ".";
      const kept = data.version !== undefined;
      say(fill(kept ? TEXT.invalid_rating_kept : TEXT.invalid, { problem }), "error");
    } else {
      // 503 (the database), a proxy's error page, anything else: try again.
      retryLater(TEXT.not_answering);
      return;
    }
    if (changedWhileSaving) schedule();
  }

  function schedule() {
    unsaved = true;
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  // Saving with the buttons submits the form normally; cancel a pending autosave so the
  // two do not race for the same version, and do not ask before leaving.
  form.addEventListener("submit", () => {
    clearTimeout(timer);
    leaving = true;
  });
  window.addEventListener("online", () => {
    if (unsaved) save();
  });
  window.addEventListener("beforeunload", (event) => {
    if (unsaved && !leaving) {
      event.preventDefault();
      event.returnValue = ""; // older browsers need it set to show their question
    }
  });
  window.addEventListener("pageshow", () => {
    leaving = false; // back from the page the buttons led to (bfcache)
  });
  if (unsaved) save(); // a page that says the text is not saved yet
}
