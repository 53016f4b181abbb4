/* RoPE frequencies: redraws the summary, the wavelength chart and the table from compute's result (the build draws
   the pre-rendered figure with this code too). Every position and count comes from Python. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const svg = window.glassboxTokens.svg;

  function chart(r) {
    const c = r.chart, md = r.model;
    const box = svg("svg", { class: "rf-chart", viewBox: "0 0 " + c.width + " " + c.height, role: "img",
      "aria-label": "Wavelength in tokens of each of the " + r.n_pairs + " pairs, log scale, for no scaling, "
        + "position interpolation and NTK-aware scaling; lines at the trained context " + md.n_ctx
        + " and the new context " + r.n_ctx_new + ". Counts of pairs reaching unseen angles: "
        + r.schemes.map((s) => s.label + " " + s.n_unseen).join(", ") + "." });
    box.append(svg("line", { class: "rf-axis", x1: c.left, y1: c.bottom, x2: c.right, y2: c.bottom }),
      svg("line", { class: "rf-axis", x1: c.left, y1: c.top, x2: c.left, y2: c.bottom }));
    for (const t of c.y_ticks) box.appendChild(svg("text", { class: "rf-tick", x: c.tick_x, y: t.text_y, "text-anchor": "end" }, t.label));
    for (const t of c.x_ticks) box.appendChild(svg("text", { class: "rf-tick", x: t.at, y: c.x_tick_y, "text-anchor": "middle" }, t.label));
    box.appendChild(svg("text", { class: "rf-tick", x: c.note_x, y: c.title_y }, "tokens per turn"));
    box.appendChild(svg("text", { class: "rf-tick", x: c.axis_x, y: c.axis_y, "text-anchor": "middle" }, "pair i (fast → slow)"));
    c.lines.forEach((l, i) => box.append(
      svg("line", { class: "rf-ctx rf-ctx-" + i, x1: c.left, y1: l.at, x2: c.right, y2: l.at }),
      svg("text", { class: "rf-tick", x: c.note_x, y: l.text_y }, l.label)));
    for (const s of c.series) {
      for (const pt of s.points) {
        box.appendChild(svg(s.shape, { class: "rf-pt rf-" + s.scheme + (pt.unseen ? " rf-unseen" : ""), ...pt.marker }));
      }
    }
    const wrap = T.el("div", "rf-chart-box");
    wrap.appendChild(box);
    return wrap;
  }

  function table(r) {
    const details = T.el("details", "rf-details");
    details.appendChild(T.el("summary", null, "Every pair's wavelength, in tokens"));
    const wrap = T.region("rf-table-box", "Wavelength of every pair");
    const t = T.el("table", "rf-table");
    const body = T.el("tbody");
    for (const row of r.rows) {
      const tr = T.el("tr");
      tr.append(T.el("td", null, row.pair), T.el("td", null, row.freq_text));
      for (const key of ["none", "linear", "ntk"]) {
        const td = T.el("td", null, row[key].text);
        if (row[key].unseen) td.append(" ", T.el("span", "rf-new", "new angles"));
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    t.append(T.thead(["pair", "radians per token", "no scaling", "position interpolation", "NTK-aware"]), body);
    wrap.appendChild(t);
    details.appendChild(wrap);
    return details;
  }

  glassbox.widget("rope_frequencies", {
    mount(el) {
      const input = el.querySelector('[data-param="factor"]');
      input.addEventListener("input", () => { input.nextElementSibling.textContent = input.value + "×"; });
    },

    draw(el, r) {
      el.querySelector('[data-param="factor"]').nextElementSibling.textContent = r.factor_text;
      const frag = document.createDocumentFragment();
      const intro = T.el("p", "rf-line", r.intro);
      intro.append(T.el("strong", null, r.partial_text), r.partial_tail);
      const stretched = T.el("p", "rf-line", "Stretched to ");
      stretched.append(T.el("strong", null, r.new_context), " (" + r.factor_text + "):");
      const list = T.el("ul", "rf-schemes");
      for (const s of r.schemes) {
        const li = T.el("li", "rf-scheme-" + s.key);
        li.append(T.el("strong", null, s.name), s.text);
        list.appendChild(li);
      }
      const legend = T.el("p", "rf-legend");
      const icons = { none: ["circle", { cx: 5, cy: 5, r: 3 }], linear: ["rect", { x: 2, y: 2, width: 6, height: 6 }],
        ntk: ["path", { d: "M5 1l4 4l-4 4l-4 -4z" }] };
      r.schemes.forEach(({ key, label }, i) => {
        const mark = T.el("span", "rf-mark");
        const icon = svg("svg", { viewBox: "0 0 10 10", "aria-hidden": "true" });
        const [shape, attrs] = icons[key];
        icon.appendChild(svg(shape, { class: "rf-pt rf-" + key, ...attrs }));
        mark.append(icon, " " + label);
        legend.append(i ? " " : "", mark);
      });
      legend.append(". Filled: the pair reaches angles never seen in training; hollow: it does not.");
      frag.append(intro, stretched, list, chart(r), legend, table(r));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
