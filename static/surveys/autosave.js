// Autosave for a partner's step: saves to the server a moment after the partner stops
// typing or changes a choice. Nothing is kept in browser storage: until the server has
// the text it stays in the page, this script keeps trying (with growing pauses, and at
// once when the browser is back online), and leaving the page asks first. Without
// JavaScript the step's buttons save instead, so this is only a convenience.
const DELAY_MS = 1500;
const RETRY_MS = [2000, 5000, 10000, 20000, 30000];

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
    say(
      `Not saved yet: ${reason}. Your text is still here, and we will try again in ` +
        `${Math.round(wait / 1000)} seconds.`,
      "error",
    );
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
      retryLater(navigator.onLine === false ? "there is no internet connection" : "the connection failed");
      return;
    }
    const outcome = data && data.status;
    if (data && data.version !== undefined && version) version.value = data.version;
    if (outcome === "saved") {
      failures = 0;
      if (!changedWhileSaving) unsaved = false;
      say(`Saved at ${data.saved_at}.`, "saved");
    } else if (outcome === "conflict") {
      say(
        "This answer was changed in another window or device. " +
          "Press 'Save and continue' to compare the two versions.",
        "error",
      );
    } else if (outcome === "closed") {
      say("The round has closed, so this answer could not be saved.", "error");
    } else if (outcome === "not_found") {
      say(
        "This link no longer works, so this answer could not be saved. Copy your text " +
          "somewhere safe and ask the person who invited you for the new link.",
        "error",
      );
    } else if (outcome === "invalid") {
      const problem = data.message || firstError(data.errors) || "please check your answer";
      const kept = data.version !== undefined ? " Your rating is saved." : "";
      say(`Not saved: ${problem}.${kept}`.replace("..", "."), "error");
    } else {
      // 503 (the database), a proxy's error page, anything else: try again.
      retryLater("the service is not answering");
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
