/* RoPE rotation: redraws the numbered tokens, the pair's arrows, the score tables and the pairs' shares from
   compute's result (the build draws the pre-rendered figure with this code too). Every coordinate and score comes
   from Python. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SLIDERS = ["layer", "head", "pair", "m", "n"];
  const NUMBERS = ["q_token", "k_token"];

  const svg = window.glassboxTokens.svg;

  function v(text) {
    return T.el("var", null, text);
  }

  function tokchip(c) {
    return T.token("tok rr-chip", c.segs);
  }

  // The sliders' readouts: the value as the slider sends it while moving, as Python used it once drawn.
  function showValues(el, params) {
    for (const key of SLIDERS) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = params ? params[key] : input.value;
    }
  }

  function tokens(r) {
    const box = T.chipGroup("rr-tokens", "Prompt tokens, numbered");
    r.tokens.forEach((c, i) => {
      const isQ = c.index === r.q_token.index, isK = c.index === r.k_token.index;
      const node = T.appendChip(box, c, i, false);
      if (isQ) node.classList.add("rr-is-q");
      if (isK) node.classList.add("rr-is-k");
      node.appendChild(T.el("span", "tok-id", "#" + c.index + (isQ ? " q" : "") + (isK ? " k" : "")));
    });
    return box;
  }

  function circle(r) {
    const s = r.svg, c = s.centre, [from, to] = s.axis;
    const box = svg("svg", { class: "rr-circle", viewBox: "0 0 " + s.size + " " + s.size, role: "img",
      "aria-label": r.circle_label });
    const line = (cls, tip) => svg("line", { class: cls, x1: c, y1: c, x2: tip[0], y2: tip[1] });
    box.append(
      svg("circle", { class: "rr-ring", cx: c, cy: c, r: s.radius }),
      svg("line", { class: "rr-axis", x1: from, y1: c, x2: to, y2: c }),
      svg("line", { class: "rr-axis", x1: c, y1: from, x2: c, y2: to }),
      line("rr-arrow rr-q rr-before", s.q0), line("rr-arrow rr-k rr-before", s.k0),
      line("rr-arrow rr-q", s.q), line("rr-arrow rr-k", s.k),
      svg("circle", { class: "rr-tip rr-q", cx: s.q[0], cy: s.q[1], r: 4 }),
      svg("rect", { class: "rr-tip rr-k", x: s.k_box[0], y: s.k_box[1], width: 8, height: 8 }),
      svg("text", { class: "rr-tag", x: s.q[0], y: s.q_tag_y, "text-anchor": "middle" }, "q at m"),
      svg("text", { class: "rr-tag", x: s.k[0], y: s.k_tag_y, "text-anchor": "middle" }, "k at n"));
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
    const b = r.bars;
    const box = svg("svg", { class: "rr-bars", viewBox: "0 0 " + b.width + " " + b.height, role: "img",
      "aria-label": r.bars_label });
    box.appendChild(svg("line", { class: "rr-axis", x1: b.left, y1: b.zero, x2: b.right, y2: b.zero }));
    for (const bar of b.bars) {
      box.appendChild(svg("rect", { class: "rr-bar" + (bar.chosen ? " rr-chosen" : ""), x: bar.x, y: bar.y,
        width: bar.w, height: bar.h }));
    }
    box.append(svg("text", { class: "rr-tag", x: b.left, y: b.tag_y }, "pair 0"),
      svg("text", { class: "rr-tag", x: b.right, y: b.tag_y, "text-anchor": "end" }, "pair 15"));
    return box;
  }

  glassbox.widget("rope_rotation", {
    mount(el) {
      el.querySelector(".rr-controls").addEventListener("input", () => showValues(el));
    },

    draw(el, r) {
      showValues(el, r.params);
      const p = r.params;
      for (const key of NUMBERS) {  // a clamped token number shows what was used
        const input = el.querySelector('[data-param="' + key + '"]');
        if (document.activeElement !== input) input.value = String(p[key]);
      }
      const frag = T.figure(r.note);
      frag.appendChild(tokens(r));

      const intro = T.el("p", "rr-line");
      intro.append(r.intro[0], tokchip(r.q_token), r.intro[1], tokchip(r.k_token), r.intro[2]);
      frag.appendChild(intro);

      const row1 = T.el("div", "rr-row");
      const readout = T.el("div", "rr-readout");
      readout.appendChild(T.el("p", null, r.readout));
      const score = T.el("p", "rr-score");
      score.append("Score q", T.el("sub", null, "m"), "·k", T.el("sub", null, "n"), " / √32 at ", v("m"),
        " = " + p.m + ", ", v("n"), " = " + p.n + ": ", T.el("strong", null, r.score_text));
      readout.appendChild(score);
      row1.append(circle(r), readout);
      frag.appendChild(row1);

      const row2 = T.el("div", "rr-row");
      row2.append(
        table(["Same offset ", v("m"), " − ", v("n"), " = " + r.offset_text + ", other positions"],
          [[v("m")], [v("n")], ["score"]],
          r.same_offset.map((row) => [row.m, row.n, row.score_text]),
          (i) => r.same_offset[i].yours),
        table(["Other offsets, same ", v("n")],
          [[v("m")], [v("n")], [v("m"), " − ", v("n")], ["score"]],
          r.other_offsets.map((row) => [row.m, row.n, row.offset_text, row.score_text])));
      frag.appendChild(row2);

      const spread = T.el("p", "rr-line", "Along the same offset the scores differ by at most ");
      spread.append(T.el("strong", null, r.spread_text),
        ": the rounding of 64-bit floats, nothing else. A different offset gives a different score.");
      frag.append(spread, bars(r), T.el("p", "rr-line", r.sum_text));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
