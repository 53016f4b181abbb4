/* Activation explorer: redraws the curves, markers, tangents and the value table from compute's result. Every
   point comes from Python; this only joins and places them. The build draws the pre-rendered figure with this code
   too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
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
        + result.x_text + "; the table gives the values" });
    for (const line of a.zero_lines) box.appendChild(svg("line", Object.assign({ class: "actx-zero" }, line)));
    for (const t of a.ticks) {
      box.appendChild(svg("text", { class: "actx-tick", x: t.x, y: t.y, "text-anchor": t["text-anchor"] }, t.label));
    }
    for (const c of result.curves) {
      const g = svg("g", { class: "actx-f" + c.index });
      g.append(svg("polyline", { class: "actx-curve", points: c.points_attr }),
        svg("polyline", { class: "actx-tangent", points: c.tangent_attr }),
        svg("circle", Object.assign({ class: "actx-marker" }, c.marker_at, { r: 4 })));
      box.appendChild(g);
    }
    return box;
  }

  function table(result) {
    const tbl = T.el("table", "actx-table");
    tbl.appendChild(T.el("caption", null, "At x = " + result.x_text));
    const head = T.el("tr");
    for (const label of ["function", "value f(x)", "slope f′(x)"]) head.appendChild(Object.assign(T.el("th", null, label), { scope: "col" }));
    const thead = T.el("thead");
    thead.appendChild(head);
    const tbody = T.el("tbody");
    for (const c of result.curves) {
      const tr = T.el("tr", "actx-f" + c.index);
      const th = Object.assign(T.el("th"), { scope: "row" });
      th.append(swatch(), c.label);
      tr.append(th, T.el("td", null, c.value_text), T.el("td", null, c.slope_text));
      tbody.appendChild(tr);
    }
    tbl.append(thead, tbody);
    return tbl;
  }

  function showValue(el, text) {
    el.querySelector('[data-param="x"]').nextElementSibling.textContent = text;
  }

  glassbox.widget("activation_explorer", {
    draw(el, result) {
      showValue(el, result.x_text);
      const frag = document.createDocumentFragment();
      if (result.message) frag.appendChild(T.el("p", "tok-empty", result.message));
      else frag.append(plot(result), table(result));
      frag.appendChild(T.el("p", "actx-note", "The tiny model uses SiLU: inside each feed-forward layer (SwiGLU), SiLU of one projection gates another, elementwise."));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
