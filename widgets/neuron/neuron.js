/* Neuron: redraws the step table and the formula from compute's result (the build draws the pre-rendered figure
   with this code too). */
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
  const KEYS = ["x1", "w1", "x2", "w2", "x3", "w3", "bias"];
  // A formatted number with a true minus sign (U+2212), and "0.00" rather than "-0.00" (as neuron.html's m).
  const m = T.minus;  // a true minus sign, never −0.00
  const n = (x) => m(x.toFixed(2));

  function bar(b) {
    const box = T.el("span", "nrn-bar");
    box.setAttribute("aria-hidden", "true");
    const fill = T.el("span", "nrn-fill");
    fill.style.left = b.left.toFixed(1) + "%";
    fill.style.width = b.width.toFixed(1) + "%";
    box.append(T.el("span", "nrn-zero"), fill);
    return box;
  }

  function row(head, x, w, value, b, cls, strong) {
    const tr = T.el("tr", cls);
    tr.appendChild(Object.assign(T.el("th", null, head), { scope: "row" }));
    const v = T.el("td");
    v.appendChild(strong ? T.el("strong", null, n(value)) : document.createTextNode(n(value)));
    const cell = T.el("td");
    cell.appendChild(bar(b));
    tr.append(T.el("td", null, x === null ? "" : n(x)), T.el("td", null, w === null ? "" : n(w)), v, cell);
    return tr;
  }

  function showValues(el) {
    for (const key of KEYS) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = m(Number(input.value).toFixed(1));
    }
  }

  glassbox.widget("neuron", {
    read(el) {
      const params = {};
      for (const key of KEYS) params[key] = Number(el.querySelector('[data-param="' + key + '"]').value);
      params.activation = el.querySelector('[data-param="activation"]').value;
      return params;
    },

    mount(el) {
      el.querySelector(".nrn-controls").addEventListener("input", () => showValues(el));
    },

    draw(el, result) {
      showValues(el);
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
      result.rows.forEach((r, i) => tbody.appendChild(row("w" + (i + 1) + " × x" + (i + 1), r.x, r.w, r.product, r.bar)));
      tbody.append(row("+ bias b", null, null, result.bias, result.bias_bar),
        row("= z", null, null, result.z, result.z_bar, "nrn-total"),
        row("y = f(z)", null, null, result.y, result.y_bar, "nrn-total", true));
      table.append(thead, tbody);
      const scroll = region("nrn-scroll", "Steps of the neuron");
      scroll.appendChild(table);
      const formula = T.el("p", "nrn-formula", "z = " + result.rows.map((r) => "(" + n(r.w) + ")(" + n(r.x) + ") + ").join("")
        + "(" + n(result.bias) + ") = " + n(result.z) + "; " + result.activation_name + " of " + n(result.z) + " = ");
      formula.append(T.el("strong", null, n(result.y)), ".");
      el.querySelector(".widget-output").replaceChildren(scroll, formula);
    },
  });
})();
