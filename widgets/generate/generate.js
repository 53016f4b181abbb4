/* Generate: redraws the prompt and the new tokens (with the probability each had) from compute's result. The build
   draws the pre-rendered figure with this code too; a "Sample again" button, added here, moves to the next seed. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function appendPromptToken(parent, c) {
    const node = T.el("span", "tok gen-prompt-tok");
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
    parent.appendChild(node);
    if (c.nl) parent.appendChild(T.el("span", "tok-br"));
  }

  glassbox.widget("generate", {
    mount(el, api) {
      const seed = el.querySelector('[data-param="seed"]');
      const again = T.el("button", "gen-again", "Sample again");
      again.type = "button";
      again.title = "Draw again with the next seed";
      again.addEventListener("click", () => {  // the runtime reads the new seed as it reads any typed one
        seed.value = String(api.result.next_seed);
        seed.dispatchEvent(new Event("input", { bubbles: true }));
      });
      seed.after(again);
    },

    draw(el, result) {
      T.showReadouts(el, result.slider_texts);
      const out = el.querySelector(".widget-output");
      const frag = T.figure(result.note);
      const text = T.chipGroup("gen-text", "Prompt and generated tokens");
      if (result.n_prompt_tokens > result.prompt_tokens.length) text.appendChild(T.el("span", "gen-more", "…"));
      for (const c of result.prompt_tokens) appendPromptToken(text, c);
      result.tokens.forEach((c, i) => {
        const node = T.appendChip(text, c, i, false);
        node.classList.add("gen-new");
        node.appendChild(T.el("span", "tok-id gen-p", c.p_text));
        node.title = c.title;
      });
      frag.appendChild(text);

      const stats = T.el("p", "gen-stats", result.stats_text);
      stats.append(T.el("strong", null, result.mean_p_text),
        ". Perplexity of the new text under the model itself (temperature 1, no filters): ",
        T.el("strong", null, result.perplexity_text), ".");
      frag.appendChild(stats);
      out.replaceChildren(frag);
    },
  });
})();
