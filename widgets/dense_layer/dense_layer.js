/* Dense layer: redraws the weight grid, the outputs and the sums from compute's result (the build draws the
   pre-rendered figure with this code too). Hovering or focusing an output only highlights its column and its
   written-out sum: every product shown was computed by llm_core.ffn.linear_terms. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const ACT = { none: "none", relu: "ReLU", silu: "SiLU" };

  // A number with a true minus sign (U+2212), and "0.00" rather than "-0.00" (as dense_layer.html's num).
  const num = (v) => T.minus(v.toFixed(2));

  function sub(parent, base, index) {  // "x" + subscript index
    parent.append(base);
    parent.appendChild(T.el("sub", null, index));
    return parent;
  }

  function cell(tag, cls, col) {
    const node = T.el(tag, cls);
    if (col !== undefined) node.dataset.col = col;
    return node;
  }

  function grid(el, result, wid) {
    const table = T.el("table", "dl-grid");
    table.appendChild(T.el("caption", "dl-caption", "Weight matrix W (" + result.d_in + " × " + result.d_out
      + "): each cell shows its weight and, below it, that weight times the row's input."));
    const head = T.el("tr");
    const corner = T.el("th", null, "input");
    corner.scope = "col";
    head.appendChild(corner);
    for (let j = 0; j < result.d_out; j++) {
      const th = cell("th", "dl-col", j);
      th.scope = "col";
      th.textContent = "column " + (j + 1);
      head.appendChild(th);
    }
    table.appendChild(T.el("thead")).appendChild(head);
    const body = T.el("tbody");
    for (let i = 0; i < result.d_in; i++) {
      const tr = T.el("tr");
      const th = sub(T.el("th"), "x", i + 1);
      th.scope = "row";
      th.append(" = " + num(result.x[i]));
      tr.appendChild(th);
      for (let j = 0; j < result.d_out; j++) {
        const td = cell("td", "dl-w", j);
        td.appendChild(T.el("span", "dl-weight", num(result.w[i][j])));
        const prod = sub(T.el("span", "dl-prod", "× "), "x", i + 1);
        prod.append(" = " + num(result.terms[i][j]));
        td.appendChild(prod);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    const bias = T.el("tr", "dl-bias");
    const bth = T.el("th", null, "bias b");
    bth.scope = "row";
    bias.appendChild(bth);
    for (let j = 0; j < result.d_out; j++) {
      const td = cell("td", "dl-w", j);
      td.appendChild(T.el("span", "dl-weight", num(result.b[j])));
      bias.appendChild(td);
    }
    body.appendChild(bias);
    table.appendChild(body);

    const foot = T.el("tfoot");
    const ys = T.el("tr");
    const yth = T.el("th", null, "y = x W + b");
    yth.scope = "row";
    ys.appendChild(yth);
    for (const o of result.outputs) {
      const td = cell("td", null, o.j);
      const button = sub(cell("button", "dl-out", o.j), "y", o.j + 1);
      button.type = "button";
      button.setAttribute("aria-describedby", wid + "-line" + o.j);
      button.append(" = " + num(o.y));
      td.appendChild(button);
      ys.appendChild(td);
    }
    foot.appendChild(ys);
    if (result.params.activation !== "none") {
      const hs = T.el("tr");
      const hth = T.el("th", null, ACT[result.params.activation] + "(y)");
      hth.scope = "row";
      hs.appendChild(hth);
      for (const o of result.outputs) hs.appendChild(Object.assign(cell("td", "dl-h", o.j), { textContent: num(o.h) }));
      foot.appendChild(hs);
    }
    table.appendChild(foot);
    return table;
  }

  function highlight(el, col) {
    el.querySelectorAll("[data-col]").forEach((node) => {
      node.classList.toggle("dl-on", col !== null && node.dataset.col === col);
    });
  }

  function showValues(el) {
    el.querySelectorAll('input[type="range"]').forEach((input) => {
      input.nextElementSibling.textContent = num(Number(input.value));
    });
  }

  glassbox.widget("dense_layer", {
    read(el) {
      const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
      return {
        x0: Number(value("x0")), x1: Number(value("x1")), x2: Number(value("x2")),
        seed: value("seed") === "" ? 0 : Number(value("seed")),
        activation: value("activation"),
      };
    },

    mount(el) {
      el.querySelector(".dl-controls").addEventListener("input", () => showValues(el));
      let pinned = null;  // a clicked output stays highlighted until another is chosen
      const colOf = (event) => {
        const node = event.target.closest && event.target.closest(".dl-grid [data-col], .dl-line");
        return node ? node.dataset.col : null;
      };
      el.addEventListener("mouseover", (event) => highlight(el, colOf(event) ?? pinned));
      el.addEventListener("focusin", (event) => highlight(el, colOf(event) ?? pinned));
      el.addEventListener("click", (event) => {
        if (event.target.closest(".dl-out")) { pinned = colOf(event); highlight(el, pinned); }
      });
      el.addEventListener("mouseleave", () => highlight(el, pinned));
    },

    draw(el, result) {
      showValues(el);
      const wid = el.querySelector('[data-param="x0"]').id.replace(/-x0$/, "");
      const frag = document.createDocumentFragment();
      frag.appendChild(T.el("p", "dl-toy", "Toy numbers: " + result.d_in + " inputs, " + result.d_out
        + " outputs, " + result.n_params + " parameters (" + result.n_multiplies + " weights and " + result.d_out
        + " biases, drawn from the seed and rounded to one decimal). Hover over or tab to an output to see the "
        + "multiplications that make it."));
      const scroll = T.el("div", "dl-scroll");
      scroll.appendChild(grid(el, result, wid));
      frag.appendChild(scroll);
      const lines = T.el("ol", "dl-lines");
      lines.setAttribute("aria-label", "Each output as a sum of products");
      for (const o of result.outputs) {
        const li = cell("li", "dl-line", o.j);
        li.id = wid + "-line" + o.j;
        li.textContent = o.line;
        lines.appendChild(li);
      }
      frag.appendChild(lines);
      const out = el.querySelector(".widget-output");
      const active = out.querySelector(".dl-on");
      out.replaceChildren(frag);
      if (active) highlight(el, active.dataset.col);
    },
  });
})();
