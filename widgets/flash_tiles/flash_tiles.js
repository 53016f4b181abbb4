/* FlashAttention's tiles: redraws the tile grid, the chosen query row's running max, sum and partial output
   tile by tile, and the memory panel from compute's result (the build draws the pre-rendered figure with this
   code too). Every number, position and label comes from Python; this only places them. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const make = T.el;
  const svg = T.svg;

  function tileGrid(r) {
    const g = r.grid;
    const box = svg("svg", { class: "ft-grid", viewBox: g.viewbox, role: "img", "aria-label": r.grid_label });
    box.appendChild(svg("path", { class: "ft-visible", d: g.visible }));
    for (const t of g.tiles) {
      const cls = "ft-tile ft-" + t.state + (t.mark ? " ft-" + t.mark : "");
      box.appendChild(svg("rect", { class: cls, x: t.x, y: t.y, width: t.w, height: t.h }));
    }
    return box;
  }

  function legend() {
    const list = make("ul", "ft-legend");
    for (const [cls, text] of [
      ["ft-full", "computed in full"],
      ["ft-diagonal", "on the diagonal: computed, then the later keys masked"],
      ["ft-skipped", "skipped: every key comes after every query"],
      ["ft-done", "the query's row: tiles processed so far"],
    ]) {
      const li = make("li");
      const key = make("span", "ft-key " + cls);
      key.setAttribute("aria-hidden", "true");
      li.append(key, text);
      list.appendChild(li);
    }
    return list;
  }

  function stepTable(r) {
    const headers = ["Tile", "Keys", "Tile's max", "Running max m", "Rescale e^(m_old − m)", "Running sum l",
      "Distance from exact"];
    const rows = r.rows.map((s) => T.headedRow(String(s.step), [s.keys, s.tile_max, s.m, s.rescale, s.l, s.gap_text],
      s.done ? (s.raised ? "ft-raised" : null) : "ft-later"));
    return T.scroller("ft-table-box", "The query row's running state after each tile", T.table("ft-table", headers, rows));
  }

  function vectors(r) {
    const table = T.table("ft-table", r.vector_head,
      [T.headedRow("partial acc / l", r.partial_text), T.headedRow("exact", r.exact_text)]);
    return T.scroller("ft-table-box", "The partial output next to the exact one", table);
  }

  function chart(c) {
    const box = svg("svg", { class: "ft-plot", viewBox: c.viewbox, role: "img", "aria-label": c.label });
    box.append(...T.axes("ft", c, ""));
    box.append(
      svg("polyline", { class: "ft-line-scores", points: c.scores }),
      svg("polyline", { class: "ft-line-tiles", points: c.tiles }),
      svg("text", { class: "ft-tick", x: c.x_title_x, y: c.x_title_y, "text-anchor": "end" }, c.x_title),
    );
    for (const m of c.marks) box.appendChild(svg("circle", { class: "ft-mark ft-mark-" + m.key, cx: m.x, cy: m.y, r: 4 }));
    return box;
  }

  function memoryPanel(m) {
    const frag = document.createDocumentFragment();
    frag.append(make("h3", "ft-head", "Memory and traffic at real sizes"), make("p", "ft-note", m.setup));
    frag.appendChild(T.statsTable("ft-table ft-mem", [
      ["Score matrix, plain attention (orange)", m.scores_text],
      ["Tiles held at once, FlashAttention (blue)", m.tiles_text],
      ["Score matrix ÷ tiles", m.ratio_text],
      ["HBM traffic, plain attention", m.standard_text],
      ["HBM traffic, FlashAttention", m.flash_text],
      ["Traffic saved, factor", m.traffic_ratio_text],
    ]));
    frag.append(chart(m.chart), make("p", "ft-note", m.traffic_note));
    return frag;
  }

  glassbox.widget("flash_tiles", {
    draw(el, r) {
      el.querySelector('[data-param="query"]').max = String(r.max_query);
      el.querySelector('[data-param="tiles"]').max = String(r.max_tiles);
      T.showReadouts(el, r.readouts);

      const frag = T.figure(r.note);
      const chips = T.chipGroup("ft-chips", "The text's tokens; the query is marked with a box");
      r.tokens.forEach((c, i) => {
        const chip = T.appendChip(chips, { segs: c.segs, id: i }, i, true);  // its number is its position
        if (c.query) chip.classList.add("ft-q");
      });
      frag.appendChild(chips);

      frag.appendChild(make("h3", "ft-head", "The tiles of the score matrix"));
      const top = make("div", "ft-top");
      top.append(tileGrid(r), legend());
      frag.append(top, make("p", "ft-note", r.counts_text));
      const diff = make("p", "ft-state");
      diff.append("Largest difference between the tiled output and plain attention, over every position: ",
        make("strong", null, r.diff_text), ".");
      frag.appendChild(diff);

      frag.appendChild(make("h3", "ft-head", "One query row, tile by tile"));
      frag.appendChild(stepTable(r));
      frag.appendChild(make("p", "ft-state", r.state_text));
      frag.appendChild(vectors(r));

      frag.appendChild(memoryPanel(r.memory));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
