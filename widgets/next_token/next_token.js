/* Next token: redraws the bar list, the sampled token and the entropy from compute's result.
   The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SLIDERS = { temperature: 2, top_k: 0, top_p: 2, min_p: 2 };  // param -> digits shown

  function pct(p) {
    if (p === 0) return "0%";
    if (p < 0.001) return "<0.1%";
    return (100 * p).toFixed(1) + "%";
  }

  function chip(segs, colour, extra) {
    const node = T.el("span", "tok tok-c" + (colour % T.N_COLOURS) + (extra ? " " + extra : ""));
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), segs));
    return node;
  }

  function row(r, i) {
    const li = T.el("li", "smp-row" + (r.cut ? " smp-cut" : "") + (r.sampled ? " smp-sampled" : ""));
    const tok = T.el("span", "smp-tok");
    tok.appendChild(chip(r.segs, i));
    const logit = T.el("span", "smp-logit", r.logit.toFixed(2));
    logit.title = "logit";
    const box = T.el("span", "smp-bar-box");
    box.setAttribute("aria-hidden", "true");
    const before = T.el("span", "smp-bar smp-bar-before");
    before.style.width = (100 * r.p_before).toFixed(1) + "%";
    const after = T.el("span", "smp-bar smp-bar-after");
    after.style.width = (100 * r.p_after).toFixed(1) + "%";
    box.append(before, after);
    const mark = r.cut ? "✂ cut by " + r.cut : r.sampled ? "◀ sampled" : "";
    li.append(T.el("span", "smp-rank", r.rank), tok, logit, box,
      T.el("span", "smp-nums", pct(r.p_before) + " → " + pct(r.p_after)), T.el("span", "smp-mark", mark));
    return li;
  }

  function showValues(el) {
    for (const [key, digits] of Object.entries(SLIDERS)) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = Number(input.value).toFixed(digits);
    }
  }

  glassbox.widget("next_token", {
    read(el) {
      const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
      return {
        prompt: value("prompt"),
        temperature: Number(value("temperature")),
        top_k: Number(value("top_k")),
        top_p: Number(value("top_p")),
        min_p: Number(value("min_p")),
        seed: value("seed") === "" ? 0 : Number(value("seed")),
      };
    },

    mount(el) {
      // Slider numbers follow the thumb at once; the bars follow when compute answers.
      el.querySelector(".smp-controls").addEventListener("input", () => showValues(el));
    },

    draw(el, result) {
      showValues(el);
      const out = el.querySelector(".widget-output");
      const frag = document.createDocumentFragment();
      if (result.note) frag.appendChild(T.el("p", "tok-note", result.note));
      const context = T.el("div", "smp-context",
        result.model_name + " reads " + result.n_prompt_tokens + " token" + (result.n_prompt_tokens === 1 ? "" : "s") + ", ending ");
      context.appendChild(T.chips(result.prompt_tail, false, "Last prompt tokens"));
      frag.appendChild(context);

      const t = result.token;
      const picked = T.el("p", "smp-picked", "Sampled next token: ");
      picked.append(chip(t.segs, 0, "tok-new"), " (rank " + t.rank + ", id " + t.id + "), drawn with probability ",
        T.el("strong", null, pct(t.p)), "; the model alone gave it " + pct(t.p_model) + ".");
      frag.appendChild(picked);

      const list = T.el("ol", "smp-bars");
      list.setAttribute("aria-label", "The " + result.rows.length + " most likely next tokens");
      result.rows.forEach((r, i) => list.appendChild(row(r, i)));
      frag.appendChild(list);
      frag.appendChild(T.el("p", "smp-tail", "The other " + T.int(result.n_tail) + " tokens: "
        + pct(result.tail_before) + " → " + pct(result.tail_after)
        + ". Columns: rank, token, logit, probability before the filters (after temperature) → after them."));

      const stats = T.el("p", "smp-stats");
      stats.append("Kept ", T.el("strong", null, T.int(result.n_kept)), " of " + T.int(result.n_vocab)
        + " tokens. Entropy of the distribution drawn from: ",
        T.el("strong", null, result.entropy_nats.toFixed(2) + " nats"),
        " (" + result.entropy_bits.toFixed(2) + " bits, perplexity " + result.perplexity.toFixed(1)
        + "); the model's own, at temperature 1: " + result.entropy_model.toFixed(2) + " nats.");
      frag.appendChild(stats);
      const filters = T.el("ul", "smp-filters");
      for (const line of result.filters) filters.appendChild(T.el("li", null, line));
      frag.appendChild(filters);
      out.replaceChildren(frag);
    },
  });
})();
