/* The data pipeline: the corpus, what each stage removed (a bar per stage), the planted and removed
   documents with the reason, the reader's document against Gopher's rules, and its nearest pair with the
   LSH S-curve. Every number, text and position comes from compute's result; this only places them. */
(function () {
  "use strict";

  const T = window.glassboxTokens;
  const make = T.el;
  const svg = T.svg;

  function stages(result) {
    const rows = result.stages.map((s) => T.headedRow(s.name, [s.removed, s.left, T.bar("dpl-bar", s.width, "dpl-fill")]));
    return T.scroller("dpl-scroll", "Documents removed at each stage", T.table("dpl-table", ["Stage", "Removed", "Left", ""], rows));
  }

  // One row per planted or removed document: what it is and the verdict, why, and how it starts.
  function documents(result) {
    const rows = result.documents.map((d) => {
      const cell = make("div", "dpl-doc");
      const head = make("p", "dpl-doc-head");
      head.append(d.planted + ": ", make("strong", "dpl-verdict", d.verdict));
      cell.appendChild(head);
      if (d.why) cell.appendChild(make("p", "dpl-why", d.why));
      cell.appendChild(make("p", "dpl-excerpt", d.excerpt));
      return T.headedRow(d.name, [cell], d.cls);
    });
    return T.table("dpl-table dpl-docs", ["", "What it is, the verdict and why, how it starts"], rows);
  }

  function yours(y) {
    const section = make("section", "dpl-panel");
    const head = make("p", "dpl-text");
    head.append(make("strong", null, "Your document: " + y.verdict), y.why ? ", " + y.why + "." : ".");
    const rows = y.rules.map((r) => T.headedRow(r.rule, [r.value, r.kept, r.status], r.ok ? null : "dpl-fail"));
    section.append(make("h3", "dpl-title", "Gopher's rules on your document"), head,
      T.scroller("dpl-scroll", "Gopher's rules on your document", T.table("dpl-table", ["Rule", "Yours", "Kept", ""], rows)));
    return section;
  }

  function curve(c) {
    const box = svg("svg", { class: "dpl-plot", viewBox: c.viewbox, role: "img", "aria-label": c.label });
    box.append(...T.axes("dpl", c, "y"));
    box.append(svg("text", { class: "dpl-tick", x: c.right, y: c.name_y, "text-anchor": "end" }, c.x_name),
      svg("line", { class: "dpl-threshold", x1: c.threshold.x, y1: c.top, x2: c.threshold.x, y2: c.bottom }),
      svg("text", { class: "dpl-tick", x: c.threshold.label_x, y: c.top, dy: 10, "text-anchor": c.threshold.anchor }, c.threshold.label),
      svg("polyline", { class: "dpl-line", points: c.points }),
      svg("circle", { class: "dpl-dot", cx: c.marker.cx, cy: c.marker.cy, r: 4.5 }));
    return box;
  }

  function pair(result) {
    const section = make("section", "dpl-panel");
    section.append(make("h3", "dpl-title", "MinHash and LSH on your document's nearest pair"),
      make("p", "dpl-text", result.pair.text), make("p", "dpl-text", result.pair.lsh_text), curve(result.curve),
      make("p", "dpl-caption", result.curve.label));
    return section;
  }

  glassbox.widget("data_pipeline", {
    draw(el, result) {
      T.showReadouts(el, result.readouts);
      const out = T.figure(result.note);
      const summary = make("p", "dpl-text");
      summary.append(make("strong", null, result.kept_text), " " + result.missed_text);
      const panels = make("div", "dpl-panels");
      panels.append(yours(result.yours), pair(result));
      out.append(make("p", "dpl-corpus", result.corpus_text), stages(result), summary, documents(result), panels);
      el.querySelector(".widget-output").replaceChildren(out);
    },
  });
})();
