/* Linear collapse: redraws the verdict, the output points, the matrices and the point table from
   compute's result (the build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  // A box that may scroll sideways on a phone: focusable and labelled, so a keyboard can scroll it too.
  function region(cls, label) {
    const box = T.el("div", cls);
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", label);
    return box;
  }
  const n = (x) => T.minus(x.toFixed(3));  // a true minus sign, never −0.000 (as the .html's n)
  // Python's "%.1e": 2.2e-16, 0.0e+00 (JS writes 2.2e-16 and 0.0e+0)
  const sci = (x) => x.toExponential(1).replace(/e([+-])(\d)$/, "e$10$2");

  const svg = window.glassboxTokens.svg;

  function verdict(result) {
    const p = T.el("p", "lc-verdict");
    if (result.linear) {
      p.append("Two layers and one matrix give the ", T.el("strong", null, "same outputs"),
        ": the largest difference over the nine points is ", T.el("strong", null, sci(result.max_diff)),
        ", float64 rounding in the last digits.");
    } else {
      p.append("With " + result.between_name + " between the layers, the single matrix ", T.el("strong", null, "misses"),
        ": outputs differ by up to ", T.el("strong", null, result.max_diff.toFixed(3)),
        ". No 2 × 2 matrix can do what these two layers do.");
    }
    return p;
  }

  function figure(result) {
    const box = svg("svg", { class: "lc-plot", viewBox: "0 0 " + result.width + " " + result.height, role: "img",
      "aria-label": "Nine output points: filled dots from the two layers, rings from the single matrix; largest difference " + sci(result.max_diff) });
    for (const pt of result.points) {
      const [a, b] = [pt.at_stacked, pt.at_single];
      box.append(svg("line", { class: "lc-gap", x1: a[0].toFixed(2), y1: a[1].toFixed(2), x2: b[0].toFixed(2), y2: b[1].toFixed(2) }),
        svg("circle", { class: "lc-single", cx: b[0].toFixed(2), cy: b[1].toFixed(2), r: 7 }),
        svg("circle", { class: "lc-stacked", cx: a[0].toFixed(2), cy: a[1].toFixed(2), r: 3.5 }));
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
      for (const v of row) tr.appendChild(T.el("td", null, n(v)));
      tbody.appendChild(tr);
    }
    tbl.appendChild(tbody);
    return tbl;
  }

  function pointTable(result) {
    const details = T.el("details", "lc-details");
    details.appendChild(T.el("summary", null, "The nine points"));
    const tbl = T.el("table", "lc-points");
    const head = T.el("tr");
    for (const label of ["input x", "two layers", "one matrix", "difference"]) head.appendChild(Object.assign(T.el("th", null, label), { scope: "col" }));
    const thead = T.el("thead");
    thead.appendChild(head);
    const tbody = T.el("tbody");
    const pair = (v) => "(" + n(v[0]) + ", " + n(v[1]) + ")";
    for (const pt of result.points) {
      const tr = T.el("tr");
      tr.append(T.el("td", null, pair(pt.x)), T.el("td", null, pair(pt.stacked)), T.el("td", null, pair(pt.single)), T.el("td", null, sci(pt.diff)));
      tbody.appendChild(tr);
    }
    tbl.append(thead, tbody);
    const scroll = region("lc-scroll", "The nine points");
    scroll.appendChild(tbl);
    details.appendChild(scroll);
    return details;
  }

  glassbox.widget("linear_collapse", {
    read(el) {
      const seed = el.querySelector('[data-param="seed"]').value;
      return { between: el.querySelector('[data-param="between"]').value, seed: seed === "" ? 0 : Number(seed) };
    },

    draw(el, result) {
      const m = result.matrices;
      const mats = T.el("div", "lc-mats");
      mats.append(mat(m.W1, "W1 (3 × 2)"), mat(m.b1, "b1"), mat(m.W2, "W2 (2 × 3)"), mat(m.b2, "b2"), mat(m.W, "W = W2 W1"), mat(m.b, "b = W2 b1 + b2"));
      el.querySelector(".widget-output").replaceChildren(verdict(result), figure(result), mats, pointTable(result),
        T.el("p", "lc-note", "Toy sizes (2 → 3 → 2) so the points can be drawn; the algebra is the same for the tiny model's 128 → 384 → 128."));
    },
  });
})();
