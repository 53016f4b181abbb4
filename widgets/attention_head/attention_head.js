/* One attention head: redraws the query, the key table (dot products, scaling, softmax weights) and the
   weighted mix of the values from compute's result. The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SVG = "http://www.w3.org/2000/svg";


  function tok(segs) {
    return T.token("tok ah-tok", segs);
  }

  function strip(cells, label) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "ah-strip");
    svg.setAttribute("viewBox", "0 0 " + cells.length + " 1");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    cells.forEach((c, i) => {
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", i);
      rect.setAttribute("y", 0);
      rect.setAttribute("width", 1);
      rect.setAttribute("height", 1);
      rect.setAttribute("class", c.neg ? "ah-neg" : "ah-pos");
      rect.setAttribute("fill-opacity", c.opacity);
      svg.appendChild(rect);
    });
    return svg;
  }

  function cell(cls, content) {
    const td = T.el("td", cls);
    if (content !== undefined) td.append(content);
    return td;
  }

  function keyRow(k, r) {
    const tr = T.el("tr", (k.masked ? "ah-masked" : "") + (k.pos === r.query ? " ah-self" : ""));
    tr.append(cell("ah-n", String(k.pos)), cell(null, tok(k.segs)), cell("ah-n", k.dot_text));
    if (k.masked) {
      tr.append(cell("ah-n", "−∞"), cell("ah-wcell", "0 (masked)"));
    } else {
      const w = cell("ah-wcell");
      const box = T.el("span", "ah-bar-box");
      box.setAttribute("aria-hidden", "true");
      const bar = T.el("span", "ah-bar");
      bar.style.width = k.bar;
      box.appendChild(bar);
      w.append(box, T.el("span", "ah-w", k.weight_text));
      tr.append(cell("ah-n", k.score_text), w);
    }
    tr.appendChild(cell("ah-kcell", strip(k.k_cells, "k of position " + k.pos)));
    return tr;
  }

  function keyNumbers(r) {
    const details = T.el("details", "ah-details");
    details.appendChild(T.el("summary", null, "The " + r.d_head + " numbers of every key k"));
    details.appendChild(table("ah-table ah-ktable", null,
      r.rows.map((k) => valueRow([k.pos + " ", tok(k.segs)], k.k_text)), null, "The numbers of every key"));
    return details;
  }

  function table(cls, head, rows, caption, label) {
    const box = T.region("ah-table-box", label);
    const t = T.el("table", cls);
    if (caption) t.appendChild(T.el("caption", null, caption));
    if (head) {
      const tr = T.el("tr");
      for (const h of head) {
        const th = T.el("th", null, h);
        th.scope = "col";
        tr.appendChild(th);
      }
      t.appendChild(T.el("thead")).appendChild(tr);
    }
    const body = T.el("tbody");
    rows.forEach((row) => body.appendChild(row));
    t.appendChild(body);
    box.appendChild(t);
    return box;
  }

  function valueRow(label, values, cls) {
    const tr = T.el("tr", cls);
    const th = T.el("th");
    th.scope = "row";
    th.append(...label);
    tr.appendChild(th);
    for (const text of values) tr.appendChild(cell("ah-n", text));
    return tr;
  }

  glassbox.widget("attention_head", {
    mount(el) {
      el.querySelector('[data-param="query"]').addEventListener("input", () => T.echo(el, ["query"]));
    },

    draw(el, r) {
      // The slider spans the sentence's tokens (a shorter sentence pulls the thumb back to its last token).
      el.querySelector('[data-param="query"]').max = String(r.max_query);
      T.echo(el, ["query"]);

      const frag = T.figure(r.note);
      const chips = T.chipGroup("ah-chips", "The sentence’s tokens; the query is marked with a box, hidden tokens are struck through");
      r.tokens.forEach((c, i) => {
        const chip = T.appendChip(chips, { segs: c.segs, id: i }, i, true);  // its number is its position
        if (c.mark) chip.classList.add(c.mark);
      });
      frag.appendChild(chips);

      if (!r.params.causal) {
        const after = r.n_after;
        const warn = T.el("p", "ah-warn");
        warn.append(T.el("strong", null, "Causal mask off."), " The query now also sees the " + after + " token"
          + (after === 1 ? "" : "s") + " after it. The real model never does this: it could not, because when it "
          + "writes a token the later ones do not exist yet. Only this one head is changed; every layer before "
          + "it still ran with the mask on.");
        frag.appendChild(warn);
      }

      const step1 = T.el("h3", "ah-step", "1. The query: what ");
      step1.append(tok(r.query_segs), " (position " + r.query + ") is looking for");
      const line = T.el("p", "ah-vec-line");
      line.appendChild(strip(r.q_cells, "q as a colour strip; its numbers follow"));
      const nums = T.list("ol", "ah-nums", "The " + r.d_head + " numbers of q");
      for (const text of r.q_text) nums.appendChild(T.el("li", null, text));
      frag.append(step1, line, T.el("p", "ah-vec-note", "q of layer " + r.layer + ", query head " + r.head
        + ", after RoPE: " + r.d_head + " numbers, length " + r.q_norm_text + ". Orange cells are negative, "
        + "blue positive; the stronger the colour, the larger the number."), nums);

      const d = r.d_head;
      frag.append(T.el("h3", "ah-step", "2. Every key, its score and its weight"),
        T.el("p", "ah-vec-note", "Each row: a token, the dot product q·k of the query with that token’s key, "
          + "the dot product divided by √" + d + " = " + r.sqrt_d_text + ", the softmax weight, and the key k "
          + "itself as a colour strip (from key/value head " + r.kv_head + ", after RoPE; its numbers are listed "
          + "below the table)."),
        table("ah-table", ["pos", "token", "q·k", "÷ √" + d, "weight", "k"], r.rows.map((k) => keyRow(k, r)), null,
          "Scores and weights of every key"),
        keyNumbers(r),
        T.el("p", "ah-sum", "The weights of the " + r.n_visible + " visible tokens add up to "
          + r.weight_sum_text + "."));

      const mix = T.el("p", "ah-mix", "output = ");
      for (const t of r.top) mix.append(t.weight_text + " × v(", tok(t.segs), t.after);
      if (r.n_more > 0) mix.append(" + … (" + r.n_more + " more)");
      const rows = r.top.map((t) => valueRow([t.weight_text + " × v(", tok(t.segs), ")"], t.v_text));
      rows.push(valueRow(["output"], r.out_text, "ah-out"));
      frag.append(T.el("h3", "ah-step", "3. The output: the values, mixed by the weights"), mix,
        table("ah-table ah-vtable", null, rows,
          "The first " + r.n_shown + " of " + d + " numbers of each value vector v and of the output",
          "Value vectors and the output"),
        T.el("p", "ah-sum", "The output has " + d + " numbers and length " + r.out_norm_text + ". It is this "
          + "head’s contribution; the four heads’ outputs are put side by side and projected back into the "
          + "residual stream."));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
