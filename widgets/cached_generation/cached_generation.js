/* Cached generation: redraws both token sequences, the verdict, the per-step table, the cache-size bars and, live
   only, the times measured in this browser (result.measured) from compute's result. The build draws the
   pre-rendered figure with this code too, plus the time columns and chart the static page cannot have. With the
   compare box unticked, the run without the cache did not happen (result.tokens_uncached is null): a line says so
   in its place, and the times show the cached run alone. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  const svg = window.glassboxTokens.svg;

  function chips(list, label, prompt, more) {
    const box = T.chipGroup("cg-text", label);
    const add = (c, cls) => {
      const node = T.el("span", cls);
      node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
      box.appendChild(node);
      if (c.nl) box.appendChild(T.el("span", "tok-br"));
    };
    if (prompt) {
      if (more) box.appendChild(T.el("span", "cg-more", "…"));
      for (const c of prompt) add(c, "tok cg-prompt-tok");
    }
    for (const c of list) add(c, "tok tok-c" + c.colour + " tok-new");
    return box;
  }

  function verdict(r) {
    const p = T.el("p", "cg-verdict");
    p.append(T.el("strong", null, r.verdict[0]), r.verdict[1]);
    return p;
  }

  function table(r) {
    const m = r.measured, raced = Boolean(m && m.ms_uncached);
    const wrap = T.region("cg-table-box", "Work per step");
    const t = T.el("table", "cg-table");
    const heads = ["step", "phase", "positions run, with cache", "positions run, without", "cache holds", "cache bytes"];
    if (m) heads.push("time with cache");
    if (raced) heads.push("time without");
    const body = T.el("tbody");
    r.steps.forEach((s, k) => {
      const tr = T.el("tr");
      const cells = [s.step, s.phase, s.fed, s.fed_uncached, s.cache_positions, s.cache_bytes_text];
      if (m) cells.push(m.text.cached[k]);
      if (raced) cells.push(m.text.uncached[k]);
      for (const c of cells) tr.appendChild(T.el("td", null, c));
      body.appendChild(tr);
    });
    const foot = T.el("tr");
    const th = T.th("total", "row");
    th.colSpan = 2;
    foot.append(th, T.el("td", null, r.positions_cached), T.el("td", null, r.positions_uncached), T.el("td"), T.el("td"));
    if (m) foot.append(T.el("td", null, m.text.total_cached));
    if (raced) foot.append(T.el("td", null, m.text.total_uncached));
    const tfoot = T.el("tfoot");
    tfoot.appendChild(foot);
    t.append(T.thead(heads), body, tfoot);
    wrap.appendChild(t);
    return wrap;
  }

  function bytesChart(r) {
    const b = r.bytes_chart, t = r.text;
    const box = svg("svg", { class: "cg-chart", viewBox: b.viewbox, role: "img",
      "aria-label": "Cache size after each step, growing by " + t.bytes_per_position + " bytes per position from "
        + t.first_cache_bytes + " bytes after prefill to " + t.cache_bytes + " bytes" });
    box.appendChild(svg("line", { class: "cg-axis", x1: b.left, y1: b.bottom, x2: b.right, y2: b.bottom }));
    b.bars.forEach((bar, k) => box.appendChild(svg("rect", { class: "cg-bar cg-bytes" + (k === 0 ? " cg-prefill" : ""),
      x: bar.x, y: bar.y, width: bar.w, height: bar.h })));
    box.append(svg("text", { class: "cg-tick", x: b.left, y: b.label_y }, "prefill"),
      svg("text", { class: "cg-tick", x: b.right, y: b.label_y, "text-anchor": "end" }, b.last_label));
    return box;
  }

  function timeChart(r) {
    const b = r.bytes_chart, m = r.measured;
    const box = svg("svg", { class: "cg-chart", viewBox: b.viewbox, role: "img",
      "aria-label": "Time of each step measured in this browser: with the cache " + m.text.total_cached
        + " in all" + (m.ms_uncached ? ", without it " + m.text.total_uncached : " (the run without it is off)") });
    box.appendChild(svg("line", { class: "cg-axis", x1: b.left, y1: b.bottom, x2: b.right, y2: b.bottom }));
    m.bars.forEach((series, s) => {
      for (const bar of series) {
        box.appendChild(svg("rect", { class: "cg-bar " + (s === 0 ? "cg-with" : "cg-without"), x: bar.x, y: bar.y,
          width: bar.w, height: bar.h }));
      }
    });
    box.append(svg("text", { class: "cg-tick", x: b.left, y: b.label_y }, "step 0"),
      svg("text", { class: "cg-tick", x: b.right, y: b.label_y, "text-anchor": "end" }, "tallest: " + m.text.tallest));
    return box;
  }

  function times(r) {
    const m = r.measured, frag = document.createDocumentFragment();
    const p = T.el("p", "cg-line cg-times", "Measured in your browser just now: ");
    p.append(T.el("strong", null, m.text.total_cached), " with the cache");
    if (m.ms_uncached) p.append(", ", T.el("strong", null, m.text.total_uncached), " without it");
    p.append(m.text.prefill);
    const legend = T.el("p", "cg-legend");
    const key = (cls, label) => {
      const icon = svg("svg", { viewBox: "0 0 10 10", "aria-hidden": "true" });
      icon.appendChild(svg("rect", { class: "cg-bar " + cls, x: 1, y: 1, width: 8, height: 8 }));
      const span = T.el("span", "cg-mark");
      span.append(icon, " " + label);
      return span;
    };
    legend.append(key("cg-with", "with the cache (filled)"));
    if (m.ms_uncached) legend.append(" ", key("cg-without", "without it (outlined)"));
    legend.append(". Times vary from run to run: the browser does other work too.");
    frag.append(p, timeChart(r), legend);
    return frag;
  }

  glassbox.widget("cached_generation", {
    stuckAfterMs: 60000,   // 64 tokens without the cache take seconds on a slow machine: not stuck
    mount(el) {
      // The runtime reads the controls on an input event and computes again, even for unchanged values.
      const seed = el.querySelector('[data-param="seed"]');
      const rerun = () => seed.dispatchEvent(new Event("input", { bubbles: true }));
      const again = T.el("button", "cg-again", "Run again");
      again.type = "button";
      again.title = "Generate again with the same settings and time it again";
      again.addEventListener("click", rerun);
      seed.after(again);
      // The pre-rendered page has no times (they would be the build machine's): as soon as Python is
      // ready, run the default once here so the reader sees times measured in this browser.
      rerun();
    },

    draw(el, r) {
      T.showReadouts(el, r.shown);
      const frag = T.figure(r.note);
      frag.append(T.el("p", "cg-head", "With the KV cache"),
        chips(r.tokens, "Prompt and the tokens generated with the cache", r.prompt_tokens, r.more_prompt),
        T.el("p", "cg-head", "Without it (new tokens only)"));
      if (r.tokens_uncached === null) {  // the box is unticked: that run did not happen
        const off = T.el("p", "cg-off", "Not run: tick ");
        off.append(T.el("em", null, "Also generate without the cache"), " to race the two.");
        frag.appendChild(off);
      } else {
        frag.append(chips(r.tokens_uncached, "The tokens generated without the cache"), verdict(r));
      }
      frag.append(table(r), bytesChart(r));
      frag.appendChild(T.el("p", "cg-line", r.text.cache_line));
      frag.appendChild(T.el("p", "cg-line", r.text.work_line));
      if (r.measured) frag.appendChild(times(r));
      else frag.appendChild(T.el("p", "cg-line cg-times", "Times are measured live in your browser, once Python has loaded: each forward pass is timed as it runs."));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
