/* Per-token loss: redraws the loss-labelled chips, the legend, the totals and the most and least
   surprising tokens from compute's result. The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function tok(segs, cls) {
    return T.token("tok " + (cls || "tl-plain"), segs);
  }

  function chips(tokens) {
    const box = T.chipGroup("tl-chips", "Tokens, each labelled with its loss in nats");
    for (const c of tokens) {
      const chip = tok(c.segs, c.loss === null ? "tl-first" : "tl-b" + c.bucket);
      chip.appendChild(T.el("span", "tok-id", c.loss_text));
      box.appendChild(chip);
      if (c.nl) box.appendChild(T.el("span", "tok-br"));
    }
    return box;
  }

  function legend(entries) {
    const list = T.list("ul", "tl-legend", "Colour key: loss in nats");
    for (const b of entries) {
      const li = T.el("li");
      const swatch = T.el("span", "tl-swatch tl-b" + b.bucket);
      swatch.setAttribute("aria-hidden", "true");
      li.append(swatch, b.label);
      list.appendChild(li);
    }
    return list;
  }

  function extremes(result) {
    const box = T.el("div", "tl-extremes");
    for (const [title, rows] of [["Most surprising", result.most], ["Least surprising", result.least]]) {
      const part = T.el("div", "tl-list");
      const list = T.el("ol");
      for (const r of rows) {
        const li = T.el("li");
        li.append(tok(r.segs), " ", T.el("strong", null, r.loss_text), " nats (p = " + r.p_text
          + "); the model's top guess: ", tok(r.guess.segs), " " + r.guess.p_text);
        list.appendChild(li);
      }
      part.append(T.el("h3", "tl-head", title), list);
      box.appendChild(part);
    }
    return box;
  }

  glassbox.widget("token_loss", {
    draw(el, result) {
      const frag = T.figure(result.note);
      frag.appendChild(chips(result.tokens));
      if (result.message) {
        frag.appendChild(T.el("p", "tok-empty", result.message));
      } else {
        const s = result.stats.text;
        const stats = T.el("p", "tl-stats", "Mean loss of " + result.model_name + " over " + result.scored_text
          + " (the cross-entropy): ");
        stats.append(T.el("strong", null, s.mean + " nats"),
          " (" + s.bits_per_token + " bits) per token. Perplexity ", T.el("strong", null, s.perplexity),
          ". Bits per byte ", T.el("strong", null, s.bits_per_byte), " (" + s.n_bytes + " bytes)."
          + (result.start ? " It read " + result.start + " first, as at the start of a document (not scored)." : ""));
        frag.append(legend(result.legend), stats, extremes(result));
      }
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
