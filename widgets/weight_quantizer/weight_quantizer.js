/* Weight quantizer: redraws the two histograms and the error table from compute's result.
   The build draws the pre-rendered figure with this code too; bar geometry comes from compute, in SVG units. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const PARAMS = ["layer", "matrix", "format", "granularity", "group_size"];

  const svg = window.glassboxTokens.svg;

  // A formatted number with a true minus sign (U+2212) in the mantissa and the exponent: "−4.9e−05" (as the .html's sci).
  const sci = (s) => s.split("e").map(T.minus).join("e");

  function num(x) {
    if (x === 0) return "0";
    // Python's "%.2e" writes two exponent digits (6.10e-05), JS one (6.10e-5)
    return x < 0.001 ? sci(x.toExponential(2).replace(/e([+-])(\d)$/, "e$10$2")) : x.toFixed(4);
  }

  function hist(h, label, unit, grid) {
    const root = svg("svg", { class: "wqz-hist", viewBox: "0 0 " + h.width + " " + h.height, role: "img", "aria-label": label });
    for (const x of grid || []) root.appendChild(svg("line", { class: "wqz-grid", x1: x, y1: h.top, x2: x, y2: h.bottom }));
    for (const b of h.bars) {
      const rect = svg("rect", { class: "wqz-bar", x: b.x, y: b.y, width: b.w, height: b.h });
      rect.appendChild(svg("title", {}, String(b.count)));
      root.appendChild(rect);
    }
    root.appendChild(svg("line", { class: "wqz-axis", x1: h.left, y1: h.bottom, x2: h.right, y2: h.bottom }));
    root.appendChild(svg("line", { class: "wqz-axis", x1: h.left, y1: h.top, x2: h.left, y2: h.bottom }));
    const anchors = ["start", "middle", "end"];
    h.x_ticks.forEach((t, i) => root.appendChild(svg("text", { class: "wqz-tick", x: t.at, y: h.bottom + 13, "text-anchor": anchors[i % 3] }, sci(t.label))));
    root.appendChild(svg("text", { class: "wqz-tick", x: h.left - 4, y: h.top + 8, "text-anchor": "end" }, T.int(h.max_count)));
    root.appendChild(svg("text", { class: "wqz-tick wqz-ylabel", x: h.left + 4, y: h.top + 8 }, "weights"));
    root.appendChild(svg("text", { class: "wqz-tick", x: h.left - 4, y: h.bottom, "text-anchor": "end" }, "0"));
    root.appendChild(svg("text", { class: "wqz-tick", x: (h.left + h.right) / 2, y: h.height - 2, "text-anchor": "middle" }, unit));
    return root;
  }

  function plot(title, figure) {
    const box = T.el("div", "wqz-plot");
    box.append(T.el("h3", "wqz-title", title), figure);
    return box;
  }

  function row(table, head, value) {
    const tr = T.el("tr");
    const th = T.el("th", null, head);
    th.scope = "row";
    tr.append(th, T.el("td", null, value));
    // rows in a tbody, as an HTML parser puts them: the pre-rendered table must read back the same
    (table.tBodies[0] || table.appendChild(T.el("tbody"))).appendChild(tr);
  }

  glassbox.widget("weight_quantizer", {
    read(el) {
      const params = {};
      for (const key of PARAMS) params[key] = el.querySelector('[data-param="' + key + '"]').value;
      params.layer = Number(params.layer);
      params.group_size = Number(params.group_size);
      return params;
    },

    draw(el, result) {
      const p = result.params, e = result.error;
      const frag = document.createDocumentFragment();
      if (result.note) frag.appendChild(T.el("p", "tok-note", result.note));
      const head = T.el("p", "wqz-head");
      head.append(T.el("code", null, result.name), ", the " + result.label + ": " + result.shape[0] + " × "
        + result.shape[1] + " = " + T.int(result.n_weights) + " weights, largest |w| " + result.absmax.toFixed(4)
        + ", RMS " + result.rms.toFixed(4) + ".");
      frag.appendChild(head);
      const plots = T.el("div", "wqz-plots");
      const original = plot("Original weights", hist(result.weights, "Histogram of the " + T.int(result.n_weights)
        + " weights, from −" + result.absmax.toFixed(3) + " to " + result.absmax.toFixed(3), "weight value", result.grid));
      if (result.grid.length) {
        original.appendChild(T.el("p", "wqz-gridnote", "Dashed lines: the " + result.grid.length + " values " + p.format
          + " can store with this one scale."));
      }
      plots.append(
        original,
        plot("Error after " + p.format + " (w\u0302 − w)", hist(result.errors, "Histogram of the quantization error; largest "
          + num(e.max_abs), "error")));
      frag.appendChild(plots);
      const table = T.el("table", "wqz-stats");
      row(table, "Max |error|", num(e.max_abs));
      row(table, "RMS error", num(e.rmse));
      row(table, "Relative error ‖ŵ − w‖ / ‖w‖", (100 * e.relative).toFixed(2) + "%");
      row(table, "Bytes in fp32", T.int(result.bytes_fp32));
      const scales = result.integer ? " (" + T.int(result.n_scales) + " scale" + (result.n_scales === 1 ? "" : "s") + ": "
        + T.int(result.bytes_scales) + " bytes)" : "";
      row(table, "Bytes in " + p.format, T.int(result.bytes_after) + scales + ", " + Number(result.bits_per_weight.toPrecision(3))
        + " bits a weight, " + result.ratio.toFixed(2) + "× smaller");
      frag.appendChild(table);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
