/* Mixed precision: redraws the five loss curves, the table of what each setup lost and the reader's number in
   fp32, bf16 and fp16 from compute's result (the build draws the pre-rendered figure with this code too). Every
   coordinate, number and text comes from Python. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const make = T.el;
  const svg = T.svg;
  const STYLE = {
    fp32: "solid line",
    bf16: "dashed line",
    bf16_master: "dotted line",
    fp16_master: "dash-dot line",
    fp16_scaled: "long dashes",
  };

  function plot(result) {
    const a = result.axes;
    const box = svg("svg", { class: "mxp-plot", viewBox: a.viewbox, role: "img", "aria-label": result.aria_label });
    box.appendChild(svg("rect", { class: "mxp-bg", x: a.left, y: a.top, width: a.width, height: a.height }));
    box.append(...T.axes("mxp", a, "y"));
    box.append(...T.axisNames("mxp", a, "training step", "loss (nats)", "middle"));
    for (const line of result.lines) {
      const cls = "mxp-line mxp-" + line.setup + (line.selected ? " mxp-selected" : "");
      box.appendChild(svg("polyline", { class: cls, points: line.points }));
    }
    return box;
  }

  function key(setup) {
    const k = svg("svg", { class: "mxp-key", viewBox: "0 0 30 10", width: 30, height: 10, "aria-hidden": "true" });
    k.appendChild(svg("line", { class: "mxp-line mxp-" + setup, x1: 0, y1: 5, x2: 30, y2: 5 }));
    return k;
  }

  function legend(result) {  // which line is which: colour and dash both differ
    const list = make("ul", "mxp-legend");
    for (const line of result.lines) {
      const li = make("li", line.selected ? "mxp-row-selected" : null);
      li.append(key(line.setup), " " + line.label + " (" + STYLE[line.setup] + ")");
      list.appendChild(li);
    }
    return list;
  }

  function lossTable(result) {
    const rows = result.table.map((row) => {
      const name = make("span");
      name.append(key(row.setup), " " + row.short);
      return T.headedRow(name, row.cells, row.selected ? "mxp-row-selected" : null);
    });
    const table = T.table("mxp-table",
      ["setup", "final loss", "updates lost", "gradients underflowed", "steps skipped", "loss scale"], rows);
    table.prepend(make("caption", null, "What each setup kept and lost, over all its steps"));
    return T.scroller("mxp-scroll", "What each setup lost", table);
  }

  function bitCell(text, cls) {
    return make("span", "mxp-bit " + cls, text);
  }

  function bitsTable(bits) {
    const rows = bits.rows.map((r) => {
      const pattern = make("span", "mxp-pattern");
      pattern.append(bitCell(r.sign, "mxp-sign"), bitCell(r.exponent, "mxp-exp"), bitCell(r.mantissa, "mxp-man"));
      return T.headedRow(r.format, [pattern, r.value, r.error]);
    });
    const table = T.table("mxp-table mxp-bits", ["format", "sign exponent mantissa", "stored", "error"], rows);
    table.prepend(make("caption", null, bits.caption));
    return T.scroller("mxp-scroll", "Your number's bits", table);
  }

  glassbox.widget("mixed_precision", {
    draw(el, result) {
      T.showReadouts(el, result.shown);
      const frag = T.figure(null);
      const summary = make("p", "mxp-readout");
      summary.append(make("strong", null, result.summary), " " + result.about);
      frag.append(summary, plot(result), legend(result), lossTable(result));
      for (const fact of result.facts) frag.appendChild(make("p", "mxp-fact", fact));
      if (result.bits.note) frag.appendChild(make("p", "tok-note", result.bits.note));
      frag.appendChild(bitsTable(result.bits));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
