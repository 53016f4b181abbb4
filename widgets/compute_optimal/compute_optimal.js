/* Compute-optimal: redraws the readout, the table of the two splits and the IsoFLOP curve from compute's result
   (the build draws the pre-rendered figure with this code too). Every coordinate comes from Python. */
(function () {
  "use strict";

  const T = window.glassboxTokens;
  const make = T.el;
  const svg = T.svg;

  function pow10(t) {
    const frag = document.createDocumentFragment();
    frag.append(t.mantissa + " × 10", make("sup", null, t.exponent));
    return frag;
  }

  function key(n) {
    const k = make("span", "co-key co-key-" + n);
    k.setAttribute("aria-hidden", "true");
    return k;
  }

  function table(result) {
    const wrap = make("div", "co-table-wrap");
    const t = make("table", "co-table");
    const cap = make("caption");
    cap.append("Two ways to spend the budget: parameters ", make("var", null, "N"), ", tokens ", make("var", null, "D"),
      ", tokens per parameter, the Chinchilla fit’s loss in nats");
    const body = make("tbody");
    for (const row of [result.fit, result.rule]) {
      body.appendChild(T.headedRow([key(row.key), row.label],
        [row.n_text, row.d_text, row.tokens_per_param_text, row.loss_text]));
    }
    const cols = ["Split", make("var", null, "N"), make("var", null, "D"),
      [make("var", null, "D"), "/", make("var", null, "N")], "Loss"];
    t.append(cap, T.thead(cols), body);
    wrap.appendChild(t);
    return wrap;
  }

  function plot(result) {
    const a = result.plot;
    const box = svg("svg", { class: "co-plot", viewBox: a.viewbox, role: "img", "aria-label": result.aria_label });
    box.append(...T.axes("co", a, "x"),
      ...T.axisNames("co", a, "parameters N (log scale)", "loss", "end"),
      svg("polyline", { class: "co-curve", points: a.points }));
    if (a.rule) box.appendChild(svg("rect", { class: "co-rule", x: a.rule_corner[0], y: a.rule_corner[1], width: 9, height: 9 }));
    box.appendChild(svg("circle", { class: "co-opt", cx: a.optimum[0], cy: a.optimum[1], r: 5 }));
    return box;
  }

  glassbox.widget("compute_optimal", {
    draw(el, result) {
      const c = el.querySelector('[data-param="log10_flops"]');
      c.nextElementSibling.replaceChildren(pow10(result.flops_text));
      const u = el.querySelector('[data-param="utilization"]');
      u.nextElementSibling.textContent = result.utilization_pct + "%";
      const readout = make("p", "co-readout");
      const link = make("a", null, result.gpu.name);
      link.href = result.gpu.source;
      const strong = make("strong");
      strong.append(pow10(result.flops_text), " FLOPs");
      readout.append(make("var", null, "C"), " = ", strong, ": " + result.gpu_time + " on one ", link,
        " (" + result.gpu.tflops_text + " TFLOP/s peak) at " + result.utilization_pct
        + "% utilisation" + (result.gpus_for_30_days_text ? ", or " + result.gpus_for_30_days_text + " of them for 30 days" : "") + ".");
      const legend = make("p", "co-legend");
      legend.append(key(1), "the fit’s optimum, ", key(2), "20 tokens per parameter. Every point on the curve spends the same ",
        make("var", null, "C"), ": left of the valley the model is too small, right of it too few tokens are left to train it.");
      el.querySelector(".widget-output").replaceChildren(readout, table(result), plot(result), legend);
    },
  });
})();
