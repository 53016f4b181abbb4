/* Glassbox colour theme: "auto" follows prefers-color-scheme; a reader's choice is remembered.
   Loaded synchronously in <head> so the page never flashes the wrong theme. */
(function () {
  "use strict";
  var KEY = "glassbox-theme";
  var saved = null;
  try { saved = localStorage.getItem(KEY); } catch (e) { /* storage blocked: stay on auto */ }
  if (saved === "light" || saved === "dark") document.documentElement.setAttribute("data-theme", saved);
  var LABELS = { auto: "Auto", light: "Light", dark: "Dark" };
  var NEXT = { auto: "light", light: "dark", dark: "auto" };
  function current() { return document.documentElement.getAttribute("data-theme") || "auto"; }
  function show(btn) {
    var mode = current();
    btn.querySelector(".theme-label").textContent = LABELS[mode];
    // The accessible name starts with the visible word, so speech users can say what they see.
    btn.setAttribute("aria-label", LABELS[mode] + " colour theme" + (mode === "auto" ? ", following your system" : "") + ". Activate to change.");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var btn = document.querySelector(".theme-toggle");
    if (!btn) return;
    show(btn);
    btn.addEventListener("click", function () {
      var mode = NEXT[current()];
      if (mode === "auto") document.documentElement.removeAttribute("data-theme");
      else document.documentElement.setAttribute("data-theme", mode);
      try { if (mode === "auto") localStorage.removeItem(KEY); else localStorage.setItem(KEY, mode); } catch (e) { /* ignore */ }
      show(btn);
    });
  });
})();
