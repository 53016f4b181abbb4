/* Serving simulator: redraws the numbers, the streaming timeline and the batching table from compute's result (the
   build draws the pre-rendered figure with this code too). A Play button, added here, replays the token arrival
   times compute gave (sped up when the answer takes longer than 10 s); it computes nothing itself. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const make = T.el;
  const svg = T.svg;

  const field = (el, key) => el.querySelector('[data-param="' + key + '"]');

  function stats(r) {
    const dl = make("dl", "ss-stats");
    const rows = [["Time to first token", r.ttft_text], ["Tokens/s, each request", r.per_seq_text || "–"],
      ["Tokens/s, all " + r.requests_text, r.aggregate_text || "–"], ["Whole answer (" + r.n_out + " tokens)", r.total_text],
      ["Memory: weights + KV cache", r.memory.weights_text + " + " + r.memory.kv_text]];
    for (const [term, value] of rows) {
      const div = make("div");
      div.append(make("dt", null, term), make("dd", null, value));
      dl.appendChild(div);
    }
    return dl;
  }

  function explain(r) {
    const p = make("p", "ss-explain");
    let hw = r.hardware.name;
    if (r.hardware.source) {
      hw = make("a", null, r.hardware.name);
      hw.href = r.hardware.source;
    }
    p.append(r.model.name + " (" + r.model.n_params_text + " parameters, " + r.precision + ") on ", hw,
      " (" + r.hardware.bandwidth_text + " GB/s, " + r.hardware.tflops_text + " TFLOP/s"
      + (r.hardware.memory_text ? ", " + r.hardware.memory_text : "") + "). Prefill: " + r.batch + " × " + r.n_prompt_text
      + " prompt tokens at 2 FLOPs per " + r.flops_basis + " each, " + r.prefill_flops.mantissa + " × 10",
      make("sup", null, r.prefill_flops.exponent),
      " FLOPs: " + r.ttft_text + ", " + r.prefill_bound + "-bound. Each decode step reads " + r.step.bytes_text
      + " (" + r.read_what + ", plus " + r.kv_per_position_text + " of KV cache per position per request): " + r.step.text
      + " for the first step, " + r.step.bound + "-bound. Upper bounds from the roofline: real servers are slower.");
    return p;
  }

  function timeline(r) {
    const t = r.timeline;
    const box = svg("svg", { class: "ss-plot", viewBox: t.viewbox, role: "img",
      "aria-label": "Streaming timeline: the first token arrives at " + r.ttft_text + ", then one token every "
        + r.step.text + " or so, the last of " + r.n_out + " at " + r.total_text + "." });
    box.append(
      svg("rect", { class: "ss-prefill", x: t.left, y: t.top, width: t.prefill_width, height: t.bar_height }),
      svg("text", { class: "ss-tick", x: t.left, y: t.title_y }, "prefill ▸ first token at " + r.ttft_text));
    for (const x of t.ticks) box.appendChild(svg("line", { class: "ss-token", x1: x, y1: t.top, x2: x, y2: t.bottom }));
    box.appendChild(svg("line", { class: "ss-axis", x1: t.left, y1: t.bottom, x2: t.right, y2: t.bottom }));
    for (const a of t.axis) box.appendChild(svg("text", { class: "ss-tick", x: a.at, y: t.label_y, "text-anchor": a.anchor }, a.label));
    const wrap = make("div", "ss-timeline");
    wrap.appendChild(box);
    return wrap;
  }

  function batching(r) {
    const wrap = make("div", "ss-table-wrap");
    const table = make("table", "ss-table");
    table.appendChild(make("caption", null, "Batching: one decode step with every request at " + r.step_positions_text
      + " positions" + (r.crossover_text ? "; compute-bound from about " + r.crossover_text + " requests"
        : "; the KV reads keep it memory-bound at any batch")));
    const body = make("tbody");
    for (const b of r.batching) {
      body.appendChild(T.headedRow(b.batch + (b.yours ? " (yours)" : ""), [b.per_seq, b.aggregate, b.bound],
        b.yours ? "ss-yours" : null));
    }
    table.append(T.thead(["Batch", "Tokens/s each", "Tokens/s all", "Limited by"]), body);
    wrap.appendChild(table);
    return wrap;
  }

  let frame = null;  // the running replay, per page (one replay at a time)

  function stop() {
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
  }

  function play(el, api, status) {
    stop();
    const r = api.result;
    if (!r) return;
    const ticks = [...el.querySelectorAll(".ss-token")];
    const arrivals = r.replay.at_ms;  // when each token shows, in ms after the replay starts
    const reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (reduced) {
      status.textContent = r.replay.done;
      return;
    }
    ticks.forEach((t) => t.classList.add("ss-pending"));
    status.textContent = r.replay.playing;
    const start = performance.now();
    let shown = 0;
    const step = (now) => {
      // eslint-disable-next-line no-restricted-syntax -- measurement: the page's own clock since Play
      const elapsed = now - start;
      while (shown < arrivals.length && arrivals[shown] <= elapsed) {
        if (ticks[shown]) ticks[shown].classList.remove("ss-pending");
        shown += 1;
      }
      if (shown < arrivals.length) {
        frame = requestAnimationFrame(step);
      } else {
        frame = null;
        status.textContent = r.replay.done;
      }
    };
    frame = requestAnimationFrame(step);
  }

  glassbox.widget("serving_sim", {
    mount(el, api) {
      // Typing your own bandwidth or FLOP/s means custom hardware (this runs before the runtime reads).
      for (const key of ["bandwidth_gbs", "tflops"]) {
        field(el, key).addEventListener("input", () => { field(el, "hardware").value = "custom"; });
      }
      const bar = make("div", "ss-player");
      const button = make("button", "ss-play", "Play the stream");
      button.type = "button";
      const status = make("span", "ss-status");
      status.setAttribute("aria-live", "polite");
      button.addEventListener("click", () => play(el, api, status));
      bar.append(button, status);
      el.querySelector(".ss-controls").after(bar);
    },

    draw(el, result) {
      stop();
      T.showReadouts(el, result.shown);  // the sliders' <output>s
      if (result.params.hardware !== "custom") {
        field(el, "bandwidth_gbs").value = String(result.params.bandwidth_gbs);
        field(el, "tflops").value = String(result.params.tflops);
      }
      const out = [];
      if (result.note) out.push(make("p", "ss-note", result.note));
      const caption = make("p", "ss-caption", "Each tick is one token of the answer arriving at the reader"
        + (result.batch > 1 ? " (each of the " + result.batch + " requests gets its tokens at these times)" : "")
        + "; the shaded bar is the prefill.");
      out.push(stats(result), explain(result));
      if (result.moe) out.push(make("p", "ss-explain", result.moe));
      out.push(timeline(result), caption, batching(result));
      el.querySelector(".widget-output").replaceChildren(...out);
      const status = el.querySelector(".ss-status");
      if (status) status.textContent = "";
    },
  });
})();
