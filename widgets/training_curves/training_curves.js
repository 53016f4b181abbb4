/* Training curves: redraws the readout, the loss plot, the legend and the checkpoint table from compute's result
   (the build draws the pre-rendered figure with this code too). Every coordinate comes from Python; this only
   places it. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  const svg = window.glassboxTokens.svg;

  // The step slider's readout: the step Python read (the slider's own value, unformatted as before).
  function showValue(el, r) {
    el.querySelector('[data-param="step"]').nextElementSibling.textContent = r.params.step;
  }

  // A sentence from Python as parts: {text, strong?}.
  function sentence(cls, parts) {
    const p = T.el("p", cls);
    p.append(...parts.map((part) => (part.strong ? T.el("strong", null, part.text) : part.text)));
    return p;
  }

  function plot(r) {
    const a = r.axes;
    const box = svg("svg", { class: "tc-plot", viewBox: a.viewbox, role: "img", "aria-label": r.aria_label });
    for (const t of a.x) box.appendChild(svg("line", { class: "tc-xtick", x1: t.at, y1: a.bottom, x2: t.at, y2: t.end }));
    box.append(...T.axes("tc", a, "y"),
      ...T.axisNames("tc", a, a.x_label, "nats", "middle"),
      svg("line", { class: "tc-cursor", x1: r.cursor, y1: a.top, x2: r.cursor, y2: a.bottom }),  // under the label
      svg("line", { class: "tc-ref", x1: a.left, y1: r.reference.y, x2: a.right, y2: r.reference.y }),
      svg("text", { class: "tc-tick tc-ref-label", x: r.reference.label_x, y: r.reference.label_y, "text-anchor": "end" }, r.reference.label),
      svg("polyline", { class: "tc-train", points: r.train_points }),
      svg("polyline", { class: "tc-val", points: r.val_points }));
    for (const k of r.checkpoints) {
      const mark = svg("rect", { class: "tc-ckpt" + (k.selected ? " tc-ckpt-on" : ""), x: k.corner[0], y: k.corner[1],
        width: 8, height: 8, transform: k.rotate });
      mark.appendChild(svg("title", {}, k.title));
      box.appendChild(mark);
    }
    if (r.train.at) box.appendChild(svg("circle", { class: "tc-dot-train", cx: r.train.at[0], cy: r.train.at[1], r: 4 }));
    if (r.val.at) box.appendChild(svg("circle", { class: "tc-dot-val", cx: r.val.at[0], cy: r.val.at[1], r: 4 }));
    return box;
  }

  function key(shape, text) {
    const li = T.el("li");
    const icon = svg("svg", { class: "tc-key", viewBox: "0 0 28 10", "aria-hidden": "true" });
    icon.appendChild(shape);
    li.append(icon, text);
    return li;
  }

  function legend(r) {
    const ul = T.el("ul", "tc-legend");
    ul.append(
      key(svg("line", { class: "tc-train", x1: 0, y1: 5, x2: 28, y2: 5 }),
        "training loss (solid; mean of the last 20 batches, " + r.n_train_points + " points)"),
      key(svg("line", { class: "tc-val", x1: 0, y1: 5, x2: 28, y2: 5 }),
        "validation loss (dashed; 128 held-out windows, " + r.n_val_points + " points)"),
      key(svg("rect", { class: "tc-ckpt", x: 10, y: 1, width: 8, height: 8, transform: "rotate(45 14 5)" }), "saved checkpoint"),
      key(svg("line", { class: "tc-ref", x1: 0, y1: 5, x2: 28, y2: 5 }), "uniform guess over the vocabulary (dotted)"));
    return ul;
  }

  function row(cells, cls) {
    const tr = T.el("tr", cls);
    for (const c of cells) tr.appendChild(T.el("td", null, c));
    return tr;
  }

  function table(r) {
    const t = T.el("table", "tc-table");
    t.appendChild(T.el("caption", null, "Checkpoints saved during the run, with the validation loss measured when each was saved"));
    const body = T.el("tbody");
    for (const line of r.table) body.appendChild(row(line.cells, line.selected ? "tc-row-on" : null));
    t.append(T.thead(["step", "tokens seen", "validation loss", "perplexity", "stored as"]), body);
    return t;
  }

  function scroll(child) {
    const div = T.el("div", "tc-scroll");
    div.appendChild(child);
    return div;
  }

  glassbox.widget("training_curves", {
    draw(el, r) {
      showValue(el, r);
      const parts = [sentence("tc-readout", r.readout)];
      if (r.note) parts.push(T.el("p", "tok-note", r.note));
      parts.push(scroll(plot(r)), legend(r), scroll(table(r)));
      el.querySelector(".widget-output").replaceChildren(...parts);
    },
  });
})();
