/* Glassbox in-page Python console: runs in the page's worker, with llm_core imported.
   Enter runs, Shift+Enter adds a line, ArrowUp/ArrowDown walk the history (from the first/last line). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("console");
    if (!root || !window.glassbox) return;
    const log = root.querySelector(".console-log");
    const form = root.querySelector(".console-form");
    const input = root.querySelector(".console-input");
    const run = root.querySelector(".console-run");
    const status = root.querySelector(".console-status");
    const history = [];
    let cursor = 0;
    let draft = "";

    function entry(kind, text) {
      const pre = document.createElement("pre");
      pre.className = "console-" + kind;
      pre.textContent = text;
      log.appendChild(pre);
      while (log.childNodes.length > 400) log.removeChild(log.firstChild);
      log.scrollTop = log.scrollHeight;
    }

    function fit() {
      input.rows = Math.min(12, Math.max(1, input.value.split("\n").length));
    }

    // Open the console when the header link is followed.
    document.querySelectorAll('a[href="#console"]').forEach((a) => a.addEventListener("click", () => {
      root.open = true;
      setTimeout(() => input.focus(), 0);
    }));

    // Python starts with the page's widgets; on a page without any, when the console is first opened.
    let waiting = false;
    function whenPythonReady() {
      if (waiting) return;
      waiting = true;
      status.textContent = "Loading Python in your browser…";
      window.glassbox.ready.then(() => {
        input.disabled = false;
        run.disabled = false;
        status.textContent = "Ready: Python " + "with llm_core, in this page's worker.";
      }, (err) => {
        status.textContent = "The console is unavailable: " + err.message;
      });
    }
    if (window.glassbox.started) whenPythonReady();
    else status.textContent = "Python starts when you open the console.";
    root.addEventListener("toggle", () => { if (root.open) whenPythonReady(); });

    async function submit() {
      const code = input.value;
      if (!code.trim()) return;
      history.push(code);
      cursor = history.length;
      draft = "";
      input.value = "";
      fit();
      entry("input", code.split("\n").map((l, i) => (i ? "... " : ">>> ") + l).join("\n"));
      run.disabled = true;
      status.textContent = "Running…";
      try {
        const out = await window.glassbox.repl(code);
        if (out.stdout) entry("stdout", out.stdout.replace(/\n$/, ""));
        if (out.result !== null) entry("result", out.result);
        if (out.error) entry("error", out.error.replace(/\n$/, ""));
        status.textContent = "Ready.";
      } catch (err) {
        entry("error", String(err.message || err));
        status.textContent = "The worker could not run that.";
      } finally {
        run.disabled = false;
        input.focus();
      }
    }

    form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
    input.addEventListener("input", fit);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        submit();
        return;
      }
      const before = input.value.slice(0, input.selectionStart);
      const after = input.value.slice(input.selectionEnd);
      if (e.key === "ArrowUp" && !before.includes("\n") && cursor > 0) {
        e.preventDefault();
        if (cursor === history.length) draft = input.value;
        cursor -= 1;
        input.value = history[cursor];
        fit();
      } else if (e.key === "ArrowDown" && !after.includes("\n") && cursor < history.length) {
        e.preventDefault();
        cursor += 1;
        input.value = cursor === history.length ? draft : history[cursor];
        fit();
      }
    });
  });
})();
