/* Embedding map: redraws the PCA picture from compute's result. Every position (the projection, the
   3-D turn and where each word's label goes included) comes from Python; this only places dots, labels,
   leader lines and axes. The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const m = T.minus;  // a true minus sign, never −0.00

  // A box that may scroll sideways on a phone: focusable and labelled, so a keyboard can scroll it too.
  function region(cls, label) {
    const box = T.el("div", cls);
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", label);
    return box;
  }

  const svg = window.glassboxTokens.svg;
  const pct = (x) => (100 * x).toFixed(1) + "%";
  const deg = (x) => m(String(Math.trunc(x))) + "°";  // as the .html's m("%d" | format(x))

  function showValues(el) {
    for (const key of ["yaw", "pitch"]) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = deg(Number(input.value));
    }
  }

  function readout(result) {
    const p = result.params;
    const node = T.el("p", "em-readout", result.n_points + " tokens, " + p.dims + "-D. Share of these vectors’ "
      + "variance along each direction: " + result.explained.map((e, i) => "PC" + (i + 1) + " " + pct(e)).join(", ")
      + "; together ");
    node.append(T.el("strong", null, pct(result.explained_total)), ", so the picture leaves out "
      + pct(1 - result.explained_total) + ". " + (p.dims === 3
        ? "Seen from yaw " + deg(p.yaw) + ", pitch " + deg(p.pitch) + "; bigger dots are nearer to you."
        : "Yaw and pitch turn the 3-D view (now " + deg(p.yaw) + ", " + deg(p.pitch) + ").")
      + (result.crowded_labels === 1 ? " One word has no room for its label: hover over its dot to see it, or open the coordinates below."
        : result.crowded_labels ? " " + result.crowded_labels + " words have no room for their labels: hover over a dot to see its word, or open the coordinates below." : ""));
    return node;
  }

  function plot(result) {
    const box = svg("svg", { class: "em-plot", viewBox: "0 0 " + result.width + " " + result.height, role: "img",
      "aria-label": result.params.dims + "-D PCA map of " + result.n_points + " tokens; the table below lists their coordinates" });
    for (const a of result.axes) {
      box.append(svg("line", { class: "em-axis", x1: a.x1.toFixed(2), y1: a.y1.toFixed(2), x2: a.x2.toFixed(2), y2: a.y2.toFixed(2) }),
        svg("text", { class: "em-axis-label", x: a.x2.toFixed(2), y: a.y2.toFixed(2) }, a.label));
    }
    // Leader lines first, under every dot and word; a word that found no room is drawn on hover only.
    for (const pt of result.points.filter((q) => q.label.leader)) {
      box.append(svg("line", { class: "em-leader em-g" + pt.group, x1: pt.x.toFixed(2), y1: pt.y.toFixed(2), x2: pt.label.x2.toFixed(2), y2: pt.label.y2.toFixed(2) }));
    }
    for (const pt of result.points) {
      const g = svg("g", { class: "em-g" + pt.group + (pt.label.crowded ? " em-crowded" : "") });
      g.append(svg("circle", { class: "em-dot", cx: pt.x.toFixed(2), cy: pt.y.toFixed(2), r: pt.r.toFixed(2) }),
        svg("text", { class: "em-word", x: pt.label.x.toFixed(2), y: pt.label.y.toFixed(2), "text-anchor": pt.label.anchor }, pt.word));
      box.appendChild(g);
    }
    const wrap = T.el("div", "em-box");
    wrap.appendChild(box);
    return wrap;
  }

  function legend(result) {
    const list = T.el("ul", "em-legend");
    list.setAttribute("aria-label", "Groups");
    for (const g of result.groups) {
      const li = T.el("li");
      const swatch = T.el("span", "em-swatch em-g" + g.group);
      swatch.setAttribute("aria-hidden", "true");
      li.append(swatch, g.words.join(", "));
      list.appendChild(li);
    }
    return list;
  }

  function table(result) {
    const details = T.el("details", "em-numbers");
    details.appendChild(T.el("summary", null, "Coordinates of every token"));
    const tbl = T.el("table", "em-table");
    const head = T.el("tr");
    head.appendChild(Object.assign(T.el("th", null, "token"), { scope: "col" }));
    result.explained.forEach((_, i) => head.appendChild(Object.assign(T.el("th", null, "PC" + (i + 1)), { scope: "col" })));
    const thead = T.el("thead");
    thead.appendChild(head);
    const tbody = T.el("tbody");
    for (const pt of [...result.points].sort((a, b) => a.index - b.index)) {
      const tr = T.el("tr");
      tr.appendChild(Object.assign(T.el("th", null, pt.word), { scope: "row" }));
      for (const c of pt.pc) tr.appendChild(T.el("td", null, m(c.toFixed(3))));
      tbody.appendChild(tr);
    }
    tbl.append(thead, tbody);
    const scroll = region("em-scroll", "Coordinates");
    scroll.appendChild(tbl);
    details.appendChild(scroll);
    return details;
  }

  glassbox.widget("embedding_map", {
    read(el) {
      const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
      return { words: value("words"), dims: Number(value("dims")), yaw: Number(value("yaw")), pitch: Number(value("pitch")) };
    },

    mount(el) {
      // The angles follow the thumb at once; the picture follows when compute answers.
      el.querySelector(".em-controls").addEventListener("input", () => showValues(el));
    },

    draw(el, result) {
      showValues(el);
      const frag = document.createDocumentFragment();
      if (result.note) frag.appendChild(T.el("p", "tok-note", result.note));
      if (result.message) frag.appendChild(T.el("p", "tok-empty", result.message));
      else frag.append(readout(result), plot(result), legend(result), table(result));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
