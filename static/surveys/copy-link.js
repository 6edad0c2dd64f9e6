// "Copy link" buttons (progressive enhancement): each copies the text of the input its
// data-copy-target names, and the page's status area announces "Link copied". Without
// JavaScript the buttons stay hidden and the link is selectable text.
const status = document.querySelector("[data-copy-status]");

function announce(text) {
  if (!status) return;
  // Emptied first, so the same words are announced again on a second copy.
  status.textContent = "";
  window.setTimeout(() => { status.textContent = text; }, 50);
}

async function copy(input) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(input.value);
      return true;
    }
  } catch (error) {
    // Refused (permissions): fall back to selecting the text.
  }
  input.focus();
  input.select();
  try {
    return document.execCommand("copy");
  } catch (error) {
    return false;
  }
}

for (const button of document.querySelectorAll("[data-copy-target]")) {
  const input = document.getElementById(button.dataset.copyTarget);
  if (!input) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const copied = await copy(input);
    announce(copied ? "Link copied" : "Could not copy: the link is selected, copy it with your keyboard");
    if (copied) button.focus();
  });
}
