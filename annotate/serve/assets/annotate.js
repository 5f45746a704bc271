// annotate serve: tells the annotator why a labeling session ended (textual.js only says "closed").
// Loaded before textual.js: it wraps the browser's WebSocket to read the close code and reason the
// server sends (4001 the app stopped by itself, 4002 too many sessions, 4003 signed out) and the
// app's last error line, and shows them in the page's "ended" panel.
"use strict";
(function () {
  const Native = window.WebSocket;
  let lastError = "";

  function explain(code, reason) {
    const saved = " Every label you saw on screen is saved.";
    if (code === 4001) return ["The labeling session stopped unexpectedly (" + reason + ")." + saved, lastError, "again"];
    if (code === 4002) return [reason, "", "again"];
    if (code === 4003) return ["You are signed out (" + reason + ")." + saved, "", "login"];
    if (code === 1000) return ["The session ended." + saved, "", "again"];
    return ["The connection to the server was lost." + saved, "", "again"];
  }

  function showEnded(code, reason) {
    const [message, detail, next] = explain(code, reason);
    document.getElementById("ended-message").textContent = message;
    document.getElementById("ended-detail").textContent = detail;
    const button = document.getElementById("restart");
    button.textContent = next === "login" ? "Log in" : "Start again";
    button.dataset.next = next;
    document.body.classList.add("-closed");
  }

  function Wrapped(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      try {
        const packet = JSON.parse(event.data);
        if (packet[0] === "annotate_error") lastError = packet[1].message || "";
      } catch (error) { /* not ours */ }
    });
    socket.addEventListener("close", (event) => showEnded(event.code, event.reason));
    return socket;
  }
  Wrapped.prototype = Native.prototype;
  for (const name of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Wrapped[name] = Native[name];
  window.WebSocket = Wrapped;

  // textual.js sizes the terminal when the page has loaded; the font must be ready by then, or the
  // rows are measured with a fallback font and the bottom line falls off the window.
  window.addEventListener("DOMContentLoaded", () => {
    const start = window.onload;
    if (typeof start === "function") {
      window.onload = (event) => {
        document.fonts.load('16px "Roboto Mono"').catch(() => null).then(() => start(event));
      };
    }
    document.getElementById("restart").addEventListener("click", (event) => {
      if (event.target.dataset.next === "login") window.location.assign("/login");
      else window.location.reload();
    });
  });
})();
