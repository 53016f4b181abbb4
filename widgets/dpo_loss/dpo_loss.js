/* DPO loss: redraws the token rows (model mode), the table of log-probabilities and implicit rewards, the
   readout and the loss curve from compute's result (the build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SLIDERS = ["policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected", "beta"];

  const svg = window.glassboxTokens.svg;

  // "log π" with a subscript: the label text, built from nodes (no HTML strings).
  function logPi(sub, arg) {
    const frag = document.createDocumentFragment();
    frag.append("log π", T.el("sub", null, sub), arg === undefined ? "" : "(" + arg + ")");
    return frag;
  }

  // The sliders' readouts: the values Python read, as it formatted them.
  function showValues(el, r) {
    for (const key of SLIDERS) {
      el.querySelector('[data-param="' + key + '"]').nextElementSibling.textContent = r.readouts[key];
    }
  }

  function chipsRow(label, tokens, withLogp, prefixMore) {
    const row = T.el("div", "dpo-seq");
    const box = T.chipGroup("dpo-chips", withLogp ? label + " answer tokens with their log-probabilities" : "Prompt tokens", "span");
    if (prefixMore) box.appendChild(T.el("span", "dpo-more", "…"));
    tokens.forEach((c) => {
      const chip = T.el("span", withLogp ? "tok tok-c" + c.colour : "tok dpo-prompt-tok");
      chip.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
      if (withLogp) chip.appendChild(T.el("span", "tok-id", c.logp_text));
      box.appendChild(chip);
    });
    row.append(T.el("span", "dpo-seq-label", label), box);
    return row;
  }

  function table(r) {
    const t = T.el("table", "dpo-table");
    const body = T.el("tbody");
    for (const row of r.rows) body.appendChild(T.headedRow(row.name, row.cells));
    t.append(T.thead(["answer", logPi("θ"), logPi("ref"), "log-ratio", "reward"]), body);
    const wrap = T.el("div", "dpo-scroll");
    wrap.appendChild(t);
    return wrap;
  }

  function readout(r) {
    const p = T.el("p", "dpo-readout");
    p.append("Implicit reward = β × log-ratio. Margin (chosen reward − rejected reward): ", T.el("strong", null, r.margin_text),
      ". Loss −log σ(margin): ", T.el("strong", null, r.loss_text),
      " nats. The implicit rewards prefer the chosen answer with probability σ(margin) = " + r.p_chosen_text
        + ". Gradient weight σ(−margin): ", T.el("strong", null, r.grad_weight_text),
      ", so a training step pushes ", logPi("θ", "chosen"), " up and ", logPi("θ", "rejected"),
      " down with strength β × " + r.grad_weight_text + " = " + r.grad_step_text + ".");
    return p;
  }

  function plot(r) {
    const a = r.axes;
    const box = svg("svg", { class: "dpo-plot", viewBox: a.viewbox, role: "img", "aria-label": r.aria_label });
    box.append(svg("line", { class: "dpo-zero", x1: a.zero, y1: a.top, x2: a.zero, y2: a.bottom }), ...T.axes("dpo", a, ""),
      ...T.axisNames("dpo", a, "margin (nats of implicit reward)", "loss (nats)", "middle"),
      svg("polyline", { class: "dpo-curve", points: r.curve_points }),
      svg("circle", { class: "dpo-marker", cx: r.marker[0], cy: r.marker[1], r: 5 }));
    return box;
  }

  glassbox.widget("dpo_loss", {
    draw(el, r) {
      showValues(el, r);
      const parts = [];
      if (r.text) {
        const source = T.el("p", "dpo-source");
        source.append("Computed by the tiny model for your texts, which plays both the policy π", T.el("sub", null, "θ"),
          " and the reference π", T.el("sub", null, "ref"),
          " (the sliders are not used). Each token shows its log-probability given everything before it.");
        parts.push(source);
        if (r.note) parts.push(T.el("p", "tok-note", r.note));
        parts.push(chipsRow("Prompt", r.text.prompt_tokens, false, r.text.n_prompt_tokens > r.text.prompt_tokens.length));
        for (const [label, side] of [["Chosen", r.text.chosen], ["Rejected", r.text.rejected]]) {
          const row = chipsRow(label, side.tokens, true, false);
          row.appendChild(T.el("span", "dpo-seq-sum", "total " + side.logp_text));
          parts.push(row);
        }
      } else {
        parts.push(T.el("p", "dpo-source", "Computed from the slider values."));
      }
      parts.push(table(r), readout(r), plot(r));
      if (r.off_chart_note) parts.push(T.el("p", "tok-note", r.off_chart_note));
      el.querySelector(".widget-output").replaceChildren(...parts);
    },
  });
})();
