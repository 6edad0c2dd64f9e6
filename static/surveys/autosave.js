// Autosave for a partner's step: saves to the server a moment after the partner stops
// typing or changes a choice. Nothing is kept in browser storage. Without JavaScript the
// step's buttons save instead, so this is only a convenience.
const DELAY_MS = 1500;

for (const form of document.querySelectorAll("form[data-autosave-url]")) {
  const status = form.querySelector(".app-autosave-status");
  const version = form.querySelector("input[name=version]");
  let timer = null;
  let inFlight = null;
  let dirty = false;

  const say = (text) => {
    if (status) status.textContent = text;
  };

  async function save() {
    if (inFlight) {
      dirty = true;
      return;
    }
    dirty = false;
    const body = new FormData(form);
    inFlight = fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    });
    try {
      const response = await inFlight;
      const data = await response.json();
      if (data.status === "saved") {
        version.value = data.version;
        say(`Saved at ${data.saved_at}.`);
      } else if (data.status === "conflict") {
        say(
          "This answer was changed in another window or device. " +
            "Press 'Save and continue' to compare the two versions.",
        );
      } else if (data.status === "closed") {
        say("The round has closed, so this answer could not be saved.");
      } else if (data.status === "error") {
        say(
          "Sorry, your answer was not saved: the service had a problem. Your text is still " +
            "here: press 'Save and continue' to try again.",
        );
      } else {
        say("Not saved yet: please check your answer, then press 'Save and continue'.");
      }
    } catch {
      say("Could not save just now. Your text is still here: press 'Save and continue' to try again.");
    } finally {
      inFlight = null;
      if (dirty) save();
    }
  }

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  // Saving with the buttons submits the form normally; cancel a pending autosave so the
  // two do not race for the same version.
  form.addEventListener("submit", () => clearTimeout(timer));
}
