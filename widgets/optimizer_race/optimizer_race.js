/* Optimizer race: redraws the contour plot, the three paths and the legend from compute's result (the build draws
   the pre-rendered figure with this code too). Contours, paths and markers arrive as SVG coordinates from Python. */
(function () {
  "use strict";
  const SLIDERS = { x0: 1, y0: 1, steps: 0, beta: 2, beta1: 2, beta2: 4 };  // param -> digits shown
  const STYLE = { sgd: "solid line, circles", momentum: "dashed line, squares", adam: "dotted line, triangles" };

  const make = window.glassboxTokens.el;
  const minus = window.glassboxTokens.minus;  // a true minus sign, never −0.0 (as the .html's minus)

  const svg = window.glassboxTokens.svg;

  function input(el, key) {
    return el.querySelector('[data-param="' + key + '"]');
  }

  function read(el) {
    const out = { surface: input(el, "surface").value, lr_exp: Number(input(el, "lr_exp").value) };
    for (const key of Object.keys(SLIDERS)) out[key] = Number(input(el, key).value);
    return out;
  }

  function showValues(el) {
    for (const [key, digits] of Object.entries(SLIDERS)) {
      const node = input(el, key);
      node.nextElementSibling.textContent = minus(Number(node.value).toFixed(digits));
    }
    const lr = input(el, "lr_exp");
    lr.nextElementSibling.textContent = Math.pow(10, Number(lr.value)).toPrecision(3);  // as Python's "%#.3g"
  }

  function key(children) {
    const box = svg("svg", { class: "opt-key", viewBox: "0 0 30 14", width: 30, height: 14, "aria-hidden": "true" });
    box.append(...children);
    return box;
  }

  function plot(el, result) {
    const v = result.view;
    const box = svg("svg", { class: "opt-plot", viewBox: "0 0 " + v.width + " " + v.height, role: "img",
      "aria-label": "Contour lines of the loss, with the paths of SGD, momentum and Adam from the same start; "
        + "the list below gives where each ended and its final loss." });
    const area = { x: v.left, y: v.top, width: v.right - v.left, height: v.bottom - v.top };
    const clipId = el.id + "-clip";
    const clip = svg("clipPath", { id: clipId });
    clip.appendChild(svg("rect", area));
    box.append(clip, svg("rect", Object.assign({ class: "opt-bg" }, area)));
    for (const t of v.x) box.appendChild(svg("text", { class: "opt-tick", x: t.at, y: v.bottom + 15, "text-anchor": "middle" }, t.label));
    for (const t of v.y) box.appendChild(svg("text", { class: "opt-tick", x: v.left - 5, y: t.at + 4, "text-anchor": "end" }, t.label));
    const g = svg("g", { "clip-path": "url(#" + clipId + ")" });  // paths that fly off stop at the frame
    for (const c of result.contours) g.appendChild(svg("path", { class: "opt-contour", d: c.d }));
    for (const [x, y] of result.minima) {
      g.appendChild(svg("path", { class: "opt-min", d: "M" + (x - 5) + " " + (y - 5) + "l10 10m0 -10l-10 10" }));
    }
    for (const r of result.runs) {
      g.append(svg("polyline", { class: "opt-line opt-" + r.method, points: r.points.map(([x, y]) => x + "," + y).join(" ") }),
        svg("path", { class: "opt-mark opt-" + r.method, d: r.markers }));
    }
    g.appendChild(svg("circle", { class: "opt-start", cx: result.start[0], cy: result.start[1], r: 6 }));
    box.append(g,  // the axis names, in the plot's corners
      svg("text", { class: "opt-tick opt-axis-name", x: v.right - 5, y: v.bottom - 5, "text-anchor": "end" }, "x →"),
      svg("text", { class: "opt-tick opt-axis-name", x: v.left + 5, y: v.top + 13 }, "y ↑"));
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
        li.append("diverged after " + r.n_steps + " step" + (r.n_steps === 1 ? "" : "s") + ", last seen at " + r.end_text
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

  glassbox.widget("optimizer_race", {
    read,

    mount(el, api) {
      el.querySelector(".opt-controls").addEventListener("input", () => showValues(el));
      // A new surface starts from that surface's own starting point (listed in every result). This runs
      // before the runtime reads the controls, because the runtime listens on the figure, further up.
      const surface = input(el, "surface");
      const restart = () => {
        const start = api.result && api.result.starts && api.result.starts[surface.value];
        if (!start) return;
        input(el, "x0").value = String(start[0]);
        input(el, "y0").value = String(start[1]);
        showValues(el);
      };
      surface.addEventListener("input", restart);
      surface.addEventListener("change", restart);
    },

    draw(el, result, params) {
      const P = result.params;
      // a start outside this surface's view was clamped: move the slider to where the run really began
      for (const k of ["x0", "y0"]) if (params && Number(params[k]) !== P[k]) input(el, k).value = String(P[k]);
      showValues(el);
      const readout = make("p", "opt-readout", result.about + ". All three start at (" + minus(P.x0.toFixed(1)) + ", "
        + minus(P.y0.toFixed(1)) + "), where the loss is " + result.start_text + ", with learning rate ");
      readout.append(make("strong", null, result.lr_text), " for " + P.steps + " step" + (P.steps === 1 ? "" : "s") + ".");
      const parts = [readout];
      for (const m of result.messages) parts.push(make("p", "opt-warn", "⚠ " + m));
      parts.push(plot(el, result), legend(result));
      el.querySelector(".widget-output").replaceChildren(...parts);
    },
  });
})();
