/* Surprise: redraws the readout and the -ln p plot from compute's result (the build draws the pre-rendered figure
   with this code too). The curve's points, the ticks and every number come from Python; this only places them. */
(function () {
  "use strict";

  const make = window.glassboxTokens.el;

  const svg = window.glassboxTokens.svg;

  function plot(result) {
    const a = result.axes;
    const [mx, my] = result.marker;
    const box = svg("svg", { class: "nlg-plot", viewBox: a.viewbox, role: "img",
      "aria-label": "The curve of −ln p against p, with a dot at p = " + result.p_text + ", loss "
        + result.nats_text + " nats" });
    box.append(...window.glassboxTokens.axes("nlg", a, ""),
      svg("text", { class: "nlg-tick", x: a.right, y: a.p_y, "text-anchor": "end" }, "p"),
      svg("text", { class: "nlg-tick", x: a.nats_x, y: a.nats_y }, "nats"),
      svg("polyline", { class: "nlg-curve", points: result.curve_points }),
      svg("line", { class: "nlg-guide", x1: mx, y1: a.bottom, x2: mx, y2: my }),
      svg("circle", { class: "nlg-marker", cx: mx, cy: my, r: 5 }));
    return box;
  }

  glassbox.widget("neg_log", {
    draw(el, result) {
      el.querySelector('[data-param="p"]').nextElementSibling.textContent = result.p_text;
      const readout = make("p", "nlg-readout");
      readout.append("Loss −ln ", make("var", null, "p"), " = ", make("strong", null, result.nats_text + " nats"),
        " = " + result.bits_text + " bits: as surprising as one pick among " + result.choices_text
        + " equally likely tokens.");
      el.querySelector(".widget-output").replaceChildren(readout, plot(result));
    },
  });
})();
