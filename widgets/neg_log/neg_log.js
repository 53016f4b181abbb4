/* Surprise: redraws the readout and the -ln p plot from compute's result (the build draws the pre-rendered figure
   with this code too). The curve's points come from Python; this only joins them. */
(function () {
  "use strict";

  const make = window.glassboxTokens.el;

  const svg = window.glassboxTokens.svg;

  function showValue(el) {
    const input = el.querySelector('[data-param="p"]');
    input.nextElementSibling.textContent = Number(input.value).toFixed(3);
  }

  function plot(result) {
    const a = result.axes;
    const [mx, my] = result.marker;
    const box = svg("svg", { class: "nlg-plot", viewBox: "0 0 " + a.width + " " + a.height, role: "img",
      "aria-label": "The curve of −ln p against p, with a dot at p = " + result.p.toFixed(3) + ", loss "
        + result.nats.toFixed(3) + " nats" });
    box.append(
      svg("line", { class: "nlg-axis", x1: a.left, y1: a.bottom, x2: a.right, y2: a.bottom }),
      svg("line", { class: "nlg-axis", x1: a.left, y1: a.top, x2: a.left, y2: a.bottom }));
    for (const t of a.x) box.appendChild(svg("text", { class: "nlg-tick", x: t.at, y: a.bottom + 14, "text-anchor": "middle" }, t.label));
    for (const t of a.y) box.appendChild(svg("text", { class: "nlg-tick", x: a.left - 6, y: t.at + 4, "text-anchor": "end" }, t.label));
    box.append(
      svg("text", { class: "nlg-tick", x: a.right, y: a.height - 2, "text-anchor": "end" }, "p"),
      svg("text", { class: "nlg-tick", x: a.left + 4, y: a.top + 8 }, "nats"),
      svg("polyline", { class: "nlg-curve", points: result.curve.map(([x, y]) => x.toFixed(2) + "," + y.toFixed(2)).join(" ") }),
      svg("line", { class: "nlg-guide", x1: mx, y1: a.bottom, x2: mx, y2: my }),
      svg("circle", { class: "nlg-marker", cx: mx, cy: my, r: 5 }));
    return box;
  }

  glassbox.widget("neg_log", {
    read(el) {
      return { p: Number(el.querySelector('[data-param="p"]').value) };
    },

    mount(el) {
      // The number follows the thumb at once; the plot follows when compute answers.
      el.querySelector(".nlg-controls").addEventListener("input", () => showValue(el));
    },

    draw(el, result) {
      showValue(el);
      const readout = make("p", "nlg-readout");
      readout.append("Loss −ln ", make("var", null, "p"), " = ", make("strong", null, result.nats.toFixed(3) + " nats"),
        " = " + result.bits.toFixed(3) + " bits: as surprising as one pick among " + result.choices.toFixed(1)
        + " equally likely tokens.");
      el.querySelector(".widget-output").replaceChildren(readout, plot(result));
    },
  });
})();
