/* Dense layer: redraws the weight grid, the outputs and the sums from compute's result (the build draws the
   pre-rendered figure with this code too). Hovering or focusing an output only highlights its column and its
   written-out sum: every product shown was computed by llm_core.ffn.linear_terms. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

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
    for (const c of result.columns) {
      const th = cell("th", "dl-col", c.j);
      th.scope = "col";
      th.textContent = c.label;
      head.appendChild(th);
    }
    table.appendChild(T.el("thead")).appendChild(head);
    const body = T.el("tbody");
    for (const row of result.rows) {
      const tr = T.el("tr");
      const th = sub(T.el("th"), "x", row.number);
      th.scope = "row";
      th.append(" = " + row.x_text);
      tr.appendChild(th);
      for (const c of row.cells) {
        const td = cell("td", "dl-w", c.j);
        td.appendChild(T.el("span", "dl-weight", c.w_text));
        const prod = sub(T.el("span", "dl-prod", "× "), "x", row.number);
        prod.append(" = " + c.term_text);
        td.appendChild(prod);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    const bias = T.el("tr", "dl-bias");
    const bth = T.el("th", null, "bias b");
    bth.scope = "row";
    bias.appendChild(bth);
    for (const c of result.b_cells) {
      const td = cell("td", "dl-w", c.j);
      td.appendChild(T.el("span", "dl-weight", c.text));
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
      const button = sub(cell("button", "dl-out", o.j), "y", o.number);
      button.type = "button";
      button.setAttribute("aria-describedby", wid + "-line" + o.j);
      button.append(" = " + o.y_text);
      td.appendChild(button);
      ys.appendChild(td);
    }
    foot.appendChild(ys);
    if (result.params.activation !== "none") {
      const hs = T.el("tr");
      const hth = T.el("th", null, result.activation_name + "(y)");
      hth.scope = "row";
      hs.appendChild(hth);
      for (const o of result.outputs) hs.appendChild(Object.assign(cell("td", "dl-h", o.j), { textContent: o.h_text }));
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

  glassbox.widget("dense_layer", {
    mount(el) {
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
      T.showReadouts(el, result.shown);
      const wid = el.querySelector('[data-param="x0"]').id.replace(/-x0$/, "");
      const frag = document.createDocumentFragment();
      frag.appendChild(T.el("p", "dl-toy", "Toy numbers: " + result.d_in + " inputs, " + result.d_out
        + " outputs, " + result.n_params + " parameters (" + result.n_multiplies + " weights and " + result.d_out
        + " biases, drawn from the seed and rounded to one decimal). Hover over or tab to an output to see the "
        + "multiplications that make it."));
      const scroll = T.el("div", "dl-scroll");
      scroll.appendChild(grid(el, result, wid));
      frag.appendChild(scroll);
      const lines = T.list("ol", "dl-lines", "Each output as a sum of products");
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
