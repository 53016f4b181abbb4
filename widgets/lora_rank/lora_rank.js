/* LoRA rank: redraws the singular value spectrum (kept ones marked) and the numbers from compute's result.
   The build draws the pre-rendered figure with this code too; bar geometry comes from compute, in SVG units. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  const svg = window.glassboxTokens.svg;

  function plot(result) {
    const sp = result.spectrum;
    const root = svg("svg", { class: "lr-plot", viewBox: sp.viewbox, role: "img", "aria-label": result.aria_label });
    for (const b of sp.bars) root.appendChild(svg("rect", { class: "lr-bar" + (b.kept ? " lr-kept" : ""), x: b.x, y: b.y, width: b.w, height: b.h }));
    root.appendChild(svg("line", { class: "lr-cut", x1: sp.cut, y1: sp.top, x2: sp.cut, y2: sp.bottom }));
    root.appendChild(svg("text", { class: "lr-tick", x: sp.cut_label.x, y: sp.cut_label.y }, sp.cut_label.text));
    root.appendChild(svg("line", { class: "lr-axis", x1: sp.left, y1: sp.bottom, x2: sp.right, y2: sp.bottom }));
    root.appendChild(svg("line", { class: "lr-axis", x1: sp.left, y1: sp.top, x2: sp.left, y2: sp.bottom }));
    for (const t of sp.x_ticks) root.appendChild(svg("text", { class: "lr-tick", x: t.at, y: sp.x_text_y, "text-anchor": "middle" }, t.label));
    root.appendChild(svg("text", { class: "lr-tick", x: sp.y_text_x, y: sp.max_label.y, "text-anchor": "end" }, sp.max_label.text));
    root.appendChild(svg("text", { class: "lr-tick", x: sp.y_text_x, y: sp.bottom, "text-anchor": "end" }, "0"));
    root.appendChild(svg("text", { class: "lr-tick", x: sp.title.x, y: sp.title.y, "text-anchor": "middle" }, "singular value number (largest first)"));
    return root;
  }

  function swatch(kept) {
    const s = T.el("span", "lr-swatch" + (kept ? " lr-kept" : ""));
    s.setAttribute("aria-hidden", "true");
    return s;
  }

  glassbox.widget("lora_rank", {
    draw(el, result) {
      T.showReadouts(el, { rank: result.params.rank });
      const frag = T.figure(result.note);
      const head = T.el("p", "lr-head");
      head.append(T.el("code", null, result.name), ": " + result.shape[0] + " × " + result.shape[1] + ", "
        + result.max_rank + " singular values. Keeping the largest ", T.el("strong", null, String(result.rank)), ":");
      frag.append(head, plot(result));
      const legend = T.el("p", "lr-legend");
      legend.append(swatch(true), " kept (left of the line) ", swatch(false), " dropped");
      frag.appendChild(legend);
      frag.appendChild(T.statsTable("lr-stats", result.stats));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
