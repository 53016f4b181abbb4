/* Trainer: a transformer trained live on the reader's text. The loss curves, readouts and samples are
   placed where compute put them (the build draws the pre-rendered figure with this code too).

   Chunks: compute(params) with at = k returns the run after k steps, running at most `chunk` steps in one
   call (the run waits in the worker between calls). While the reader has not paused, drawing a result
   asks for the next one (result.next_at, result.chunk), so the page stays responsive and no call runs
   long. Train and Resume start asking, Pause stops, Reset asks for step 0; changing a setting of the
   model or the text stops the run and shows the new model untrained. Leaving the page pauses it: a page
   the browser kept comes back paused, a page loaded again has lost its run, and the note says which. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const runs = new WeakMap();   // figure -> {running, at, chunk, left}
  const KEEP = ["prompt"];      // settings that do not start a new run: the samples' prompt
  const LEFT = "glassbox-trainer-left";  // sessionStorage: this tab left the page while a run was going

  function run(el) {
    if (!runs.has(el)) {  // the pre-rendered run, as the page was built
      let built = { at: 0, chunk: 0 };
      try { built = JSON.parse(el.querySelector("script.widget-data").textContent).params; } catch (e) { /* none */ }
      runs.set(el, { running: false, at: built.at, chunk: built.chunk, left: false });
    }
    return runs.get(el);
  }

  // What is in no control: how far the run should be, and how many steps one call may take.
  function read(el) {
    const r = run(el);
    return { at: r.at, chunk: r.chunk };
  }

  // The runtime reads every control (and read()'s at and chunk) on an input event, as for any edit.
  function ask(el) {
    el.querySelector('[data-param="prompt"]').dispatchEvent(new Event("input", { bubbles: true }));
  }

  function chart(plot) {
    const box = T.svg("svg", { class: "trn-plot", viewBox: plot.viewbox, role: "img",
      "aria-label": "Training loss at every step and held-out loss every ten steps" });
    box.append(
      T.svg("line", { class: "trn-axis", x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.bottom }),
      T.svg("line", { class: "trn-axis", x1: plot.left, y1: plot.top, x2: plot.left, y2: plot.bottom }));
    for (const t of plot.y_ticks) {
      box.append(T.svg("line", { class: "trn-grid", x1: plot.left, y1: t.y, x2: plot.right, y2: t.y }),
        T.svg("text", { class: "trn-tick", x: plot.left, y: t.y, dx: -4, dy: 4, "text-anchor": "end" }, t.label));
    }
    for (const t of plot.x_ticks) {
      box.appendChild(T.svg("text", { class: "trn-tick", x: t.x, y: plot.bottom, dy: 14, "text-anchor": "middle" }, t.label));
    }
    box.append(
      T.svg("text", { class: "trn-tick", x: plot.right, y: plot.height, dy: -2, "text-anchor": "end" }, plot.x_name),
      T.svg("line", { class: "trn-uniform", x1: plot.left, y1: plot.uniform, x2: plot.right, y2: plot.uniform }),
      T.svg("text", { class: "trn-tick", x: plot.right, y: plot.uniform, dy: -4, "text-anchor": "end" }, plot.uniform_label),
      T.svg("polyline", { class: "trn-line trn-train", points: plot.train }),
      T.svg("polyline", { class: "trn-line trn-held", points: plot.held }));
    for (const d of plot.held_dots) box.appendChild(T.svg("circle", { class: "trn-dot", cx: d.x, cy: d.y, r: 3 }));
    return box;
  }

  function legend() {
    const list = T.el("ul", "trn-legend");
    for (const [cls, label] of [["trn-train", "training loss (each step's batch)"], ["trn-held", "held-out loss"]]) {
      const li = T.el("li");
      li.append(T.el("span", "trn-swatch " + cls), label);
      list.appendChild(li);
    }
    return list;
  }

  function readouts(rows) {
    const list = T.el("dl", "trn-readouts");
    for (const row of rows) list.append(T.el("dt", null, row.label), T.el("dd", null, row.value));
    return list;
  }

  function sampleLine(s) {
    const p = T.el("p", "trn-sample");
    p.append(T.el("span", "trn-sample-step", s.step + ": "), T.el("span", "trn-sample-prompt", s.prompt),
      T.el("span", "trn-sample-text", s.text));
    return p;
  }

  function figure(result) {
    const out = [];
    for (const note of result.notes) out.push(T.el("p", "tok-note", note));
    if (result.problem) {
      out.push(T.el("p", "trn-problem", result.problem), T.el("p", "trn-line-text", result.text_line));
      return out;
    }
    out.push(T.el("p", "trn-line-text", result.text_line), T.el("p", "trn-line-text", result.model_line),
      T.el("p", "trn-status" + (result.stopped ? " trn-stopped" : ""), result.status));
    const panel = T.el("div", "trn-panel");
    const left = T.el("div", "trn-chart");
    left.append(chart(result.plot), legend());
    const right = T.el("div", "trn-side");
    right.append(readouts(result.readouts), T.el("p", "trn-speed", result.measured ? result.measured.line
      : "Tokens per second are measured while it trains in your browser."));
    panel.append(left, right);
    out.push(panel);
    const now = T.el("div", "trn-now");
    now.append(T.el("p", "trn-head", "The model now writes (temperature 0.8):"), sampleLine(result.sample_now));
    out.push(now);
    const along = T.el("details", "trn-along");
    along.appendChild(T.el("summary", null, "Samples along the way"));
    for (const s of result.samples) along.appendChild(sampleLine(s));
    out.push(along);
    return out;
  }

  function showButtons(el, result) {
    const r = run(el);
    const go = el.querySelector(".trn-go");
    if (!go) return;  // mount makes them: the pre-rendered figure has none
    go.textContent = r.running ? "Pause" : result.step > 0 && !result.done ? "Resume" : "Train";
    go.disabled = Boolean(result.problem) || (result.done && !r.running);
    el.querySelector(".trn-reset").disabled = r.running;
    el.querySelector(".trn-console").disabled = r.running || Boolean(result.problem);
  }

  // sessionStorage's value of key (null if none or storage is blocked), then value stored there (null: removed).
  function remember(key, value) {
    try {
      const was = sessionStorage.getItem(key);
      if (value === null) sessionStorage.removeItem(key); else sessionStorage.setItem(key, value);
      return was;
    } catch (e) {
      return null;  // storage blocked: the note about a lost run is not shown
    }
  }

  function openConsole(code) {
    const root = document.getElementById("console");
    if (!root) return;
    root.open = true;
    root.dispatchEvent(new Event("toggle"));
    const input = root.querySelector(".console-input");
    input.value = code;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
    root.scrollIntoView({ block: "nearest" });
  }

  glassbox.widget("trainer", {
    read,

    mount(el, api) {
      const r = run(el);
      const actions = el.querySelector(".trn-actions");
      const go = T.el("button", "trn-go", "Train");
      go.type = "button";
      const reset = T.el("button", "trn-reset", "Reset");
      reset.type = "button";
      const toConsole = T.el("button", "trn-console", "Open the model in the console");
      toConsole.type = "button";
      const note = T.el("p", "trn-note");
      note.setAttribute("role", "status");
      actions.append(go, reset, toConsole, note);
      go.addEventListener("click", () => {
        const result = api.result;
        note.textContent = "";
        if (r.running) {
          r.running = false;        // the chunk in flight finishes and is drawn; nothing more is asked
          showButtons(el, result);
          return;
        }
        if (!result || result.problem || result.done) return;
        r.running = true;
        r.at = result.next_at;
        r.chunk = result.chunk;
        showButtons(el, result);
        ask(el);
      });
      reset.addEventListener("click", () => {
        r.running = false;
        r.at = 0;
        r.chunk = 0;
        note.textContent = "";
        ask(el);
      });
      toConsole.addEventListener("click", () => {
        if (api.result && api.result.console_code) openConsole(api.result.console_code);
      });
      // A new text, tokenizer, size, learning rate, run length or seed is a new model: it starts untrained.
      for (const c of el.querySelectorAll(".trn-controls [data-param]")) {
        if (KEEP.includes(c.dataset.param)) continue;
        c.addEventListener("input", () => { r.running = false; r.at = 0; r.chunk = 0; });
        c.addEventListener("change", () => { r.running = false; r.at = 0; r.chunk = 0; });
      }
      // Leaving the page stops asking for chunks. Coming back to a page the browser kept (back/forward
      // cache), the run is there, paused; to a page loaded again, the run is gone (it lived in the page's
      // worker): either way the note says so. The mark of a run left behind is this tab's sessionStorage.
      window.addEventListener("pagehide", () => {
        r.left = r.running;
        r.running = false;
        if (r.left) remember(LEFT, "1");
      });
      window.addEventListener("pageshow", (e) => {
        if (!e.persisted || !r.left) return;
        r.left = false;
        remember(LEFT, null);
        note.textContent = "The run paused when you left the page: press Resume to go on.";
        if (api.result) showButtons(el, api.result);
      });
      if (remember(LEFT, null)) {
        note.textContent = "The run you left stopped with the page: a run lives only while its page is open. " +
          "Press Train to start again.";
      }
    },

    draw(el, result, params) {
      const r = run(el);
      el.querySelector(".widget-output").replaceChildren(...figure(result));
      if (!params || params.at === undefined || !el.querySelector(".trn-go")) return;  // built, or not mounted
      r.at = result.step;
      if (result.problem || result.done) r.running = false;
      if (r.running) {
        r.at = result.next_at;
        r.chunk = result.chunk;
        ask(el);
      }
      showButtons(el, result);
    },
  });
})();
