/* LoRA rank: redraws the singular value spectrum (kept ones marked) and the numbers from compute's result.
   The build draws the pre-rendered figure with this code too; bar geometry comes from compute, in SVG units. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  const svg = window.glassboxTokens.svg;

  function plot(result) {
    const sp = result.spectrum;
    const root = svg("svg", { class: "lr-plot", viewBox: "0 0 " + sp.width + " " + sp.height, role: "img",
      "aria-label": "Singular values of " + result.name + ", largest " + result.s_first.toFixed(3) + ", smallest "
        + result.s_last.toFixed(4) + "; the first " + result.rank + " are kept" });
    for (const b of sp.bars) root.appendChild(svg("rect", { class: "lr-bar" + (b.kept ? " lr-kept" : ""), x: b.x, y: b.y, width: b.w, height: b.h }));
    root.appendChild(svg("line", { class: "lr-cut", x1: sp.cut, y1: sp.top, x2: sp.cut, y2: sp.bottom }));
    root.appendChild(svg("text", { class: "lr-tick", x: sp.cut + 3, y: sp.top + 9 }, "r = " + result.rank));
    root.appendChild(svg("line", { class: "lr-axis", x1: sp.left, y1: sp.bottom, x2: sp.right, y2: sp.bottom }));
    root.appendChild(svg("line", { class: "lr-axis", x1: sp.left, y1: sp.top, x2: sp.left, y2: sp.bottom }));
    for (const t of sp.x_ticks) root.appendChild(svg("text", { class: "lr-tick", x: t.at, y: sp.bottom + 13, "text-anchor": "middle" }, t.label));
    root.appendChild(svg("text", { class: "lr-tick", x: sp.left - 4, y: sp.top + 8, "text-anchor": "end" }, sp.max.toFixed(2)));
    root.appendChild(svg("text", { class: "lr-tick", x: sp.left - 4, y: sp.bottom, "text-anchor": "end" }, "0"));
    root.appendChild(svg("text", { class: "lr-tick", x: (sp.left + sp.right) / 2, y: sp.height - 2, "text-anchor": "middle" }, "singular value number (largest first)"));
    return root;
  }

  function swatch(kept) {
    const s = T.el("span", "lr-swatch" + (kept ? " lr-kept" : ""));
    s.setAttribute("aria-hidden", "true");
    return s;
  }

  function row(table, head, value) {
    const tr = T.el("tr");
    const th = T.el("th", null, head);
    th.scope = "row";
    tr.append(th, T.el("td", null, value));
    // rows in a tbody, as an HTML parser puts them: the pre-rendered table must read back the same
    (table.tBodies[0] || table.appendChild(T.el("tbody"))).appendChild(tr);
  }

  glassbox.widget("lora_rank", {
    read(el) {
      const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
      return { layer: Number(value("layer")), matrix: value("matrix"), rank: Number(value("rank")) };
    },

    mount(el) {
      const r = el.querySelector('[data-param="rank"]');
      r.addEventListener("input", () => { r.nextElementSibling.textContent = r.value; });
    },

    draw(el, result) {
      el.querySelector('[data-param="rank"]').nextElementSibling.textContent = String(result.params.rank);
      const frag = document.createDocumentFragment();
      if (result.note) frag.appendChild(T.el("p", "tok-note", result.note));
      const head = T.el("p", "lr-head");
      head.append(T.el("code", null, result.name), ": " + result.shape[0] + " × " + result.shape[1] + ", "
        + result.max_rank + " singular values. Keeping the largest ", T.el("strong", null, String(result.rank)), ":");
      frag.append(head, plot(result));
      const legend = T.el("p", "lr-legend");
      legend.append(swatch(true), " kept (left of the line) ", swatch(false), " dropped");
      frag.appendChild(legend);
      const table = T.el("table", "lr-stats");
      row(table, "Relative error ‖W − AB‖ / ‖W‖", (100 * result.relative).toFixed(1) + "%");
      row(table, "Share of Σs² kept", (100 * result.energy).toFixed(1) + "% (90% needs rank " + result.rank_for_90 + ")");
      row(table, "A random matrix, same shape, same rank", (100 * result.random_relative).toFixed(1) + "% error");
      row(table, "Numbers in A and B, r (d_in + d_out)", T.int(result.lora) + " vs " + T.int(result.full) + " in W ("
        + (100 * result.fraction).toFixed(1) + "%)");
      frag.appendChild(table);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
