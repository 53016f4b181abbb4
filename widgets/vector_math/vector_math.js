/* Vector arithmetic: redraws A - B + C, the nearest tokens to it and the honest extras (the expected token's rank,
   the nearest tokens with the inputs left in) from compute's result. The build draws the pre-rendered figure with
   this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function tok(c) {
    return T.token("tok vm-plain", c.segs);
  }

  function bar(width) {
    return T.bar("vm-bar", width);
  }

  function answer(result, frag) {
    frag.appendChild(T.el("p", "vm-sub", "Nearest tokens to the result, leaving out A, B and C"));
    const list = T.el("ol", "vm-results");
    for (const r of result.results) {
      const li = T.el("li", r.expected ? "vm-expected" : null);
      li.append(tok(r), " ", T.el("span", "vm-num", r.cosine_text), bar(r.bar));
      if (r.expected) li.append(" ", T.el("strong", null, "◀ expected"));
      list.appendChild(li);
    }
    frag.appendChild(list);
    const e = result.expect;
    if (e) {
      const p = T.el("p", "vm-expect", "Expected: ");
      if (e.token) {
        p.appendChild(tok(e.token));
        if (result.expect_rank !== null) {
          p.append(", rank ", T.el("strong", null, result.expect_rank), " of " + result.n_candidates_text
            + " (cosine " + result.expect_cosine_text + ").");
        }
      }
      if (e.message) p.append(" " + e.message);
      frag.appendChild(p);
    }
    const raw = T.el("p", "vm-raw", "Without leaving them out, the nearest tokens are: ");
    for (const r of result.raw) {
      raw.append(tok(r), " " + r.cosine_text);
      if (r.input) raw.append(" ", T.el("strong", null, "(an input)"));
      raw.append(r.after);
    }
    const [ca, cb, cc] = result.input_cosines_text;
    frag.append(raw, T.el("p", "vm-inputs", "Cosine of the result with A " + ca + ", with B " + cb
      + ", with C " + cc + "."));
  }

  glassbox.widget("vector_math", {
    draw(el, result) {
      const frag = T.figure(result.note);
      const sum = T.el("p", "vm-sum");
      result.fields.forEach((f, i) => {
        if (i) sum.append(f.key === "b" ? " − " : " + ");
        sum.appendChild(f.token ? tok(f.token) : T.el("span", "vm-missing", f.label + "?"));
      });
      sum.append(" = ?");
      frag.appendChild(sum);
      for (const f of result.fields) if (f.message) frag.appendChild(T.el("p", "vm-msg", f.message));
      if (result.message) frag.appendChild(T.el("p", "tok-empty", result.message));
      else answer(result, frag);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
