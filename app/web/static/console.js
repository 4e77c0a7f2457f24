// The console's only script: confirmation dialogs and the live change feed. Written by hand;
// the pages work without it except for these two enhancements.
"use strict";

function openDialog(dialog, opener) {
  dialog.showModal();
  const cancel = dialog.querySelector(".cancel");
  if (cancel) cancel.onclick = () => { dialog.close(); opener.focus(); };
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.classList.contains("revoke")) {
    const dialog = document.getElementById("revoke-dialog");
    dialog.querySelector("input[name=event]").value = button.dataset.event;
    dialog.querySelector(".which").textContent = `${button.dataset.event} (${button.dataset.label})`;
    openDialog(dialog, button);
  } else if (button.dataset.dialog) {
    openDialog(document.getElementById(button.dataset.dialog), button);
  }
});

function text(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object" && "state" in value) return `${value.state} (${value.start || "-"} → ${value.end || "-"})`;
  if (typeof value === "object") return `${value.kind || value.type || ""} ${value.id || value.event_id || ""}`.trim();
  return String(value);
}

function utc(value) {
  return value ? `${value.replace("T", " ").replace("Z", "")} UTC` : "";
}

function followFeed() {
  const status = document.getElementById("feed-status");
  if (!status || !window.EventSource) return;
  const body = document.querySelector("#feed tbody");
  const rows = body.querySelectorAll("tr[data-seq]");
  const last = rows.length ? rows[rows.length - 1].dataset.seq : "";
  const source = new EventSource(status.dataset.stream + (last ? `?after=${encodeURIComponent(last)}` : ""));
  source.onopen = () => { status.textContent = "Live: new changes appear below as they are committed."; };
  source.onerror = () => { status.textContent = "The live feed is interrupted; reconnecting…"; };
  const onChange = (message) => {
    let change;
    try { change = JSON.parse(message.data); } catch { return; }
    const row = document.createElement("tr");
    row.dataset.seq = change.seq;
    for (const cell of [change.seq, utc(change.committed_at), change.contract_number, change.component,
                        change.kind, text(change.before), text(change.after), text(change.cause)]) {
      const td = document.createElement("td");
      td.textContent = cell === null || cell === undefined ? "" : String(cell);
      row.appendChild(td);
    }
    body.appendChild(row);
  };
  source.onmessage = onChange;  // unnamed events
  source.addEventListener("change", onChange);  // events named "change"
}

document.addEventListener("DOMContentLoaded", followFeed);
