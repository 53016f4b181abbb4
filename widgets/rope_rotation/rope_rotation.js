/* RoPE rotation: redraws the numbered tokens, the pair's arrows, the score tables and the pairs' shares from
   compute's result (the build draws the pre-rendered figure with this code too). Every coordinate and score comes
   from Python. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SLIDERS = ["layer", "head", "pair", "m", "n"];
  const NUMBERS = ["q_token", "k_token"];

  // A number with a true minus sign (U+2212), never −0.000 (as rope_rotation.html's num).
  const num = (x, d) => T.minus(Number(x).toFixed(d === undefined ? 3 : d));
  const deg = (x) => num(x, 1) + "°";
  // Python's "%.1e": 2.2e-16, 0.0e+00 (JS writes 2.2e-16 and 0.0e+0)
  const sci = (x) => x.toExponential(1).replace(/e([+-])(\d)$/, "e$10$2");

  const svg = window.glassboxTokens.svg;

  function v(text) {
    return T.el("var", null, text);
  }

  function tokchip(c) {
    const node = T.el("span", "tok rr-chip");
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
    return node;
  }

  function read(el) {
    const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
    const params = { prompt: value("prompt") };
    for (const key of SLIDERS) params[key] = Number(value(key));
    // number boxes: whole token numbers (a typed 3.7 means token 4); empty means token 0
    for (const key of NUMBERS) params[key] = value(key) === "" ? 0 : Math.round(Number(value(key)));
    return params;
  }

  function showValues(el) {
    for (const key of SLIDERS) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = String(Number(input.value));
    }
  }

  function tokens(r) {
    const box = T.el("div", "tok-chips rr-tokens");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Prompt tokens, numbered");
    r.tokens.forEach((c, i) => {
      const isQ = c.index === r.q_token.index, isK = c.index === r.k_token.index;
      const node = T.el("span", "tok tok-c" + (i % T.N_COLOURS) + (isQ ? " rr-is-q" : "") + (isK ? " rr-is-k" : ""));
      node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
      node.appendChild(T.el("span", "tok-id", "#" + c.index + (isQ ? " q" : "") + (isK ? " k" : "")));
      box.appendChild(node);
      if (c.nl) box.appendChild(T.el("span", "tok-br"));
    });
    return box;
  }

  function circle(r) {
    const s = r.svg, pr = r.pair, c = s.centre, R = s.radius, p = r.params;
    const box = svg("svg", { class: "rr-circle", viewBox: "0 0 " + s.size + " " + s.size, role: "img",
      "aria-label": "Pair " + pr.index + ": the query at position " + p.m + " points at " + deg(pr.q_deg)
        + ", the key at position " + p.n + " at " + deg(pr.k_deg) + "; " + deg(pr.between) + " apart" });
    const line = (cls, tip) => svg("line", { class: cls, x1: c, y1: c, x2: tip[0], y2: tip[1] });
    box.append(
      svg("circle", { class: "rr-ring", cx: c, cy: c, r: R }),
      svg("line", { class: "rr-axis", x1: c - R - 8, y1: c, x2: c + R + 8, y2: c }),
      svg("line", { class: "rr-axis", x1: c, y1: c - R - 8, x2: c, y2: c + R + 8 }),
      line("rr-arrow rr-q rr-before", s.q0), line("rr-arrow rr-k rr-before", s.k0),
      line("rr-arrow rr-q", s.q), line("rr-arrow rr-k", s.k),
      svg("circle", { class: "rr-tip rr-q", cx: s.q[0], cy: s.q[1], r: 4 }),
      svg("rect", { class: "rr-tip rr-k", x: s.k[0] - 4, y: s.k[1] - 4, width: 8, height: 8 }),
      svg("text", { class: "rr-tag", x: s.q[0], y: s.q[1] - 7, "text-anchor": "middle" }, "q at m"),
      svg("text", { class: "rr-tag", x: s.k[0], y: s.k[1] - 7, "text-anchor": "middle" }, "k at n"));
    return box;
  }

  function table(caption, heads, rows, yours) {
    const t = T.el("table", "rr-table");
    const cap = T.el("caption");
    cap.append(...caption);
    const head = T.el("tr");
    for (const h of heads) {
      const th = T.el("th");
      th.scope = "col";
      th.append(...h);
      head.appendChild(th);
    }
    const body = T.el("tbody");
    rows.forEach((cells, i) => {
      const tr = T.el("tr", yours && yours(i) ? "rr-yours" : null);
      for (const cell of cells) tr.appendChild(T.el("td", null, cell));
      body.appendChild(tr);
    });
    const thead = T.el("thead");
    thead.appendChild(head);
    t.append(cap, thead, body);
    return t;
  }

  function bars(r) {
    const b = r.bars, pr = r.pair;
    const box = svg("svg", { class: "rr-bars", viewBox: "0 0 " + b.width + " " + b.height, role: "img",
      "aria-label": "The 16 pairs' shares of q·k at these positions; pair " + pr.index + ", outlined, adds "
        + num(pr.share) + "; all 16 add up to " + num(r.score_dot) });
    box.appendChild(svg("line", { class: "rr-axis", x1: b.left, y1: b.zero, x2: b.right, y2: b.zero }));
    for (const bar of b.bars) {
      box.appendChild(svg("rect", { class: "rr-bar" + (bar.chosen ? " rr-chosen" : ""), x: bar.x, y: bar.y,
        width: bar.w, height: bar.h }));
    }
    box.append(svg("text", { class: "rr-tag", x: b.left, y: b.height - 2 }, "pair 0"),
      svg("text", { class: "rr-tag", x: b.right, y: b.height - 2, "text-anchor": "end" }, "pair 15"));
    return box;
  }

  glassbox.widget("rope_rotation", {
    read,

    mount(el) {
      el.querySelector(".rr-controls").addEventListener("input", () => showValues(el));
    },

    draw(el, r) {
      showValues(el);
      const p = r.params, pr = r.pair;
      for (const key of NUMBERS) {  // a clamped token number shows what was used
        const input = el.querySelector('[data-param="' + key + '"]');
        if (document.activeElement !== input) input.value = String(p[key]);
      }
      const frag = document.createDocumentFragment();
      if (r.note) frag.appendChild(T.el("p", "tok-note", r.note));
      frag.appendChild(tokens(r));

      const intro = T.el("p", "rr-line");
      intro.append("Layer " + p.layer + ", query head " + p.head + " (it shares key head " + r.kv_head
        + "): the query of token #" + r.q_token.index + " ", tokchip(r.q_token),
        " and the key of token #" + r.k_token.index + " ", tokchip(r.k_token),
        ", before RoPE. Pair " + pr.index + " is dimensions " + pr.dims[0] + " and " + pr.dims[1]
        + ": it turns " + num(pr.freq, 4) + " radians per position and comes back to its start every "
        + pr.wavelength.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + " tokens.");
      frag.appendChild(intro);

      const row1 = T.el("div", "rr-row");
      const readout = T.el("div", "rr-readout");
      readout.appendChild(T.el("p", null, "Dashed: the pair before RoPE. Solid: the query (●) turned by " + p.m
        + " × " + num(pr.freq, 4) + " = " + num(pr.angle_m) + " radians to point at " + deg(pr.q_deg)
        + "; the key (■) turned by " + p.n + " × " + num(pr.freq, 4) + " = " + num(pr.angle_n) + " radians to " + deg(pr.k_deg) + ". They are "
        + deg(pr.between) + " apart, so this pair adds " + num(pr.share) + " to q·k (lengths "
        + num(pr.q_norm) + " and " + num(pr.k_norm) + ")."));
      const score = T.el("p", "rr-score");
      score.append("Score q", T.el("sub", null, "m"), "·k", T.el("sub", null, "n"), " / √32 at ", v("m"),
        " = " + p.m + ", ", v("n"), " = " + p.n + ": ", T.el("strong", null, num(r.score, 6)));
      readout.appendChild(score);
      row1.append(circle(r), readout);
      frag.appendChild(row1);

      const row2 = T.el("div", "rr-row");
      row2.append(
        table(["Same offset ", v("m"), " − ", v("n"), " = " + T.minus(String(r.offset)) + ", other positions"],
          [[v("m")], [v("n")], ["score"]],
          r.same_offset.map((row) => [row.m, row.n, num(row.score, 12)]),
          (i) => r.same_offset[i].m === p.m && r.same_offset[i].n === p.n),
        table(["Other offsets, same ", v("n")],
          [[v("m")], [v("n")], [v("m"), " − ", v("n")], ["score"]],
          r.other_offsets.map((row) => [row.m, row.n, T.minus(String(row.offset)), num(row.score, 6)])));
      frag.appendChild(row2);

      const spread = T.el("p", "rr-line", "Along the same offset the scores differ by at most ");
      spread.append(T.el("strong", null, sci(r.spread)),
        ": the rounding of 64-bit floats, nothing else. A different offset gives a different score.");
      frag.append(spread, bars(r), T.el("p", "rr-line", "Each bar is one pair's share of q·k (up: positive). "
        + "The 16 shares add up to q·k = " + num(r.score_dot) + "; divided by √32 that is the score."));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
