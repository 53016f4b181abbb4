/* 3-D figures the reader turns and zooms, drawn with plotly.js (vendored, loaded only on pages whose widgets
   list "plotly" in their LIBRARIES). Python's result holds the whole figure under `plot3d`: plotly's traces
   and layout, with colours named as the site's CSS variables ("--em-0", "--fg"), which this file swaps for
   the theme's current values, so the figure follows light and dark. It computes nothing.

   The widget's draw() leaves an empty <div class="plot3d-slot"> (the build's figure has it too, empty and
   hidden: without JavaScript the reader sees the pre-rendered figure). Live, follow(el, api) puts one plotly
   figure per widget into that slot after every draw, reused with Plotly.react so that a figure holds one
   WebGL context however often the reader moves a control. The figure is a named group: Tab reaches its
   mode bar's buttons (zoom, pan, orbit, turntable, reset) and goes on, the canvas takes no focus, and the
   widget's table lists the plotted values for keyboards and screen readers. */
(function () {
  "use strict";
  const CONFIG = {
    // the mode bar always shows (its buttons take focus, so they must be visible); the page scrolls past
    // the figure, and its buttons zoom
    displayModeBar: true, displaylogo: false, responsive: true, scrollZoom: false,
    modeBarButtons: [["zoom3d", "pan3d", "orbitRotation", "tableRotation", "resetCameraDefault3d"]],
  };

  // The library's script tag carries data-library="plotly" and loads async: wait for it, or for its failure.
  const plotly = new Promise((resolve, reject) => {
    if (window.Plotly) { resolve(window.Plotly); return; }
    const tag = document.querySelector('script[data-library="plotly"]');
    if (!tag) { reject(new Error("this page does not load plotly.js")); return; }
    tag.addEventListener("load", () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("plotly.js did not start"))));
    tag.addEventListener("error", () => reject(new Error("plotly.js could not be loaded")));
  });

  function themed(value, style) {  // a copy of value with every "--name" string replaced by the CSS variable's value
    if (typeof value === "string") return value.startsWith("--") ? style.getPropertyValue(value).trim() : value;
    if (Array.isArray(value)) return value.map((v) => themed(v, style));
    if (value && typeof value === "object") {
      const out = {};
      for (const [k, v] of Object.entries(value)) out[k] = themed(v, style);
      return out;
    }
    return value;
  }

  function follow(el, api) {
    const graph = document.createElement("div");
    graph.className = "plot3d";
    graph.setAttribute("role", "group");  // named by spec.label; its mode bar's buttons take focus, the canvas none
    let drawn = null;  // the plot3d spec last handed to plotly

    function show(P) {
      const slot = el.querySelector(".widget-output .plot3d-slot");
      const spec = api.result && api.result.plot3d;
      if (!slot || !spec) {
        graph.remove();
        return;
      }
      slot.appendChild(graph);  // the slot is new after every draw; the graph (and its WebGL context) is not
      slot.classList.add("plot3d-on");
      graph.setAttribute("aria-label", spec.label);
      const style = getComputedStyle(el);
      P.react(graph, themed(spec.traces, style), themed(spec.layout, style), CONFIG);
      drawn = spec;
    }

    plotly.then((P) => {
      show(P);
      el.addEventListener("glassbox:drawn", () => show(P));
      const again = () => { if (drawn) show(P); };
      new MutationObserver(again).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
      window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", again);
    }, (err) => {
      const t = el.querySelector(".widget-status-text");
      if (t) t.textContent = "The 3-D view is unavailable (" + err.message + "); the figure shows the flat view.";
    });
  }

  window.glassboxPlot3d = { follow };
})();
