/* Superposition: the toy model's feature directions as arrows in the plane, and each feature's norm and
   superposition as a table with bars (the build draws the pre-rendered figure with this code too). Every
   coordinate, width and number comes from Python; this only places them. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const svg = T.svg;

  function plane(r) {
    const s = r.plane, c = s.centre, [from, to] = s.axis;
    const box = svg("svg", { class: "sp-plane", viewBox: "0 0 " + s.size + " " + s.size, role: "img",
      "aria-label": r.plane_label });
    box.append(
      svg("circle", { class: "sp-ring", cx: c, cy: c, r: s.radius }),
      svg("line", { class: "sp-axis", x1: from, y1: c, x2: to, y2: c }),
      svg("line", { class: "sp-axis", x1: c, y1: from, x2: c, y2: to }));
    for (const a of s.arrows) {
      const cls = a.kept ? "sp-arrow" : "sp-arrow sp-dropped";
      box.appendChild(svg("line", { class: cls, x1: c, y1: c, x2: a.tip[0], y2: a.tip[1] }));
      if (a.kept) {
        box.append(svg("circle", { class: "sp-tip", cx: a.tip[0], cy: a.tip[1], r: 3.5 }),
          svg("text", { class: "sp-tag", x: a.label[0], y: a.label_y, "text-anchor": "middle" }, a.i));
      }
    }
    return box;
  }

  function cell(text, width) {
    const box = T.el("span", "sp-cell");
    box.append(T.el("span", "sp-num", text), T.bar("sp-bar", width));
    return box;
  }

  function features(r) {
    const rows = r.rows.map((f) => T.headedRow(String(f.i), [f.importance_text, cell(f.norm_text, f.norm_bar),
      cell(f.superposition_text, f.superposition_bar), f.angle_text, f.status], "sp-" + f.status.split(" ")[0]));
    const table = T.table("sp-table", ["Feature", "Importance", "Norm ‖W_i‖", "Superposition", "Angle", "Status"], rows);
    return T.scroller("sp-scroll", "Each feature's norm and superposition", table);
  }

  glassbox.widget("superposition", {
    mount(el) {
      el.querySelector(".sp-controls").addEventListener("input", () => T.echo(el, ["n_features"]));
    },

    draw(el, r) {
      T.showReadouts(el, { sparsity: r.sparsity_text, importance_decay: r.decay_text,
        n_features: String(r.params.n_features) });
      const frag = T.figure(null);
      frag.appendChild(T.el("p", "sp-summary", r.summary));
      const row = T.el("div", "sp-row");
      row.append(plane(r), features(r));
      frag.append(row, T.el("p", "sp-detail", r.detail));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
