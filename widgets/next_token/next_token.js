/* Next token: redraws the bar list, the sampled token and the entropy from compute's result.
   The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function row(r, i) {
    const li = T.el("li", "smp-row" + (r.cut ? " smp-cut" : "") + (r.sampled ? " smp-sampled" : ""));
    const tok = T.el("span", "smp-tok");
    T.appendChip(tok, r, i, false);
    const logit = T.el("span", "smp-logit", r.logit_text);
    logit.title = "logit";
    const box = T.el("span", "smp-bar-box");
    box.setAttribute("aria-hidden", "true");
    const before = T.el("span", "smp-bar smp-bar-before");
    before.style.width = r.bars[0];
    const after = T.el("span", "smp-bar smp-bar-after");
    after.style.width = r.bars[1];
    box.append(before, after);
    const mark = r.cut ? "✂ cut by " + r.cut : r.sampled ? "◀ sampled" : "";
    li.append(T.el("span", "smp-rank", r.rank), tok, logit, box,
      T.el("span", "smp-nums", r.nums), T.el("span", "smp-mark", mark));
    return li;
  }

  glassbox.widget("next_token", {
    draw(el, result) {
      T.showReadouts(el, result.slider_texts);
      const out = el.querySelector(".widget-output");
      const frag = T.figure(result.note);
      const context = T.el("div", "smp-context", result.context_text);
      context.appendChild(T.chips(result.prompt_tail, false, "Last prompt tokens"));
      frag.appendChild(context);

      const t = result.token;
      const picked = T.el("p", "smp-picked", "Sampled next token: ");
      T.appendChip(picked, t, 0, false);
      picked.append(t.about, T.el("strong", null, t.p_text), t.model_text);
      frag.appendChild(picked);

      const list = T.list("ol", "smp-bars", "The " + result.rows.length + " most likely next tokens");
      result.rows.forEach((r, i) => list.appendChild(row(r, i)));
      frag.appendChild(list);
      frag.appendChild(T.el("p", "smp-tail", result.tail_text));

      const stats = T.el("p", "smp-stats");
      stats.append("Kept ", T.el("strong", null, result.kept_text), result.stats_mid,
        T.el("strong", null, result.entropy_text), result.stats_tail);
      frag.appendChild(stats);
      const filters = T.el("ul", "smp-filters");
      for (const line of result.filters) filters.appendChild(T.el("li", null, line));
      frag.appendChild(filters);
      out.replaceChildren(frag);
    },
  });
})();
