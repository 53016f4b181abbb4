/* Neuron: redraws the step table and the formula from compute's result (the build draws the pre-rendered figure
   with this code too). */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function bar(b) {
    const box = T.el("span", "nrn-bar");
    box.setAttribute("aria-hidden", "true");
    const fill = T.el("span", "nrn-fill");
    fill.style.left = b.css.left;
    fill.style.width = b.css.width;
    box.append(T.el("span", "nrn-zero"), fill);
    return box;
  }

  function row(head, x, w, value, b, cls, strong) {
    const tr = T.el("tr", cls);
    tr.appendChild(Object.assign(T.el("th", null, head), { scope: "row" }));
    const v = T.el("td");
    v.appendChild(strong ? T.el("strong", null, value) : document.createTextNode(value));
    const cell = T.el("td");
    cell.appendChild(bar(b));
    tr.append(T.el("td", null, x), T.el("td", null, w), v, cell);
    return tr;
  }

  glassbox.widget("neuron", {
    draw(el, result) {
      T.showReadouts(el, result.shown);
      const table = T.el("table", "nrn-steps");
      table.appendChild(T.el("caption", null, "The neuron, one step per row (bars: each number on one scale, zero in the middle)"));
      const head = T.el("tr");
      for (const label of ["step", "input", "weight", "value"]) head.appendChild(Object.assign(T.el("th", null, label), { scope: "col" }));
      const last = Object.assign(T.el("th"), { scope: "col" });
      last.appendChild(T.el("span", "nrn-hide", "bar"));
      head.appendChild(last);
      const thead = T.el("thead");
      thead.appendChild(head);
      const tbody = T.el("tbody");
      for (const r of result.rows) tbody.appendChild(row(r.label, r.x_text, r.w_text, r.product_text, r.bar));
      tbody.append(row("+ bias b", "", "", result.bias_text, result.bias_bar),
        row("= z", "", "", result.z_text, result.z_bar, "nrn-total"),
        row("y = f(z)", "", "", result.y_text, result.y_bar, "nrn-total", true));
      table.append(thead, tbody);
      const scroll = T.region("nrn-scroll", "Steps of the neuron");
      scroll.appendChild(table);
      const formula = T.el("p", "nrn-formula", result.formula);
      formula.append(T.el("strong", null, result.y_text), ".");
      el.querySelector(".widget-output").replaceChildren(scroll, formula);
    },
  });
})();
