/* Backprop step: redraws the network graph, the chain-rule line, the loss curve and the update table from
   compute's result (the build draws the pre-rendered figure with this code too). Every number and label arrives
   formatted from Python; this only places them. A "Next step" button, added here, moves the step slider on by one. */
(function () {
  "use strict";
  const make = window.glassboxTokens.el;

  const svg = window.glassboxTokens.svg;

  function scrollable(node, label) {  // a box that may scroll sideways: reachable by keyboard
    node.tabIndex = 0;
    node.setAttribute("role", "group");
    node.setAttribute("aria-label", label);
  }

  function showValues(el, result) {  // each slider's <output>, and whether "Next step" can go on
    window.glassboxTokens.showReadouts(el, result.shown);
    const next = el.querySelector(".bps-next");
    if (next) next.disabled = result.last_step;
  }

  function graph(result) {
    const g = result.graph;
    const box = svg("svg", { class: "bps-graph", viewBox: g.viewbox, role: "img",
      "aria-label": "The network at step " + result.step + ": inputs x₁ and x₂, three hidden units, output y = "
        + result.y_text + ", loss " + result.loss_text + ". Each node shows its value and, below it, the gradient "
        + "of the loss with respect to it; each edge shows its weight w and that weight’s gradient ∂. "
        + "The table below lists the same numbers." });
    for (const e of g.edges) box.appendChild(svg("line", { class: "bps-edge", x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2 }));
    for (const e of g.edges) {
      if (!e.w) continue;
      box.append(svg("text", { class: "bps-w", x: e.lx, y: e.w_y, "text-anchor": "middle" }, e.w),
        svg("text", { class: "bps-g", x: e.lx, y: e.g_y, "text-anchor": "middle" }, e.g));
    }
    for (const n of g.nodes) {
      box.append(svg("circle", { class: "bps-node bps-" + n.kind, cx: n.x, cy: n.y, r: g.r }),
        svg("text", { class: "bps-name", x: n.x, y: n.name_y, "text-anchor": "middle" }, n.name),
        svg("text", { class: "bps-val", x: n.x, y: n.value_y, "text-anchor": "middle" }, n.value),
        svg("text", { class: "bps-g", x: n.x, y: n.below_y, "text-anchor": "middle" }, n.below));
    }
    const wrap = make("div", "bps-scroll");
    scrollable(wrap, "Network graph; scrolls sideways on a narrow screen");
    wrap.appendChild(box);
    return wrap;
  }

  function plot(result) {
    const a = result.plot;
    const box = svg("svg", { class: "bps-plot", viewBox: a.viewbox, role: "img",
      "aria-label": "Loss at steps 0 to " + result.step + ": from " + result.loss_first_text + " to " + result.loss_text });
    box.append(...window.glassboxTokens.axes("bps", a, ""), svg("text", { class: "bps-tick", x: a.right, y: a.step_y, "text-anchor": "end" }, "step"),
      svg("text", { class: "bps-tick", x: a.loss_x, y: a.loss_y }, "loss"),
      svg("polyline", { class: "bps-curve", points: a.polyline }),
      svg("circle", { class: "bps-marker", cx: a.marker[0], cy: a.marker[1], r: 4 }));
    return box;
  }

  function table(result) {
    const t = make("table", "bps-table");
    t.appendChild(make("caption", null, "Every parameter’s update at step " + result.step + ": new w = w − "
      + result.shown.lr + " × ∂L/∂w"));
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
    mount(el, api) {
      const step = el.querySelector('[data-param="step"]');
      const next = make("button", "bps-next", "Next step");
      next.type = "button";
      next.addEventListener("click", () => {
        step.stepUp();  // the slider's own step, stopping at its max; the runtime reads it as any other move
        step.dispatchEvent(new Event("input", { bubbles: true }));
      });
      el.querySelector(".bps-wide").prepend(next);
      if (api.result) showValues(el, api.result);
    },

    draw(el, result) {
      showValues(el, result);
      const readout = make("p", "bps-readout", "Step " + result.step + ": the network outputs y = " + result.y_text
        + " for target " + result.shown.target + ", a loss of ");
      readout.append(make("strong", null, result.loss_text), ". This step’s update (learning rate " + result.shown.lr
        + ") brings the loss to ", make("strong", null, result.loss_next_text), ".");
      const c = result.chain;
      const chain = make("p", "bps-chain", "Chain rule for the weight x₁→h₁: ∂L/∂w = "
        + c.factors.map((f) => f.expr).join(" × ") + " = " + c.factors.map((f) => "(" + f.text + ")").join(" × ") + " = ");
      chain.append(make("strong", null, c.product_text), ", the gradient on that edge.");
      const parts = [readout, graph(result), chain, plot(result), table(result)];
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
