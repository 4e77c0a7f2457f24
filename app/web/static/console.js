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
  if (typeof value === "object" && value.components) {
    return Object.entries(value.components).map(([name, t]) => `${name}: ${text(t)}`).join("; ");
  }
  if (typeof value === "object" && "state" in value) return `${value.state} (${value.start || "-"} → ${value.end || "-"})`;
  if (typeof value === "object") return `${value.kind || value.type || ""} ${value.id || value.event_id || ""}`.trim();
  return String(value);
}

function verdict(envelope) {
  if (!envelope) return "";
  return envelope.code && envelope.code !== envelope.status ? `${envelope.status} (${envelope.code})` : envelope.status;
}

function flipped(verdicts) {
  return (verdicts || []).map((v) => `${v.event_id}: ${verdict(v.previous)} → ${verdict(v.current)}`).join("; ");
}

function utc(value) {
  return value ? `${value.replace("T", " ").replace("Z", "")} UTC` : "";
}

function followFeed() {
  const status = document.getElementById("feed-status");
  if (!status || !status.dataset.stream || !window.EventSource) return;
  const root = status.dataset.stream.replace(/\/changes\/stream$/, "");
  const body = document.querySelector("#feed tbody");
  const rows = body.querySelectorAll("tr[data-seq]");
  const last = rows.length ? rows[rows.length - 1].dataset.seq : status.dataset.after;
  const source = new EventSource(status.dataset.stream + (last ? `?after=${encodeURIComponent(last)}` : ""));
  source.onopen = () => { status.textContent = "Live: new changes appear below as they are committed."; };
  source.onerror = () => { status.textContent = "The live feed is interrupted; reconnecting…"; };
  const onChange = (message) => {
    let change;
    try { change = JSON.parse(message.data); } catch { return; }
    const row = document.createElement("tr");
    row.dataset.seq = change.seq;
    for (const cell of [change.seq, utc(change.committed_at), change.contract_number, change.component,
                        change.kind, text(change.before), text(change.after), text(change.cause),
                        flipped(change.verdicts)]) {
      const td = document.createElement("td");
      td.textContent = cell === null || cell === undefined ? "" : String(cell);
      row.appendChild(td);
    }
    const link = document.createElement("a");  // the contract's cell opens its page, as on the server's rows
    link.href = `${root}/contracts/${encodeURIComponent(change.contract_number)}`;
    link.textContent = change.contract_number;
    row.children[2].replaceChildren(link);
    const empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    body.appendChild(row);
  };
  source.onmessage = onChange;  // unnamed events
  source.addEventListener("change", onChange);  // events named "change"
}

document.addEventListener("DOMContentLoaded", followFeed);
