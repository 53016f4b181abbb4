/* Training curves: redraws the readout, the loss plot, the legend and the checkpoint table from compute's result
   (the build draws the pre-rendered figure with this code too). Every coordinate comes from Python; this only
   places it. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  const svg = window.glassboxTokens.svg;

  const pts = (points) => points.map(([x, y]) => x.toFixed(2) + "," + y.toFixed(2)).join(" ");
  const signed = (x, digits) => (x >= 0 ? "+" : "") + x.toFixed(digits);
  const oneDecimal = (x) => x.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  function showValue(el) {
    const input = el.querySelector('[data-param="step"]');
    input.nextElementSibling.textContent = input.value;
  }

  function readout(r) {
    const p = T.el("p", "tc-readout");
    p.append("Step ", T.el("strong", null, T.int(r.step)), " (" + T.int(r.tokens) + " training tokens seen). Training loss ",
      T.el("strong", null, r.train.loss.toFixed(3)), " nats, perplexity " + r.train.perplexity.toFixed(1)
        + " (logged at step " + T.int(r.train.step) + "); validation loss ",
      T.el("strong", null, r.val.loss.toFixed(3)), " nats, perplexity " + r.val.perplexity.toFixed(1)
        + " (measured at step " + T.int(r.val.step) + "). Validation minus training: " + signed(r.gap, 3) + " nats. So far: "
        + r.tokens_per_param.toFixed(2) + " training tokens per parameter (" + T.int(r.n_params) + " parameters), about "
        + r.flops_text + " floating-point operations (6 × parameters × tokens).");
    return p;
  }

  function plot(r) {
    const a = r.axes;
    const box = svg("svg", { class: "tc-plot", viewBox: "0 0 " + a.width + " " + a.height, role: "img",
      "aria-label": "Loss against training step: the validation loss falls from " + r.first.loss.toFixed(2)
        + " nats at initialisation to " + r.last.val.toFixed(2) + " at step " + T.int(r.last.step)
        + ", the training loss to " + r.last.train.toFixed(2) + "; the cursor is at step " + T.int(r.step) });
    for (const t of a.y) {
      box.append(svg("line", { class: "tc-grid", x1: a.left, y1: t.at, x2: a.right, y2: t.at }),
        svg("text", { class: "tc-tick", x: a.left - 6, y: t.at + 4, "text-anchor": "end" }, t.label));
    }
    for (const t of a.x) {
      box.appendChild(svg("line", { class: "tc-xtick", x1: t.at, y1: a.bottom, x2: t.at, y2: a.bottom + (t.major ? 5 : 3) }));
      if (t.label) box.appendChild(svg("text", { class: "tc-tick", x: t.at, y: a.bottom + 17, "text-anchor": "middle" }, t.label));
    }
    box.append(
      svg("line", { class: "tc-axis", x1: a.left, y1: a.bottom, x2: a.right, y2: a.bottom }),
      svg("line", { class: "tc-axis", x1: a.left, y1: a.top, x2: a.left, y2: a.bottom }),
      svg("text", { class: "tc-tick", x: (a.left + a.right) / 2, y: a.height - 4, "text-anchor": "middle" }, a.x_label),
      svg("text", { class: "tc-tick", x: a.left + 4, y: a.top + 10 }, "nats"),
      svg("line", { class: "tc-cursor", x1: r.cursor, y1: a.top, x2: r.cursor, y2: a.bottom }),  // under the label
      svg("line", { class: "tc-ref", x1: a.left, y1: r.reference.y, x2: a.right, y2: r.reference.y }),
      svg("text", { class: "tc-tick tc-ref-label", x: a.right - 2, y: r.reference.y - 4, "text-anchor": "end" }, r.reference.label),
      svg("polyline", { class: "tc-train", points: pts(r.train_line) }),
      svg("polyline", { class: "tc-val", points: pts(r.val_line) }));
    for (const k of r.checkpoints) {
      const [x, y] = k.at;
      const mark = svg("rect", { class: "tc-ckpt" + (k.selected ? " tc-ckpt-on" : ""), x: (x - 4).toFixed(2), y: (y - 4).toFixed(2),
        width: 8, height: 8, transform: "rotate(45 " + x + " " + y + ")" });
      mark.appendChild(svg("title", {}, "checkpoint at step " + T.int(k.step) + ": validation loss " + k.val_loss.toFixed(3)));
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
    const head = T.el("tr");
    for (const h of ["step", "tokens seen", "validation loss", "perplexity", "stored as"]) {
      const th = T.el("th", null, h);
      th.scope = "col";
      head.appendChild(th);
    }
    const thead = T.el("thead");
    thead.appendChild(head);
    const body = T.el("tbody");
    body.appendChild(row([T.int(r.first.step), "0", r.first.loss.toFixed(3), oneDecimal(r.first.perplexity), "untrained"]));
    for (const k of r.checkpoints) {
      body.appendChild(row([T.int(k.step), T.int(k.tokens), k.val_loss.toFixed(3), oneDecimal(k.perplexity), k.format],
        k.selected ? "tc-row-on" : null));
    }
    t.append(thead, body);
    return t;
  }

  function scroll(child) {
    const div = T.el("div", "tc-scroll");
    div.appendChild(child);
    return div;
  }

  glassbox.widget("training_curves", {
    read(el) {
      return {
        step: Number(el.querySelector('[data-param="step"]').value),
        axis: el.querySelector('[data-param="axis"]').value,
      };
    },

    mount(el) {
      el.querySelector(".tc-controls").addEventListener("input", () => showValue(el));
    },

    draw(el, r) {
      showValue(el);
      const parts = [readout(r)];
      if (r.note) parts.push(T.el("p", "tok-note", r.note));
      parts.push(scroll(plot(r)), legend(r), scroll(table(r)));
      el.querySelector(".widget-output").replaceChildren(...parts);
    },
  });
})();
