/* Backprop step: redraws the network graph, the chain-rule line, the loss curve and the update table from
   compute's result (the build draws the pre-rendered figure with this code too). Every number and label arrives
   formatted from Python; this only places them. A "Next step" button, added here, moves the step slider on by one. */
(function () {
  "use strict";
  const SLIDERS = { seed: 0, x1: 1, x2: 1, target: 2, lr: 2, step: 0 };  // param -> digits shown
  const MAX_STEP = 50;

  const make = window.glassboxTokens.el;
  const m = window.glassboxTokens.minus;  // a true minus sign, never −0.0 (as the .html's m)

  const svg = window.glassboxTokens.svg;

  function scrollable(node, label) {  // a box that may scroll sideways: reachable by keyboard
    node.tabIndex = 0;
    node.setAttribute("role", "group");
    node.setAttribute("aria-label", label);
  }

  function read(el) {
    const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
    return {
      seed: Number(value("seed")),
      x1: Number(value("x1")),
      x2: Number(value("x2")),
      target: Number(value("target")),
      lr: Number(value("lr")),
      step: Number(value("step")),
      check: el.querySelector('[data-param="check"]').checked,
    };
  }

  function showValues(el) {
    for (const [key, digits] of Object.entries(SLIDERS)) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = m(Number(input.value).toFixed(digits));
    }
    const next = el.querySelector(".bps-next");
    if (next) next.disabled = Number(el.querySelector('[data-param="step"]').value) >= MAX_STEP;
  }

  function graph(result) {
    const g = result.graph;
    const box = svg("svg", { class: "bps-graph", viewBox: "0 0 " + g.width + " " + g.height, role: "img",
      "aria-label": "The network at step " + result.step + ": inputs x₁ and x₂, three hidden units, output y = "
        + result.y_text + ", loss " + result.loss_text + ". Each node shows its value and, below it, the gradient "
        + "of the loss with respect to it; each edge shows its weight w and that weight’s gradient ∂. "
        + "The table below lists the same numbers." });
    for (const e of g.edges) box.appendChild(svg("line", { class: "bps-edge", x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2 }));
    for (const e of g.edges) {
      if (!e.w) continue;
      box.append(svg("text", { class: "bps-w", x: e.lx, y: e.ly - 2, "text-anchor": "middle" }, e.w),
        svg("text", { class: "bps-g", x: e.lx, y: e.ly + 10, "text-anchor": "middle" }, e.g));
    }
    for (const n of g.nodes) {
      box.append(svg("circle", { class: "bps-node bps-" + n.kind, cx: n.x, cy: n.y, r: g.r }),
        svg("text", { class: "bps-name", x: n.x, y: n.y - g.r - 6, "text-anchor": "middle" }, n.name),
        svg("text", { class: "bps-val", x: n.x, y: n.y + 4, "text-anchor": "middle" }, n.value),
        svg("text", { class: "bps-g", x: n.x, y: n.y + g.r + 14, "text-anchor": "middle" }, n.below));
    }
    const wrap = make("div", "bps-scroll");
    scrollable(wrap, "Network graph; scrolls sideways on a narrow screen");
    wrap.appendChild(box);
    return wrap;
  }

  function plot(result) {
    const a = result.plot;
    const box = svg("svg", { class: "bps-plot", viewBox: "0 0 " + a.width + " " + a.height, role: "img",
      "aria-label": "Loss at steps 0 to " + result.step + ": from " + result.loss_first_text + " to " + result.loss_text });
    box.append(svg("line", { class: "bps-axis", x1: a.left, y1: a.bottom, x2: a.right, y2: a.bottom }),
      svg("line", { class: "bps-axis", x1: a.left, y1: a.top, x2: a.left, y2: a.bottom }));
    for (const t of a.x) box.appendChild(svg("text", { class: "bps-tick", x: t.at, y: a.bottom + 14, "text-anchor": "middle" }, t.label));
    for (const t of a.y) box.appendChild(svg("text", { class: "bps-tick", x: a.left - 5, y: t.at + 4, "text-anchor": "end" }, t.label));
    box.append(svg("text", { class: "bps-tick", x: a.right, y: a.height - 2, "text-anchor": "end" }, "step"),
      svg("text", { class: "bps-tick", x: a.left + 4, y: a.top + 8 }, "loss"),
      svg("polyline", { class: "bps-curve", points: a.points.map(([x, y]) => x + "," + y).join(" ") }),
      svg("circle", { class: "bps-marker", cx: a.marker[0], cy: a.marker[1], r: 4 }));
    return box;
  }

  function table(result, params) {
    const t = make("table", "bps-table");
    t.appendChild(make("caption", null, "Every parameter’s update at step " + result.step + ": new w = w − "
      + params.lr.toFixed(2) + " × ∂L/∂w"));
    const head = make("tr");
    const cols = ["Parameter", "w", "∂L/∂w", "−lr × ∂L/∂w", "new w"].concat(result.check ? ["finite diff."] : []);
    for (const c of cols) {
      const th = make("th", null, c);
      th.scope = "col";
      head.appendChild(th);
    }
    t.appendChild(make("thead")).appendChild(head);
    const body = make("tbody");
    for (const r of result.rows) {
      const tr = make("tr");
      const th = make("th", null, r.label);
      th.scope = "row";
      tr.appendChild(th);
      for (const cell of r.text) tr.appendChild(make("td", null, cell));
      body.appendChild(tr);
    }
    t.appendChild(body);
    const wrap = make("div", "bps-table-box");
    scrollable(wrap, "Parameter updates table");
    wrap.appendChild(t);
    return wrap;
  }

  glassbox.widget("backprop_step", {
    read,

    mount(el, api) {
      el.querySelector(".bps-controls").addEventListener("input", () => showValues(el));
      const step = el.querySelector('[data-param="step"]');
      const next = make("button", "bps-next", "Next step");
      next.type = "button";
      next.addEventListener("click", () => {
        step.value = String(Math.min(MAX_STEP, Number(step.value) + 1));
        showValues(el);
        api.update(read(el));
      });
      el.querySelector(".bps-wide").prepend(next);
      showValues(el);
    },

    draw(el, result) {
      showValues(el);
      const P = result.params;
      const readout = make("p", "bps-readout", "Step " + result.step + ": the network outputs y = " + result.y_text
        + " for target " + P.target.toFixed(2) + ", a loss of ");
      readout.append(make("strong", null, result.loss_text), ". This step’s update (learning rate " + P.lr.toFixed(2)
        + ") brings the loss to ", make("strong", null, result.loss_next_text), ".");
      const c = result.chain;
      const chain = make("p", "bps-chain", "Chain rule for the weight x₁→h₁: ∂L/∂w = "
        + c.factors.map((f) => f.expr).join(" × ") + " = " + c.factors.map((f) => "(" + f.text + ")").join(" × ") + " = ");
      chain.append(make("strong", null, c.product_text), ", the gradient on that edge.");
      const parts = [readout, graph(result), chain, plot(result), table(result, P)];
      if (result.check) {
        const check = make("p", "bps-check");
        if (result.check.bound_text) {
          check.append("Backprop and central finite differences agree: the largest difference over all "
            + result.check.n_params + " parameters is below ", make("strong", null, result.check.bound_text), ".");
        } else {
          check.textContent = "Backprop and finite differences disagree by more than 0.001: something is wrong.";
        }
        parts.push(check);
      }
      el.querySelector(".widget-output").replaceChildren(...parts);
    },
  });
})();
