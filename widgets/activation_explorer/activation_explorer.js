/* Activation explorer: redraws the curves, markers, tangents and the value table from compute's result. Every
   point comes from Python; this only joins and places them. The build draws the pre-rendered figure with this code
   too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const KEYS = ["relu", "gelu", "silu", "tanh", "sigmoid"];
  // A formatted number with a true minus sign (U+2212), and "0.00" rather than "-0.00" (as the .html's m).
  const m = T.minus;  // a true minus sign, never −0.00
  const n = (x) => m(x.toFixed(3));
  const pts = (points) => points.map(([x, y]) => x.toFixed(2) + "," + y.toFixed(2)).join(" ");

  const svg = window.glassboxTokens.svg;

  function swatch() {
    const s = T.el("span", "actx-swatch");
    s.setAttribute("aria-hidden", "true");
    return s;
  }

  function plot(result) {
    const a = result.axes;
    const box = svg("svg", { class: "actx-plot", viewBox: "0 0 " + a.width + " " + a.height, role: "img",
      "aria-label": "Curves of " + result.curves.map((c) => c.label).join(", ") + " from x = −4 to 4, with a marker and tangent at x = "
        + m(result.x.toFixed(1)) + "; the table gives the values" });
    box.append(svg("line", { class: "actx-zero", x1: a.left, y1: a.zero_y.toFixed(2), x2: a.right, y2: a.zero_y.toFixed(2) }),
      svg("line", { class: "actx-zero", x1: a.zero_x.toFixed(2), y1: a.top, x2: a.zero_x.toFixed(2), y2: a.bottom }));
    for (const t of a.x) box.appendChild(svg("text", { class: "actx-tick", x: t.at.toFixed(2), y: a.bottom + 15, "text-anchor": "middle" }, m(t.label)));
    for (const t of a.y) box.appendChild(svg("text", { class: "actx-tick", x: a.left - 5, y: (t.at + 4).toFixed(2), "text-anchor": "end" }, m(t.label)));
    for (const c of result.curves) {
      const g = svg("g", { class: "actx-f" + c.index });
      g.append(svg("polyline", { class: "actx-curve", points: pts(c.points) }),
        svg("polyline", { class: "actx-tangent", points: pts(c.tangent) }),
        svg("circle", { class: "actx-marker", cx: c.marker[0].toFixed(2), cy: c.marker[1].toFixed(2), r: 4 }));
      box.appendChild(g);
    }
    return box;
  }

  function table(result) {
    const tbl = T.el("table", "actx-table");
    tbl.appendChild(T.el("caption", null, "At x = " + m(result.x.toFixed(1))));
    const head = T.el("tr");
    for (const label of ["function", "value f(x)", "slope f′(x)"]) head.appendChild(Object.assign(T.el("th", null, label), { scope: "col" }));
    const thead = T.el("thead");
    thead.appendChild(head);
    const tbody = T.el("tbody");
    for (const c of result.curves) {
      const tr = T.el("tr", "actx-f" + c.index);
      const th = Object.assign(T.el("th"), { scope: "row" });
      th.append(swatch(), c.label);
      tr.append(th, T.el("td", null, n(c.value)), T.el("td", null, n(c.slope)));
      tbody.appendChild(tr);
    }
    tbl.append(thead, tbody);
    return tbl;
  }

  function showValue(el) {
    const input = el.querySelector('[data-param="x"]');
    input.nextElementSibling.textContent = m(Number(input.value).toFixed(1));
  }

  glassbox.widget("activation_explorer", {
    read(el) {
      const params = { x: Number(el.querySelector('[data-param="x"]').value) };
      for (const key of KEYS) params[key] = el.querySelector('[data-param="' + key + '"]').checked;
      return params;
    },

    mount(el) {
      el.querySelector(".actx-controls").addEventListener("input", () => showValue(el));
    },

    draw(el, result) {
      showValue(el);
      const frag = document.createDocumentFragment();
      if (result.message) frag.appendChild(T.el("p", "tok-empty", result.message));
      else frag.append(plot(result), table(result));
      frag.appendChild(T.el("p", "actx-note", "The tiny model uses SiLU: inside each feed-forward layer (SwiGLU), SiLU of one projection gates another, elementwise."));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
