/* Live tokenizer: redraws each encoding's chips and counts from compute's result (three OpenAI encodings and
   SmolLM2's). The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  glassbox.widget("tokenizer_compare", {
    draw(el, result) {
      const out = el.querySelector(".widget-output");
      const frag = document.createDocumentFragment();
      frag.appendChild(T.el("p", "tc-summary", result.summary));
      if (result.note) frag.appendChild(T.el("p", "tok-note", result.note));
      for (const e of result.encodings) {
        const box = T.el("div", "tc-enc");
        const head = T.el("p", "tc-head");
        head.append(T.el("code", "tc-name", e.name), " ", T.el("span", "tc-models", e.models));
        const stats = T.el("p", "tc-stats");
        stats.append(T.el("strong", null, e.n_tokens_text), " tokens · ",
          T.el("strong", null, e.chars_per_token_text), " characters per token");
        box.append(head, stats);
        box.appendChild(e.tokens.length
          ? T.chips(e.tokens, result.show_ids, e.name + " tokens")
          : T.el("p", "tok-empty", "No text, no tokens: type something above."));
        frag.appendChild(box);
      }
      out.replaceChildren(frag);
    },
  });
})();
