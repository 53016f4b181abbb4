/* Scaling map: redraws the readout, the N-D plane and the table of models from compute's result
   (the build draws the pre-rendered figure with this code too). Every coordinate and number comes from Python. */
(function () {
  "use strict";

  const T = window.glassboxTokens;
  const make = T.el;
  const svg = T.svg;

  function pow10(t) {  // "6.00 × 10²¹", as scaling_map.html's pow10
    const frag = document.createDocumentFragment();
    frag.append(t.mantissa + " × 10", make("sup", null, t.exponent));
    return frag;
  }

  function readout(y) {
    const p = make("p", "sm-readout");
    p.append("Your model, ", make("strong", null, y.n_text), " parameters on ", make("strong", null, y.d_text),
      " tokens: ", make("var", null, "C"), " = 6", make("var", null, "N"), make("var", null, "D"),
      " = ", pow10(y.flops_text), " FLOPs, " + y.tpp_text + " tokens per parameter (" + y.ratio_text
      + "× the rule of 20): ", make("strong", null, y.word), ". Fitted loss " + y.loss_text
      + " nats. The same compute at 20 tokens per parameter: " + y.rule.n_text + " on " + y.rule.d_text + " ("
      + y.rule.loss_text + "); at the fit’s optimum: " + y.best.n_text + " on " + y.best.d_text + " ("
      + y.best.loss_text + ").");
    return p;
  }

  function plot(result) {
    const a = result.axes;
    const box = svg("svg", { class: "sm-plot", viewBox: a.viewbox, role: "img", "aria-label": result.aria_label });
    box.append(...T.axes("sm", a, "xy"),
      ...T.axisNames("sm", a, "parameters N", "tokens D", "end"));
    for (const c of result.contours) {
      box.append(svg("polyline", { class: "sm-contour", points: c.points_text }),
        svg("text", { class: "sm-clabel", x: c.label.x, y: c.label.y, "text-anchor": "end" }, c.label.text));
    }
    box.append(svg("polyline", { class: "sm-rule", points: result.rule_points }),
      svg("polyline", { class: "sm-frontier", points: result.frontier_points }));
    if (result.iso_points) box.appendChild(svg("polyline", { class: "sm-iso", points: result.iso_points }));
    for (const m of result.models) {
      box.append(svg("circle", { class: "sm-model sm-" + m.kind, cx: m.at[0], cy: m.at[1], r: 4.5 }),
        svg("text", { class: "sm-name", x: m.label.x, y: m.label.y, "text-anchor": m.label.anchor }, m.name));
    }
    box.appendChild(svg("path", { class: "sm-yours", d: result.yours.path }));
    const wrap = make("div", "sm-plot-wrap");
    wrap.appendChild(box);
    return wrap;
  }

  function legend() {
    const p = make("p", "sm-legend");
    const k = (cls) => { const s = make("span", "sm-k " + cls); s.setAttribute("aria-hidden", "true"); return s; };
    p.append("Thin curves: the fit’s loss (nats) is the same all along each one. ", k("sm-k-frontier"),
      "solid: the fit’s compute-optimal models. ", k("sm-k-rule"), "dashed: 20 tokens per parameter; above it, over-trained. ",
      k("sm-k-iso"), "dotted: every model with your model’s compute. Dots: filled, over-trained; grey, about "
      + "compute-optimal; hollow, under-trained (the table says which).");
    return p;
  }

  function table(caption, result) {
    const wrap = make("div", "sm-table-wrap");
    const t = make("table", "sm-table");
    t.setAttribute("aria-labelledby", caption.id);
    const body = make("tbody");
    for (const m of result.models) {
      let src = m.source;
      if (m.url) {
        src = make("a", null, m.source);
        src.href = m.url;
      }
      body.appendChild(T.headedRow(m.name, [m.n_text, m.d_text, m.tpp_text, m.word, pow10(m.flops_text), m.table_loss, src]));
    }
    t.append(T.thead(["Model", "Parameters", "Tokens", "Tokens per parameter", "Verdict", "Compute (FLOPs)",
      "Fitted loss", "Source"]), body);
    wrap.appendChild(t);
    return wrap;
  }

  // The sliders move log10 N and log10 D; their readouts are the counts Python made of them (1.7M, 70B, ...).
  function showValues(el, result) {
    T.showReadouts(el, { log10_params: result.yours.n_text, log10_tokens: result.yours.d_text });
  }

  glassbox.widget("scaling_map", {
    draw(el, result) {
      showValues(el, result);
      const caption = make("p", "sm-caption", "Published models on the map (the fitted loss is the Chinchilla fit’s, "
        + "not the model’s measured loss)");
      caption.id = el.id + "-models";  // the table is labelled by it: unique on the page
      const t = table(caption, result);
      el.querySelector(".widget-output").replaceChildren(readout(result.yours), plot(result), legend(), caption, t);
    },
  });
})();
