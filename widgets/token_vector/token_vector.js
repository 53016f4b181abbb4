/* Token vector: redraws the chips, the strip of 128 numbers, the cosine of two tokens and the nearest
   neighbours from compute's result. The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function tok(c, cls) {
    return T.token("tok " + (cls || "tv-plain"), c.segs);
  }

  function field(f, letter) {
    if (!f.token) return T.el("p", "tv-field tok-empty", letter + ": " + f.message);
    const p = T.el("p", "tv-field", letter + ": ");
    p.append(tok(f.token), " id " + f.token.id + (f.message ? ". " + f.message : "") + (f.tip ? " " + f.tip : ""));
    return p;
  }

  function vectorView(result, frag) {
    const v = result.vector;
    const chips = T.chipGroup(null, "Tokens of the text");
    result.tokens.forEach((c, i) => {
      // the chip's number is its position, not its id
      const chip = T.appendChip(chips, { segs: c.segs, id: c.number, new: c.picked }, i, true);
      if (c.picked) chip.classList.add("tv-picked");
    });
    const head = T.el("p", "tv-head", "Token " + result.position + " of " + result.n_tokens + ": ");
    head.append(tok(v), " id " + v.id + ", row " + v.id + " of the " + result.n_vocab_text + "-row table. Its "
      + result.d_model + " numbers:");
    const strip = T.el("div", "tv-strip");
    strip.setAttribute("role", "img");
    strip.setAttribute("aria-label", result.d_model + " numbers, from " + v.min_text + " (dimension " + v.argmin
      + ") to " + v.max_text + " (dimension " + v.argmax + "); length " + v.norm_text);
    v.texts.forEach((text, i) => {
      const cell = T.el("span", "tv-cell tv-s" + v.shades[i]);
      cell.title = "dimension " + i + ": " + text;
      strip.appendChild(cell);
    });
    const key = T.el("p", "tv-key");
    const swatch = (cls) => { const s = T.el("span", "tv-swatch " + cls); s.setAttribute("aria-hidden", "true"); return s; };
    key.append(swatch("tv-s-4"), " negative, ", swatch("tv-s4"), " positive, darker = larger. Largest " + v.max_text
      + " (dimension " + v.argmax + "), smallest " + v.min_text + " (dimension " + v.argmin + "), length "
      + v.norm_text + ".");
    const details = T.el("details", "tv-numbers");
    details.appendChild(T.el("summary", null, "All " + result.d_model + " numbers"));
    const table = T.el("table", "tv-table");
    const headRow = T.el("tr");
    headRow.appendChild(Object.assign(T.el("th", null, "dims"), { scope: "col" }));
    for (const c of v.columns) headRow.appendChild(Object.assign(T.el("th", null, c), { scope: "col" }));
    const thead = T.el("thead");
    thead.appendChild(headRow);
    const tbody = T.el("tbody");
    for (const row of v.rows) {
      const tr = T.el("tr");
      tr.appendChild(Object.assign(T.el("th", null, row.first), { scope: "row" }));
      for (const text of row.texts) tr.appendChild(T.el("td", null, text));
      tbody.appendChild(tr);
    }
    table.append(thead, tbody);
    const scroll = T.region("tv-scroll", "The " + result.d_model + " numbers");
    scroll.appendChild(table);
    details.appendChild(scroll);
    frag.append(chips, head, strip, key, details);
  }

  function pairView(result, frag) {
    frag.append(T.el("p", "tv-sub", "Two tokens: cosine similarity"), field(result.a, "A"), field(result.b, "B"));
    if (result.cosine !== null) {
      const p = T.el("p", "tv-cos", "cos(A, B) = ");
      const meter = T.el("span", "tv-meter");
      meter.setAttribute("aria-hidden", "true");
      const dot = T.el("span", "tv-meter-dot");
      dot.style.left = result.meter;
      meter.append(T.el("span", "tv-meter-mid"), dot);
      p.append(T.el("strong", null, result.cosine_text), " ", meter, " ",
        T.el("span", "tv-scale", "(−1 opposite, 0 unrelated, +1 same direction)"));
      frag.appendChild(p);
    }
    if (result.neighbours.length) {
      frag.appendChild(T.el("p", "tv-sub", "Nearest to A among all " + result.n_vocab_text + " tokens"));
      const list = T.el("ol", "tv-neighbours");
      for (const n of result.neighbours) {
        const li = T.el("li");
        const bar = T.el("span", "tv-bar");
        bar.setAttribute("aria-hidden", "true");
        const fill = T.el("span");
        fill.style.width = n.bar;
        bar.appendChild(fill);
        li.append(tok(n), " ", T.el("span", "tv-num", n.cosine_text), bar);
        list.appendChild(li);
      }
      frag.appendChild(list);
    }
  }

  glassbox.widget("token_vector", {
    mount(el) {
      el.querySelector(".tv-controls").addEventListener("input", () => T.echo(el, ["position"]));
    },

    draw(el, result) {
      T.echo(el, ["position"]);
      const frag = T.figure(result.note);
      if (result.message) frag.appendChild(T.el("p", "tok-empty", result.message));
      else vectorView(result, frag);
      pairView(result, frag);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
