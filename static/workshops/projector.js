// The projector refreshes itself every 2 seconds from room.json: how many have answered,
// the spread (only when the server says it may be shown) and approved comments. A new
// pre-condition (or the end) reloads the page, which carries its text. Without
// JavaScript, the page's "Refresh" link does the same.
const POLL_MS = 2000;

const root = document.querySelector("[data-room-url]");

const element = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

const spreadTable = (spread) => {
  const table = element("table", "govuk-table app-spread");
  table.append(element("caption", "govuk-table__caption govuk-table__caption--m", "The room's ratings"));
  const head = element("thead", "govuk-table__head");
  const headRow = element("tr", "govuk-table__row");
  const cols = [["Rating", ""], ["People", " govuk-table__header--numeric"], ["", ""]];
  for (const [label, extra] of cols) {
    const th = element("th", `govuk-table__header${extra}`);
    th.scope = "col";
    if (label) th.textContent = label;
    else th.append(element("span", "govuk-visually-hidden", "Share"));
    headRow.append(th);
  }
  head.append(headRow);
  const body = element("tbody", "govuk-table__body");
  for (const bar of spread) {
    const row = element("tr", "govuk-table__row");
    const th = element("th", "govuk-table__header", bar.label);
    th.scope = "row";
    const count = element("td", "govuk-table__cell govuk-table__cell--numeric", String(bar.count));
    const barCell = element("td", "govuk-table__cell app-spread__bar-cell");
    const fill = element("span", "app-spread__bar");
    fill.style.width = `${bar.percent}%`;
    barCell.append(fill);
    row.append(th, count, barCell);
    body.append(row);
  }
  table.append(head, body);
  return table;
};

const render = (room) => {
  const answered = document.getElementById("room-answered");
  const joined = document.getElementById("room-joined");
  if (answered) answered.textContent = String(room.answered);
  if (joined) joined.textContent = String(room.joined);
  const spread = document.getElementById("room-spread");
  if (spread) {
    spread.replaceChildren(
      room.spread ? spreadTable(room.spread) : element("p", "govuk-body-l", room.why_hidden),
    );
  }
  const comments = document.getElementById("room-comments");
  if (comments) {
    const items = room.comments.length
      ? room.comments.map((text) => {
          const li = element("li", "app-room-comment app-user-text", text);
          li.dir = "auto";
          return li;
        })
      : [element("li", "app-room-comment--none", "No comments on the screen yet.")];
    comments.replaceChildren(...items);
  }
};

if (root && root.dataset.state !== "ended") {
  const poll = async () => {
    try {
      const response = await fetch(root.dataset.roomUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const room = await response.json();
        if ((room.code || "") !== root.dataset.code || room.state !== root.dataset.state) {
          window.location.reload();
          return;
        }
        render(room);
      }
    } catch (error) {
      // A moment offline: the next tick tries again.
    }
    window.setTimeout(poll, POLL_MS);
  };
  window.setTimeout(poll, POLL_MS);
}
