/* Optimizer race: redraws the contour plot, the three paths and the legend from compute's result (the build draws
   the pre-rendered figure with this code too). Contours, paths and markers arrive as SVG coordinates from Python.
   In the page, site/static/js/plot3d.js draws result.plot3d (the surface in 3-D, the paths on it) into the empty
   .plot3d-slot under the legend; the table of plotted values follows. */
(function () {
  "use strict";
  const STYLE = { sgd: "solid line, circles", momentum: "dashed line, squares", adam: "dotted line, triangles" };

  const make = window.glassboxTokens.el;

  const svg = window.glassboxTokens.svg;

  function input(el, key) {
    return el.querySelector('[data-param="' + key + '"]');
  }

  function showValues(el, result) {  // each slider's <output>
    window.glassboxTokens.showReadouts(el, result.shown);
  }

  function key(children) {
    const box = svg("svg", { class: "opt-key", viewBox: "0 0 30 14", width: 30, height: 14, "aria-hidden": "true" });
    box.append(...children);
    return box;
  }

  function plot(el, result) {
    const v = result.view;
    const box = svg("svg", { class: "opt-plot", viewBox: v.viewbox, role: "img",
      "aria-label": "Contour lines of the loss, with the paths of SGD, momentum and Adam from the same start; "
        + "the list below gives where each ended and its final loss." });
    const area = { x: v.area.x, y: v.area.y, width: v.area.width, height: v.area.height };  // attributes in this order
    const clipId = el.id + "-clip";
    const clip = svg("clipPath", { id: clipId });
    clip.appendChild(svg("rect", area));
    box.append(clip, svg("rect", Object.assign({ class: "opt-bg" }, area)));
    for (const t of v.x) box.appendChild(svg("text", { class: "opt-tick", x: t.at, y: v.x_text_y, "text-anchor": "middle" }, t.label));
    for (const t of v.y) box.appendChild(svg("text", { class: "opt-tick", x: v.y_text_x, y: t.text_y, "text-anchor": "end" }, t.label));
    const g = svg("g", { "clip-path": "url(#" + clipId + ")" });  // paths that fly off stop at the frame
    for (const c of result.contours) g.appendChild(svg("path", { class: "opt-contour", d: c.d }));
    for (const d of result.minima_d) g.appendChild(svg("path", { class: "opt-min", d }));
    for (const r of result.runs) {
      g.append(svg("polyline", { class: "opt-line opt-" + r.method, points: r.points.map(([x, y]) => x + "," + y).join(" ") }),
        svg("path", { class: "opt-mark opt-" + r.method, d: r.markers }));
    }
    g.appendChild(svg("circle", { class: "opt-start", cx: result.start[0], cy: result.start[1], r: 6 }));
    box.append(g,  // the axis names, in the plot's corners
      svg("text", { class: "opt-tick opt-axis-name", x: v.x_name[0], y: v.x_name[1], "text-anchor": "end" }, "x →"),
      svg("text", { class: "opt-tick opt-axis-name", x: v.y_name[0], y: v.y_name[1] }, "y ↑"));
    return box;
  }

  function legend(result) {
    const list = make("ul", "opt-legend");
    for (const r of result.runs) {
      const li = make("li");
      li.append(key([svg("line", { class: "opt-line opt-" + r.method, x1: 0, y1: 7, x2: 30, y2: 7 }),
        svg("path", { class: "opt-mark opt-" + r.method, d: r.key })]), " ", make("strong", null, r.label),
        " (" + STYLE[r.method] + "): ");
      if (r.diverged) {
        li.append("diverged after " + r.steps_text + ", last seen at " + r.end_text
          + " with loss " + r.final_text);
      } else {
        li.append("final loss ", make("strong", null, r.final_text), " at " + r.end_text);
      }
      list.appendChild(li);
    }
    const li = make("li");
    li.append(key([svg("circle", { class: "opt-start", cx: 15, cy: 7, r: 5 })]), " start; ",
      key([svg("path", { class: "opt-min", d: "M10 2l10 10m0 -10l-10 10" })]), " minimum; thin lines: equal loss (contours)");
    list.appendChild(li);
    return list;
  }

  function values(result) {  // the plotted values, for keyboards and screen readers
    const T = window.glassboxTokens;
    const details = make("details", "opt-numbers");
    details.appendChild(make("summary", null, "Plotted values: the paths and the surface"));
    const paths = make("table", "opt-table");
    paths.appendChild(make("caption", null, "Position and loss of each optimizer, step by step"));
    paths.appendChild(T.thead(["step", ...result.table.path_head]));
    const body = make("tbody");
    for (const row of result.table.path_rows) body.appendChild(T.headedRow(row.step, row.cells));
    paths.appendChild(body);
    const grid = make("table", "opt-table");
    grid.appendChild(make("caption", null, "Loss on a grid of the surface (rows: y, columns: x)"));
    grid.appendChild(T.thead(["y \\ x", ...result.table.grid_x]));
    const gbody = make("tbody");
    for (const row of result.table.grid_rows) gbody.appendChild(T.headedRow(row.y, row.cells));
    grid.appendChild(gbody);
    const a = T.region("opt-scroll", "Paths, step by step");
    a.appendChild(paths);
    const b = T.region("opt-scroll", "Loss on a grid");
    b.appendChild(grid);
    details.append(a, b);
    return details;
  }

  glassbox.widget("optimizer_race", {
    mount(el, api) {
      window.glassboxPlot3d.follow(el, api);
      // A new surface starts from that surface's own starting point (listed in every result). This runs
      // before the runtime reads the controls, because the runtime listens on the figure, further up.
      const surface = input(el, "surface");
      const restart = () => {
        const start = api.result && api.result.starts && api.result.starts[surface.value];
        if (!start) return;
        input(el, "x0").value = String(start[0]);
        input(el, "y0").value = String(start[1]);
      };
      surface.addEventListener("input", restart);
      surface.addEventListener("change", restart);
    },

    draw(el, result, params) {
      const P = result.params;
      // a start outside this surface's view was clamped: move the slider to where the run really began
      for (const k of ["x0", "y0"]) if (params && params[k] !== P[k]) input(el, k).value = String(P[k]);
      showValues(el, result);
      const readout = make("p", "opt-readout", result.about + ". All three start at (" + result.shown.x0 + ", "
        + result.shown.y0 + "), where the loss is " + result.start_text + ", with learning rate ");
      readout.append(make("strong", null, result.lr_text), " for " + result.steps_text + ".");
      const parts = [readout];
      for (const m of result.messages) parts.push(make("p", "opt-warn", "⚠ " + m));
      parts.push(plot(el, result), legend(result), make("div", "plot3d-slot"), values(result));
      el.querySelector(".widget-output").replaceChildren(...parts);
    },
  });
})();
