/* DPO loss: redraws the token rows (model mode), the table of log-probabilities and implicit rewards, the
   readout and the loss curve from compute's result (the build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SLIDERS = { policy_chosen: 1, policy_rejected: 1, ref_chosen: 1, ref_rejected: 1, beta: 2 };
  const TEXTS = ["prompt", "chosen", "rejected"];

  const svg = window.glassboxTokens.svg;
  // A formatted number with a true minus sign (U+2212), and "0.00" rather than "-0.00" (as dpo_loss.html's m).
  const m = T.minus;  // a true minus sign, never −0.00
  const num = (x) => m(x.toFixed(3));
  const num2 = (x) => m(x.toFixed(2));
  const signed = (x) => (x === 0 ? "0.000" : m((x > 0 ? "+" : "") + x.toFixed(3)));
  const signed2 = (x) => (x === 0 ? "0.00" : m((x > 0 ? "+" : "") + x.toFixed(2)));
  const pts = (points) => points.map(([x, y]) => x.toFixed(2) + "," + y.toFixed(2)).join(" ");

  // "log π" with a subscript: the label text, built from nodes (no HTML strings).
  function logPi(sub, arg) {
    const frag = document.createDocumentFragment();
    frag.append("log π", T.el("sub", null, sub), arg === undefined ? "" : "(" + arg + ")");
    return frag;
  }

  function read(el) {
    const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
    const params = { mode: value("mode") };
    for (const key of Object.keys(SLIDERS)) params[key] = Number(value(key));
    for (const key of TEXTS) params[key] = value(key);
    return params;
  }

  function showValues(el) {
    for (const [key, digits] of Object.entries(SLIDERS)) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = m(Number(input.value).toFixed(digits));
    }
  }

  function chipsRow(label, tokens, withLogp, prefixMore) {
    const row = T.el("div", "dpo-seq");
    const box = T.el("span", "tok-chips dpo-chips");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", withLogp ? label + " answer tokens with their log-probabilities" : "Prompt tokens");
    if (prefixMore) box.appendChild(T.el("span", "dpo-more", "…"));
    tokens.forEach((c, i) => {
      const chip = T.el("span", withLogp ? "tok tok-c" + (i % T.N_COLOURS) : "tok dpo-prompt-tok");
      chip.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
      if (withLogp) chip.appendChild(T.el("span", "tok-id", num2(c.logp)));
      box.appendChild(chip);
    });
    row.append(T.el("span", "dpo-seq-label", label), box);
    return row;
  }

  function table(r) {
    const lp = r.logp;
    const t = T.el("table", "dpo-table");
    const head = T.el("tr");
    const cells = ["answer", logPi("θ"), logPi("ref"), "log-ratio", "reward"];
    for (const c of cells) {
      const th = T.el("th");
      th.scope = "col";
      th.append(c);
      head.appendChild(th);
    }
    const thead = T.el("thead");
    thead.appendChild(head);
    const body = T.el("tbody");
    for (const [name, pol, ref, ratio, reward] of [
      ["chosen", lp.policy_chosen, lp.ref_chosen, r.log_ratio_chosen, r.reward_chosen],
      ["rejected", lp.policy_rejected, lp.ref_rejected, r.log_ratio_rejected, r.reward_rejected]]) {
      const tr = T.el("tr");
      const th = T.el("th", null, name);
      th.scope = "row";
      tr.append(th, T.el("td", null, num2(pol)), T.el("td", null, num2(ref)), T.el("td", null, signed2(ratio)),
        T.el("td", null, signed(reward)));
      body.appendChild(tr);
    }
    t.append(thead, body);
    const wrap = T.el("div", "dpo-scroll");
    wrap.appendChild(t);
    return wrap;
  }

  function readout(r) {
    const p = T.el("p", "dpo-readout");
    p.append("Implicit reward = β × log-ratio. Margin (chosen reward − rejected reward): ", T.el("strong", null, signed(r.margin)),
      ". Loss −log σ(margin): ", T.el("strong", null, num(r.loss)),
      " nats. The implicit rewards prefer the chosen answer with probability σ(margin) = " + (100 * r.p_chosen).toFixed(1)
        + "%. Gradient weight σ(−margin): ", T.el("strong", null, num(r.grad_weight)),
      ", so a training step pushes ", logPi("θ", "chosen"), " up and ", logPi("θ", "rejected"),
      " down with strength β × " + num(r.grad_weight) + " = " + r.grad_step.toFixed(4) + ".");
    return p;
  }

  function plot(r) {
    const a = r.axes;
    const box = svg("svg", { class: "dpo-plot", viewBox: "0 0 " + a.width + " " + a.height, role: "img",
      "aria-label": "The DPO loss −log σ(margin) against the margin, falling from 6 at margin −6 to near 0 at +6, with a dot at margin "
        + signed(r.margin) + ", loss " + num(r.loss) + (r.off_chart ? " (beyond the chart, drawn at its edge)" : "") });
    box.append(
      svg("line", { class: "dpo-axis", x1: a.left, y1: a.bottom, x2: a.right, y2: a.bottom }),
      svg("line", { class: "dpo-axis", x1: a.left, y1: a.top, x2: a.left, y2: a.bottom }),
      svg("line", { class: "dpo-zero", x1: a.zero, y1: a.top, x2: a.zero, y2: a.bottom }));
    for (const t of a.x) box.appendChild(svg("text", { class: "dpo-tick", x: t.at, y: a.bottom + 14, "text-anchor": "middle" }, m(String(t.label))));
    for (const t of a.y) box.appendChild(svg("text", { class: "dpo-tick", x: a.left - 6, y: t.at + 4, "text-anchor": "end" }, m(String(t.label))));
    box.append(
      svg("text", { class: "dpo-tick", x: (a.left + a.right) / 2, y: a.height - 3, "text-anchor": "middle" }, "margin (nats of implicit reward)"),
      svg("text", { class: "dpo-tick", x: a.left + 40, y: a.top + 10 }, "loss (nats)"),
      svg("polyline", { class: "dpo-curve", points: pts(r.curve) }),
      svg("circle", { class: "dpo-marker", cx: r.marker[0], cy: r.marker[1], r: 5 }));
    return box;
  }

  glassbox.widget("dpo_loss", {
    read,

    mount(el) {
      el.querySelector(".dpo-controls").addEventListener("input", () => showValues(el));
    },

    draw(el, r) {
      showValues(el);
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
          row.appendChild(T.el("span", "dpo-seq-sum", "total " + num(side.logp)));
          parts.push(row);
        }
      } else {
        parts.push(T.el("p", "dpo-source", "Computed from the slider values."));
      }
      parts.push(table(r), readout(r), plot(r));
      if (r.off_chart) {
        parts.push(T.el("p", "tok-note", "The margin " + signed(r.margin) + " is beyond the chart (−6 to +6): the dot sits at its edge."));
      }
      el.querySelector(".widget-output").replaceChildren(...parts);
    },
  });
})();
