/* Embedding map: redraws the PCA picture from compute's result. Every position (the projection, the
   3-D turn and where each word's label goes included) comes from Python; this only places dots, labels,
   leader lines and axes. The build draws the pre-rendered figure with this code too. In the page, the 3-D
   view is plotly's (site/static/js/plot3d.js draws result.plot3d into the empty .plot3d-slot, and the flat
   picture after it is hidden); without JavaScript the flat picture stays. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  const svg = T.svg;

  function readout(result) {
    const node = T.el("p", "em-readout", result.n_points + " tokens, " + result.params.dims + "-D. Share of these vectors’ "
      + "variance along each direction: " + result.pcs.map((pc) => pc.label + " " + pc.share).join(", ")
      + "; together ");
    node.append(T.el("strong", null, result.explained_total_text), result.readout);
    return node;
  }

  function plot(result) {
    const box = svg("svg", { class: "em-plot", viewBox: "0 0 " + result.width + " " + result.height, role: "img",
      "aria-label": result.params.dims + "-D PCA map of " + result.n_points + " tokens; the table below lists their coordinates" });
    for (const a of result.axes) {
      box.append(svg("line", Object.assign({ class: "em-axis" }, a.line)),
        svg("text", Object.assign({ class: "em-axis-label" }, a.text_at), a.label));
    }
    // Leader lines first, under every dot and word; a word that found no room is drawn on hover only.
    for (const pt of result.points.filter((q) => q.leader)) {
      box.append(svg("line", Object.assign({ class: "em-leader em-g" + pt.group }, pt.leader)));
    }
    for (const pt of result.points) {
      const g = svg("g", { class: "em-g" + pt.group + (pt.label.crowded ? " em-crowded" : "") });
      g.append(svg("circle", Object.assign({ class: "em-dot" }, pt.dot)),
        svg("text", Object.assign({ class: "em-word" }, pt.text_at, { "text-anchor": pt.label.anchor }), pt.word));
      box.appendChild(g);
    }
    const wrap = T.el("div", "em-box");
    wrap.appendChild(box);
    return wrap;
  }

  function legend(result) {
    const list = T.list("ul", "em-legend", "Groups");
    for (const g of result.groups) {
      const li = T.el("li");
      const swatch = T.el("span", "em-swatch em-g" + g.group);
      swatch.setAttribute("aria-hidden", "true");
      li.append(swatch, g.words.join(", "));
      list.appendChild(li);
    }
    return list;
  }

  function table(result, rows, title) {
    const details = T.el("details", "em-numbers");
    details.appendChild(T.el("summary", null, title));
    const tbl = T.table("em-table", ["token", ...result.pcs.map((pc) => pc.label)],
      rows.map((row) => T.headedRow(row.word, row.pc)));
    details.appendChild(T.scroller("em-scroll", title, tbl));
    return details;
  }

  glassbox.widget("embedding_map", {
    draw(el, result) {
      T.showReadouts(el, result.shown);
      const frag = T.figure(result.note);
      if (result.message) frag.appendChild(T.el("p", "tok-empty", result.message));
      else {
        frag.append(readout(result));
        if (result.plot3d) frag.appendChild(T.el("div", "plot3d-slot"));
        frag.append(plot(result), legend(result), table(result, result.rows, "Coordinates of every token"));
        if (result.cloud_rows.length) {
          frag.appendChild(table(result, result.cloud_rows, "Coordinates of the grey words in the turnable 3-D view"));
        }
      }
      el.querySelector(".widget-output").replaceChildren(frag);
    },

    mount(el, api) {
      window.glassboxPlot3d.follow(el, api);
    },
  });
})();
