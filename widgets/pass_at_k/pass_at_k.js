/* pass@k and majority voting: two sentences and two charts (curves, markers and ticks placed where compute put
   them), then the cost table. Every number and position comes from compute's result; this only places them (the
   build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";

  const T = window.glassboxTokens;
  const make = T.el;
  const svg = T.svg;

  function chart(plot, label) {
    const box = svg("svg", { class: "pk-plot", viewBox: plot.viewbox, role: "img", "aria-label": label });
    box.append(...T.axes("pk", plot, "y"));
    box.appendChild(svg("text", { class: "pk-tick", x: plot.right, y: plot.name_y, "text-anchor": "end" }, plot.x_name));
    for (const line of plot.lines) {
      box.append(svg("polyline", { class: "pk-line " + line.class, points: line.points }),
        svg("circle", { class: "pk-dot " + line.class, cx: line.marker[0], cy: line.marker[1], r: 4 }));
    }
    return box;
  }

  function legend(plot) {
    const list = make("ul", "pk-legend");
    for (const line of plot.lines) {
      const li = make("li");
      li.append(make("span", "pk-swatch " + line.class), line.label);
      list.appendChild(li);
    }
    return list;
  }

  function panel(title, text, plot) {
    const section = make("section", "pk-panel");
    section.append(make("h3", "pk-title", title), make("p", "pk-text", text), chart(plot, title + ". " + text),
      legend(plot));
    return section;
  }

  function costs(c) {
    const section = make("section", "pk-panel pk-cost");
    const intro = make("p", "pk-text");
    const hw = make("a", null, c.hardware);
    hw.href = c.hardware_source;
    intro.append(make("strong", null, "Cost. "), c.intro);
    const wrap = T.region("pk-scroll", "What the answers cost (scrolls sideways)");
    const table = make("table", "pk-table");
    const body = make("tbody");
    for (const row of c.rows) body.appendChild(T.headedRow(row.label, row.cells));
    table.append(T.thead(["", "Tokens", "Time", "Cost"]), body);
    wrap.appendChild(table);
    const source = make("p", "pk-source");
    source.append("Bandwidth and FLOP/s from the ", hw, " datasheet; a batch shares each read of the weights.");
    section.append(intro, wrap, source);
    return section;
  }

  glassbox.widget("pass_at_k", {
    draw(el, result) {
      T.showReadouts(el, result.readouts);
      const out = [];
      if (result.note) out.push(make("p", "pk-note", result.note));
      const charts = make("div", "pk-charts");
      charts.append(panel("pass@k, k = 1 to n", result.pass_text, result.pass_plot),
        panel("Majority vote, m = 1 to 64", result.vote_text, result.vote_plot));
      out.push(charts, costs(result.cost));
      el.querySelector(".widget-output").replaceChildren(...out);
    },
  });
})();
