/* Generate: redraws the prompt and the new tokens (with the probability each had) from compute's result. The build
   draws the pre-rendered figure with this code too; a "Sample again" button, added here, moves to the next seed. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SLIDERS = { n_tokens: 0, temperature: 2, top_k: 0, top_p: 2, min_p: 2 };  // param -> digits shown
  const MAX_SEED = 4294967295;

  function pct(p) {
    if (p === 0) return "0%";
    if (p < 0.001) return "<0.1%";
    return (100 * p).toFixed(1) + "%";
  }

  function read(el) {
    const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
    return {
      prompt: value("prompt"),
      n_tokens: Number(value("n_tokens")),
      temperature: Number(value("temperature")),
      top_k: Number(value("top_k")),
      top_p: Number(value("top_p")),
      min_p: Number(value("min_p")),
      seed: value("seed") === "" ? 0 : Number(value("seed")),
    };
  }

  function showValues(el) {
    for (const [key, digits] of Object.entries(SLIDERS)) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = Number(input.value).toFixed(digits);
    }
  }

  function appendToken(parent, c, cls, label) {
    const node = T.el("span", cls);
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
    if (label) node.appendChild(T.el("span", "tok-id gen-p", label));
    parent.appendChild(node);
    if (c.nl) parent.appendChild(T.el("span", "tok-br"));
    return node;
  }

  glassbox.widget("generate", {
    read,

    mount(el, api) {
      el.querySelector(".gen-controls").addEventListener("input", () => showValues(el));
      const seed = el.querySelector('[data-param="seed"]');
      const again = T.el("button", "gen-again", "Sample again");
      again.type = "button";
      again.title = "Draw again with the next seed";
      again.addEventListener("click", () => {
        const next = (Math.floor(Number(seed.value) || 0) + 1) % (MAX_SEED + 1);
        seed.value = String(next);
        api.update(Object.assign(read(el), { seed: next }));
      });
      seed.after(again);
    },

    draw(el, result) {
      showValues(el);
      const out = el.querySelector(".widget-output");
      const frag = document.createDocumentFragment();
      if (result.note) frag.appendChild(T.el("p", "tok-note", result.note));
      const text = T.el("div", "tok-chips gen-text");
      text.setAttribute("role", "group");
      text.setAttribute("aria-label", "Prompt and generated tokens");
      if (result.n_prompt_tokens > result.prompt_tokens.length) text.appendChild(T.el("span", "gen-more", "…"));
      for (const c of result.prompt_tokens) appendToken(text, c, "tok gen-prompt-tok");
      result.tokens.forEach((c, i) => {
        const node = appendToken(text, c, "tok tok-c" + (i % T.N_COLOURS) + " tok-new gen-new", pct(c.p));
        node.title = "probability " + pct(c.p) + " when drawn; " + pct(c.p_model) + " at temperature 1 with no filters";
      });
      frag.appendChild(text);

      const n = result.tokens.length;
      const stats = T.el("p", "gen-stats", n + " new token" + (n === 1 ? "" : "s")
        + " (bold borders; the small number under each is its probability when it was drawn"
        + (result.greedy ? ": greedy decoding gives every pick 100%" : "") + "). Average probability when drawn: ");
      stats.append(T.el("strong", null, pct(result.mean_p)),
        ". Perplexity of the new text under the model itself (temperature 1, no filters): ",
        T.el("strong", null, result.perplexity.toFixed(1)), ".");
      frag.appendChild(stats);
      out.replaceChildren(frag);
    },
  });
})();
