// A phone follows the facilitator: every few seconds it asks which pre-condition the
// screen shows (state.json: the state and a code, nothing else). When that changes, the
// page reloads, unless the person has started changing their answer: then a banner links
// to the new pre-condition, so nothing they are typing is lost. Without JavaScript the
// page's own "Check for the next pre-condition" link does the same.
const POLL_MS = 3000;

const root = document.querySelector("[data-workshop-phone]");
if (root && root.dataset.state !== "ended") {
  const form = root.querySelector("form");
  let touched = false;
  if (form) {
    form.addEventListener("input", () => { touched = true; });
    form.addEventListener("change", () => { touched = true; });
    form.addEventListener("submit", () => { touched = true; });
  }
  const banner = root.querySelector(".app-workshop-moved");
  const poll = async () => {
    try {
      const response = await fetch(root.dataset.stateUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const state = await response.json();
        const moved = (state.code || "") !== root.dataset.code || state.state !== root.dataset.state;
        if (moved) {
          if (!touched) {
            window.location.assign(window.location.pathname);
            return;
          }
          if (banner) banner.hidden = false;
        }
      }
    } catch (error) {
      // Offline for a moment: try again at the next tick.
    }
    window.setTimeout(poll, POLL_MS);
  };
  window.setTimeout(poll, POLL_MS);
}
