/* Weight quantizer: redraws the two histograms and the error table from compute's result.
   The build draws the pre-rendered figure with this code too; bar geometry comes from compute, in SVG units. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  const svg = window.glassboxTokens.svg;

  function hist(h, label, unit, grid) {
    const root = svg("svg", { class: "wqz-hist", viewBox: h.viewbox, role: "img", "aria-label": label });
    for (const x of grid || []) root.appendChild(svg("line", { class: "wqz-grid", x1: x, y1: h.top, x2: x, y2: h.bottom }));
    for (const b of h.bars) {
      const rect = svg("rect", { class: "wqz-bar", x: b.x, y: b.y, width: b.w, height: b.h });
      rect.appendChild(svg("title", {}, String(b.count)));
      root.appendChild(rect);
    }
    root.appendChild(svg("line", { class: "wqz-axis", x1: h.left, y1: h.bottom, x2: h.right, y2: h.bottom }));
    root.appendChild(svg("line", { class: "wqz-axis", x1: h.left, y1: h.top, x2: h.left, y2: h.bottom }));
    for (const t of h.x_ticks) root.appendChild(svg("text", { class: "wqz-tick", x: t.at, y: h.tick_y, "text-anchor": t.anchor }, t.label));
    root.appendChild(svg("text", { class: "wqz-tick", x: h.count_x, y: h.name_y, "text-anchor": "end" }, h.max_count_text));
    root.appendChild(svg("text", { class: "wqz-tick wqz-ylabel", x: h.name_x, y: h.name_y }, "weights"));
    root.appendChild(svg("text", { class: "wqz-tick", x: h.count_x, y: h.bottom, "text-anchor": "end" }, "0"));
    root.appendChild(svg("text", { class: "wqz-tick", x: h.unit_x, y: h.unit_y, "text-anchor": "middle" }, unit));
    return root;
  }

  function plot(title, figure) {
    const box = T.el("div", "wqz-plot");
    box.append(T.el("h3", "wqz-title", title), figure);
    return box;
  }

  glassbox.widget("weight_quantizer", {
    draw(el, result) {
      const p = result.params, t = result.text;
      const frag = T.figure(result.note);
      const head = T.el("p", "wqz-head");
      head.append(T.el("code", null, result.name), ", the " + result.label + ": " + result.shape[0] + " × "
        + result.shape[1] + " = " + t.n_weights + " weights, largest |w| " + t.absmax + ", RMS " + t.rms + ".");
      frag.appendChild(head);
      const plots = T.el("div", "wqz-plots");
      const original = plot("Original weights", hist(result.weights, "Histogram of the " + t.n_weights
        + " weights, from −" + t.absmax_3 + " to " + t.absmax_3, "weight value", result.grid));
      if (result.grid.length) {
        original.appendChild(T.el("p", "wqz-gridnote", "Dashed lines: the " + result.n_levels + " values " + p.format
          + " can store with this one scale."));
      }
      plots.append(
        original,
        plot("Error after " + p.format + " (w\u0302 − w)", hist(result.errors, "Histogram of the quantization error; largest "
          + t.max_abs, "error")));
      frag.appendChild(plots);
      frag.appendChild(T.statsTable("wqz-stats", [
        ["Max |error|", t.max_abs],
        ["RMS error", t.rmse],
        ["Relative error ‖ŵ − w‖ / ‖w‖", t.relative],
        ["Bytes in fp32", t.bytes_fp32],
        ["Bytes in " + p.format, t.bytes_after + ", " + t.bits_per_weight + " bits a weight, " + t.ratio + "× smaller"],
      ]));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
