/* Cached generation: redraws both token sequences, the verdict, the per-step table, the cache-size bars and, live
   only, the times measured in this browser (result.measured) from compute's result. The build draws the
   pre-rendered figure with this code too, plus the time columns and chart the static page cannot have. With the
   compare box unticked, the run without the cache did not happen (result.tokens_uncached is null): a line says so
   in its place, and the times show the cached run alone. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SLIDERS = { n_tokens: 0, temperature: 2 };  // param -> digits shown
  const MAX_SEED = 4294967295;
  const n = (x) => Number(x).toLocaleString("en-US");
  const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + " ms";
  const plural = (k, word) => k + " " + word + (k === 1 ? "" : "s");

  const svg = window.glassboxTokens.svg;

  function read(el) {
    const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
    const seed = value("seed");
    return {
      prompt: value("prompt"),
      n_tokens: Number(value("n_tokens")),
      temperature: Number(value("temperature")),
      seed: seed === "" ? 0 : Math.round(Number(seed)),
      compare: el.querySelector('[data-param="compare"]').checked,
    };
  }

  function showValues(el) {
    for (const [key, digits] of Object.entries(SLIDERS)) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = Number(input.value).toFixed(digits);
    }
  }

  function chips(list, label, prompt, nPrompt) {
    const box = T.el("div", "tok-chips cg-text");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", label);
    const add = (c, cls) => {
      const node = T.el("span", cls);
      node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
      box.appendChild(node);
      if (c.nl) box.appendChild(T.el("span", "tok-br"));
    };
    if (prompt) {
      if (nPrompt > prompt.length) box.appendChild(T.el("span", "cg-more", "…"));
      for (const c of prompt) add(c, "tok cg-prompt-tok");
    }
    list.forEach((c, i) => add(c, "tok tok-c" + (i % T.N_COLOURS) + " tok-new"));
    return box;
  }

  function verdict(r, k) {
    const p = T.el("p", "cg-verdict");
    if (r.identical) {
      p.append(T.el("strong", null, "Identical:"), " all " + plural(k, "new token") + (k === 1 ? " is" : " are")
        + " the same with and without the cache.");
    } else {
      p.append(T.el("strong", null, "Different"), " from new token " + (r.first_difference + 1)
        + " on: two logits were so close that float rounding swapped them.");
    }
    return p;
  }

  function table(r) {
    const m = r.measured, raced = Boolean(m && m.ms_uncached);
    const wrap = T.el("div", "cg-table-box");
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", "Work per step");
    const t = T.el("table", "cg-table");
    const heads = ["step", "phase", "positions run, with cache", "positions run, without", "cache holds", "cache bytes"];
    if (m) heads.push("time with cache");
    if (raced) heads.push("time without");
    const head = T.el("tr");
    for (const h of heads) {
      const th = T.el("th", null, h);
      th.scope = "col";
      head.appendChild(th);
    }
    const thead = T.el("thead");
    thead.appendChild(head);
    const body = T.el("tbody");
    r.steps.forEach((s, k) => {
      const tr = T.el("tr");
      const cells = [s.step, s.phase, s.fed, s.fed_uncached, s.cache_positions, n(s.cache_bytes)];
      if (m) cells.push(ms(m.ms_cached[k]));
      if (raced) cells.push(ms(m.ms_uncached[k]));
      for (const c of cells) tr.appendChild(T.el("td", null, c));
      body.appendChild(tr);
    });
    const foot = T.el("tr");
    const th = T.el("th", null, "total");
    th.scope = "row";
    th.colSpan = 2;
    foot.append(th, T.el("td", null, r.positions_cached), T.el("td", null, r.positions_uncached), T.el("td"), T.el("td"));
    if (m) foot.append(T.el("td", null, ms(m.total_ms_cached)));
    if (raced) foot.append(T.el("td", null, ms(m.total_ms_uncached)));
    const tfoot = T.el("tfoot");
    tfoot.appendChild(foot);
    t.append(thead, body, tfoot);
    wrap.appendChild(t);
    return wrap;
  }

  function bytesChart(r) {
    const b = r.bytes_chart, last = r.steps[r.steps.length - 1];
    const box = svg("svg", { class: "cg-chart", viewBox: "0 0 " + b.width + " " + b.height, role: "img",
      "aria-label": "Cache size after each step, growing by " + n(r.bytes_per_position) + " bytes per position from "
        + n(r.steps[0].cache_bytes) + " bytes after prefill to " + n(r.cache_bytes) + " bytes" });
    box.appendChild(svg("line", { class: "cg-axis", x1: b.left, y1: b.bottom, x2: b.right, y2: b.bottom }));
    b.bars.forEach((bar, k) => box.appendChild(svg("rect", { class: "cg-bar cg-bytes" + (k === 0 ? " cg-prefill" : ""),
      x: bar.x, y: bar.y, width: bar.w, height: bar.h })));
    box.append(svg("text", { class: "cg-tick", x: b.left, y: b.height - 3 }, "prefill"),
      svg("text", { class: "cg-tick", x: b.right, y: b.height - 3, "text-anchor": "end" },
        "step " + last.step + ": " + n(r.cache_bytes) + " bytes"));
    return box;
  }

  function timeChart(r) {
    const b = r.bytes_chart, m = r.measured, all = m.ms_cached.concat(m.ms_uncached || []);
    const box = svg("svg", { class: "cg-chart", viewBox: "0 0 " + b.width + " " + b.height, role: "img",
      "aria-label": "Time of each step measured in this browser: with the cache " + ms(m.total_ms_cached)
        + " in all" + (m.ms_uncached ? ", without it " + ms(m.total_ms_uncached) : " (the run without it is off)") });
    box.appendChild(svg("line", { class: "cg-axis", x1: b.left, y1: b.bottom, x2: b.right, y2: b.bottom }));
    m.bars.forEach((series, s) => {
      for (const bar of series) {
        box.appendChild(svg("rect", { class: "cg-bar " + (s === 0 ? "cg-with" : "cg-without"), x: bar.x, y: bar.y,
          width: bar.w, height: bar.h }));
      }
    });
    box.append(svg("text", { class: "cg-tick", x: b.left, y: b.height - 3 }, "step 0"),
      svg("text", { class: "cg-tick", x: b.right, y: b.height - 3, "text-anchor": "end" },
        "tallest: " + ms(Math.max(...all))));
    return box;
  }

  function times(r) {
    const m = r.measured, frag = document.createDocumentFragment();
    const p = T.el("p", "cg-line cg-times", "Measured in your browser just now: ");
    p.append(T.el("strong", null, ms(m.total_ms_cached)), " with the cache");
    if (m.ms_uncached) p.append(", ", T.el("strong", null, ms(m.total_ms_uncached)), " without it");
    p.append(". Prefill: " + ms(m.prefill_ms) + " for " + plural(r.n_prompt_tokens, "prompt token") + " ("
      + ms(m.prefill_ms_per_token) + " per token)"
      + (m.decode_ms === null ? "." : "; decode: " + ms(m.decode_ms) + " per token on average."));
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
    read,

    mount(el, api) {
      el.querySelector(".cg-controls").addEventListener("input", () => showValues(el));
      const seed = el.querySelector('[data-param="seed"]');
      const again = T.el("button", "cg-again", "Run again");
      again.type = "button";
      again.title = "Generate again with the same settings and time it again";
      again.addEventListener("click", () => api.update(read(el)));
      seed.after(again);
      // The pre-rendered page has no times (they would be the build machine's): as soon as Python is
      // ready, run the default once here so the reader sees times measured in this browser.
      api.update(read(el));
    },

    draw(el, r) {
      showValues(el);
      const f = r.cache_formula, k = r.tokens.length;
      const frag = document.createDocumentFragment();
      if (r.note) frag.appendChild(T.el("p", "tok-note", r.note));
      frag.append(T.el("p", "cg-head", "With the KV cache"),
        chips(r.tokens, "Prompt and the tokens generated with the cache", r.prompt_tokens, r.n_prompt_tokens),
        T.el("p", "cg-head", "Without it (new tokens only)"));
      if (r.tokens_uncached === null) {  // the box is unticked: that run did not happen
        const off = T.el("p", "cg-off", "Not run: tick ");
        off.append(T.el("em", null, "Also generate without the cache"), " to race the two.");
        frag.appendChild(off);
      } else {
        frag.append(chips(r.tokens_uncached, "The tokens generated without the cache"), verdict(r, k));
      }
      frag.append(table(r), bytesChart(r));
      frag.appendChild(T.el("p", "cg-line", "The cache after each step: " + n(r.bytes_per_position)
        + " bytes per position (2 for K and V × " + f.n_layer + " layers × " + f.n_kv_head + " KV heads × " + f.d_head
        + " numbers × " + f.bytes_per_value + " bytes), " + n(r.steps[0].cache_bytes) + " after the prefill of "
        + plural(r.n_prompt_tokens, "prompt token") + ", " + n(r.cache_bytes) + " at the end. Room for all " + r.n_ctx
        + " positions is reserved up front: " + n(r.allocated_bytes) + " bytes."));
      frag.appendChild(T.el("p", "cg-line", "Every position costs about " + (r.weight_flops_per_token / 1e6).toFixed(1)
        + " million floating-point operations in the weight matrices, and every forward pass reads all "
        + (r.weight_bytes / 1e6).toFixed(1) + " MB of weights. A decode step does " + r.decode_flops_per_byte.toFixed(2)
        + " operations per byte of weights read; the prefill of " + plural(r.n_prompt_tokens, "token") + " does "
        + r.prefill_flops_per_byte.toFixed(2) + "."));
      if (r.measured) frag.appendChild(times(r));
      else frag.appendChild(T.el("p", "cg-line cg-times", "Times are measured live in your browser, once Python has loaded: each forward pass is timed as it runs."));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
