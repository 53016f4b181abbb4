/* Quantized model: redraws the two greedy continuations (marking where they part) and the perplexity table
   from compute's result. The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function chip(c, cls) {
    return T.token(cls, c.segs);
  }

  function row(box, tokens, first) {
    tokens.forEach((c, i) => {
      if (c.differs && i === first) {
        const mark = T.el("span", "qm-mark", "▶");
        mark.setAttribute("aria-hidden", "true");
        box.appendChild(mark);
      }
      box.appendChild(chip(c, "tok" + (c.differs ? " qm-diff" : "")));
      if (c.nl) box.appendChild(T.el("span", "tok-br"));
    });
    return box;
  }

  function cells(tr, head, values) {
    const th = T.el("th", null, head);
    th.scope = "row";
    tr.appendChild(th);
    for (const v of values) tr.appendChild(T.el("td", null, v));
    return tr;
  }

  glassbox.widget("quantized_model", {
    draw(el, result) {
      const p = result.params;
      el.querySelector('[data-param="n_tokens"]').nextElementSibling.textContent = String(p.n_tokens);
      const frag = T.figure(result.note);
      const line = T.el("p", "qm-prompt-line");
      line.append(T.el("span", "qm-tag", result.prompt_label), " ");
      const chips = T.el("span", "tok-chips qm-chips");
      for (const c of result.prompt_tokens) chips.appendChild(chip(c, "tok qm-prompt-tok"));
      line.appendChild(chips);
      frag.appendChild(line);

      const rows = T.el("div", "qm-rows");
      const label = p.format + (p.format !== "fp16" ? ", groups of " + p.group_size : "");
      for (const [title, tokens, aria] of [["Model as shipped (fp16 weights)", result.full, "the model as shipped"],
                                           [label, result.quant, "the " + p.format + " model"]]) {
        const box = T.chipGroup("qm-chips", "Greedy continuation by " + aria);
        const r = T.el("div", "qm-row");
        r.append(T.el("h3", "qm-tag", title), row(box, tokens, result.first_difference));
        rows.appendChild(r);
      }
      frag.appendChild(rows);
      frag.appendChild(T.el("p", "qm-verdict", result.verdict));

      const table = T.el("table", "qm-table");
      table.appendChild(T.el("caption", null, "Held-out perplexity on " + result.text.n_eval_tokens + " tokens ("
        + result.n_eval_windows + " windows of text the model never saw in training)"));
      const head = T.el("tr");
      for (const h of ["Weights", "Stored", "Weight error", "Perplexity"]) {
        const th = T.el("th", null, h);
        th.scope = "col";
        head.appendChild(th);
      }
      const thead = T.el("thead");
      thead.appendChild(head);
      const t = result.text;
      const body = T.el("tbody");
      body.append(
        cells(T.el("tr"), "as shipped (fp32 in memory)", [t.bytes_fp32, "–", t.ppl_full]),
        cells(T.el("tr"), p.format + (p.format !== "fp16" ? " (g" + p.group_size + ")" : ""),
          [t.bytes_quant, t.weight_error, t.ppl_quant]));
      table.append(thead, body);
      frag.appendChild(table);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
