/* MoE router: redraws the per-token routing rows, the error chart and the load from compute's result (the
   build draws the pre-rendered figure with this code too). Every number, position and label comes from
   Python; this only places them. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const make = T.el;
  const svg = T.svg;

  function tokenRows(result) {
    const list = T.list("ol", "mr-rows", "Each token's experts and the router's weights");
    for (const r of result.rows) {
      const li = make("li", "mr-row");
      li.setAttribute("aria-label", r.label);
      const tok = make("span", "mr-tok");
      const chip = make("span", "tok tok-c0");
      chip.appendChild(T.appendSegs(make("span", "tok-s"), r.segs));
      tok.appendChild(chip);
      const cells = make("span", "mr-cells");
      cells.setAttribute("aria-hidden", "true");
      for (const c of r.cells) {
        const cell = make("span", "mr-cell" + (c.chosen ? " mr-on" : ""));
        cell.style.setProperty("--a", c.alpha);
        cells.appendChild(cell);
      }
      const picks = make("span", "mr-picks", r.picks.map((q) => "E" + q.expert + " " + q.weight_text).join(" · "));
      picks.setAttribute("aria-hidden", "true");
      const err = make("span", "mr-err", r.error_text);
      err.setAttribute("aria-hidden", "true");
      li.append(tok, cells, picks, err);
      list.appendChild(li);
    }
    return list;
  }

  function chart(c) {
    const box = svg("svg", { class: "mr-plot", viewBox: c.viewbox, role: "img", "aria-label": c.label });
    box.append(...T.axes("mr", c, ""));
    for (const line of c.lines) {
      box.appendChild(svg("polyline", { class: "mr-line mr-" + line.router + (line.chosen ? " mr-chosen" : ""), points: line.points }));
    }
    box.append(
      svg("circle", { class: "mr-marker", cx: c.marker.x, cy: c.marker.y, r: 5 }),
      svg("text", { class: "mr-tick", x: c.x_title_x, y: c.x_title_y, "text-anchor": "end" }, c.x_title));
    return box;
  }

  function legend(c) {
    const list = make("ul", "mr-legend");
    for (const line of c.lines) {
      const li = make("li", line.chosen ? "mr-chosen-key" : null);
      const key = svg("svg", { class: "mr-key", viewBox: "0 0 24 8", "aria-hidden": "true" });
      key.appendChild(svg("line", { class: "mr-line mr-" + line.router + (line.chosen ? " mr-chosen" : ""), x1: 0, y1: 4, x2: 24, y2: 4 }));
      li.append(key, line.label);
      list.appendChild(li);
    }
    return list;
  }

  function load(result) {
    const list = T.list("ul", "mr-load", "Share of routing slots per expert (even: " + result.ideal_text + ")");
    for (const e of result.load) {
      const li = make("li");
      li.append(make("span", null, "expert " + e.expert), T.bar("mr-track", e.width, "mr-bar" + (e.over ? " mr-over" : "")), make("span", null, e.f_text + " (P " + e.p_text + ")"));
      list.appendChild(li);
    }
    return list;
  }

  glassbox.widget("moe_router", {
    draw(el, result) {
      el.querySelector('[data-param="layer"]').nextElementSibling.textContent = result.params.layer;
      el.querySelector('[data-param="top_k"]').nextElementSibling.textContent = result.params.top_k;
      const frag = T.figure(result.note);
      frag.appendChild(make("p", "mr-summary", result.summary));
      frag.appendChild(make("h3", "mr-head", "Each token's experts (router: " + result.router_name + ")"));
      frag.appendChild(make("p", "mr-foot", result.cells_note));
      frag.appendChild(tokenRows(result));
      if (result.rows_note) frag.appendChild(make("p", "mr-foot", result.rows_note));
      const err = make("p", "mr-balance");
      err.append(result.error_lead, make("strong", null, result.error_text), ".");
      frag.append(make("h3", "mr-head", "Error for every k"), err, chart(result.chart), legend(result.chart));
      frag.appendChild(make("h3", "mr-head", "Load"));
      const bal = make("p", "mr-balance");
      bal.append("Balance loss n·Σ f·P = ", make("strong", null, result.balance_text), result.balance_after);
      frag.append(bal, load(result));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
