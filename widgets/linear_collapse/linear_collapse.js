/* Linear collapse: redraws the verdict, the output points, the matrices and the point table from
   compute's result (the build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  const svg = T.svg;

  function verdict(result) {
    const p = T.el("p", "lc-verdict");
    if (result.linear) {
      p.append("Two layers and one matrix give the ", T.el("strong", null, "same outputs"),
        ": the largest difference over the nine points is ", T.el("strong", null, result.max_diff_text),
        ", float64 rounding in the last digits.");
    } else {
      p.append("With " + result.between_name + " between the layers, the single matrix ", T.el("strong", null, "misses"),
        ": outputs differ by up to ", T.el("strong", null, result.max_diff_text),
        ". No 2 × 2 matrix can do what these two layers do.");
    }
    return p;
  }

  function figure(result) {
    const box = svg("svg", { class: "lc-plot", viewBox: "0 0 " + result.width + " " + result.height, role: "img",
      "aria-label": "Nine output points: filled dots from the two layers, rings from the single matrix; largest difference " + result.max_diff_text });
    for (const pt of result.points) {
      box.append(svg("line", Object.assign({ class: "lc-gap" }, pt.gap)),
        svg("circle", Object.assign({ class: "lc-single" }, pt.ring, { r: 7 })),
        svg("circle", Object.assign({ class: "lc-stacked" }, pt.dot, { r: 3.5 })));
    }
    const key = T.el("p", "lc-key");
    const mark = (cls) => { const s = T.el("span", cls); s.setAttribute("aria-hidden", "true"); return s; };
    key.append(mark("lc-dot"), " two layers, W2 f(W1 x + b1) + b2; ", mark("lc-ring"), " one matrix, W x + b. A dot inside its ring means the same output.");
    const wrap = T.el("div", "lc-figure");
    wrap.append(box, key);
    return wrap;
  }

  function mat(m, caption) {
    const tbl = T.el("table", "lc-mat");
    tbl.appendChild(T.el("caption", null, caption));
    const tbody = T.el("tbody");
    for (const row of m) {
      const tr = T.el("tr");
      for (const v of row) tr.appendChild(T.el("td", null, v));
      tbody.appendChild(tr);
    }
    tbl.appendChild(tbody);
    return tbl;
  }

  function pointTable(result) {
    const details = T.el("details", "lc-details");
    details.appendChild(T.el("summary", null, "The nine points"));
    const tbl = T.table("lc-points", ["input x", "two layers", "one matrix", "difference"],
      result.points.map((pt) => T.row(pt.texts)));
    details.appendChild(T.scroller("lc-scroll", "The nine points", tbl));
    return details;
  }

  glassbox.widget("linear_collapse", {
    draw(el, result) {
      const m = result.matrices_text;
      const mats = T.el("div", "lc-mats");
      mats.append(mat(m.W1, "W1 (3 × 2)"), mat(m.b1, "b1"), mat(m.W2, "W2 (2 × 3)"), mat(m.b2, "b2"), mat(m.W, "W = W2 W1"), mat(m.b, "b = W2 b1 + b2"));
      el.querySelector(".widget-output").replaceChildren(verdict(result), figure(result), mats, pointTable(result),
        T.el("p", "lc-note", "Toy sizes (2 → 3 → 2) so the points can be drawn; the algebra is the same for the tiny model's 128 → 384 → 128."));
    },
  });
})();
