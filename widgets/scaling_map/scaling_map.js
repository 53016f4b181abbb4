/* Scaling map: redraws the readout, the N-D plane and the table of models from compute's result
   (the build draws the pre-rendered figure with this code too). Every coordinate and number comes from Python. */
(function () {
  "use strict";

  const make = window.glassboxTokens.el;

  const svg = window.glassboxTokens.svg;

  const pts = (points) => points.map(([x, y]) => x.toFixed(2) + "," + y.toFixed(2)).join(" ");

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
      + "× the rule of 20): ", make("strong", null, y.word), ". Fitted loss " + y.loss.toFixed(3)
      + " nats. The same compute at 20 tokens per parameter: " + y.rule.n_text + " on " + y.rule.d_text + " ("
      + y.rule.loss.toFixed(3) + "); at the fit’s optimum: " + y.best.n_text + " on " + y.best.d_text + " ("
      + y.best.loss.toFixed(3) + ").");
    return p;
  }

  function plot(result) {
    const a = result.axes, y = result.yours;
    const box = svg("svg", { class: "sm-plot", viewBox: "0 0 " + a.width + " " + a.height, role: "img",
      "aria-label": "Parameters against training tokens, both on log scales, with contours of the Chinchilla fit’s "
        + "loss. The models and their positions are listed in the table below; your model is the diamond at "
        + y.n_text + " parameters and " + y.d_text + " tokens." });
    for (const t of a.x) {
      box.append(svg("line", { class: "sm-grid", x1: t.at, y1: a.top, x2: t.at, y2: a.bottom }),
        svg("text", { class: "sm-tick", x: t.at, y: a.bottom + 14, "text-anchor": "middle" }, t.label));
    }
    for (const t of a.y) {
      box.append(svg("line", { class: "sm-grid", x1: a.left, y1: t.at, x2: a.right, y2: t.at }),
        svg("text", { class: "sm-tick", x: a.left - 5, y: t.at + 4, "text-anchor": "end" }, t.label));
    }
    box.append(
      svg("line", { class: "sm-axis", x1: a.left, y1: a.bottom, x2: a.right, y2: a.bottom }),
      svg("line", { class: "sm-axis", x1: a.left, y1: a.top, x2: a.left, y2: a.bottom }),
      svg("text", { class: "sm-tick", x: a.right, y: a.height - 2, "text-anchor": "end" }, "parameters N"),
      svg("text", { class: "sm-tick", x: a.left + 4, y: a.top + 10 }, "tokens D"));
    for (const c of result.contours) {
      box.append(svg("polyline", { class: "sm-contour", points: pts(c.points) }),
        svg("text", { class: "sm-clabel", x: c.label_at[0] - 2, y: c.label_at[1] - 3, "text-anchor": "end" }, c.loss.toFixed(1)));
    }
    box.append(svg("polyline", { class: "sm-rule", points: pts(result.rule_line) }),
      svg("polyline", { class: "sm-frontier", points: pts(result.frontier) }));
    if (result.iso.length > 1) box.appendChild(svg("polyline", { class: "sm-iso", points: pts(result.iso) }));
    for (const m of result.models) {
      box.append(svg("circle", { class: "sm-model sm-" + m.kind, cx: m.at[0], cy: m.at[1], r: 4.5 }),
        svg("text", { class: "sm-name", x: m.label.x, y: m.label.y, "text-anchor": m.label.anchor }, m.name));
    }
    box.appendChild(svg("path", { class: "sm-yours", d: "M" + y.at[0] + "," + (y.at[1] - 7) + " l7,7 l-7,7 l-7,-7 z" }));
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
    const head = make("tr");
    for (const c of ["Model", "Parameters", "Tokens", "Tokens per parameter", "Verdict", "Compute (FLOPs)", "Fitted loss", "Source"]) {
      const th = make("th", null, c);
      th.scope = "col";
      head.appendChild(th);
    }
    const thead = make("thead");
    thead.appendChild(head);
    const body = make("tbody");
    for (const m of result.models) {
      const tr = make("tr");
      const th = make("th", null, m.name);
      th.scope = "row";
      const src = make("td");
      if (m.url) {
        const link = make("a", null, m.source);
        link.href = m.url;
        src.appendChild(link);
      } else {
        src.textContent = m.source;
      }
      const flops = make("td");
      flops.appendChild(pow10(m.flops_text));
      tr.append(th, make("td", null, m.n_text), make("td", null, m.d_text), make("td", null, m.tpp_text),
        make("td", null, m.word), flops, make("td", null, m.loss.toFixed(2)), src);
      body.appendChild(tr);
    }
    t.append(thead, body);
    wrap.appendChild(t);
    return wrap;
  }

  function showValues(el, result) {
    // The slider's own number is shown by compute (as 1.7M, 70B, ...); while dragging, 10^x as a preview.
    for (const [key, text] of [["log10_params", result && result.yours.n_text], ["log10_tokens", result && result.yours.d_text]]) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = text || "10^" + Number(input.value).toFixed(2);
    }
  }

  glassbox.widget("scaling_map", {
    read(el) {
      const value = (k) => Number(el.querySelector('[data-param="' + k + '"]').value);
      return { log10_params: value("log10_params"), log10_tokens: value("log10_tokens") };
    },

    mount(el) {
      el.querySelector(".sm-controls").addEventListener("input", () => showValues(el, null));
    },

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
