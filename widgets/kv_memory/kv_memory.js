/* KV memory: redraws the closed form, the MHA / GQA / MQA cards and the notes from compute's result. The build
   draws the pre-rendered figure with this code too. The context slider moves in powers of two: its value is
   log2(context), and Python's result says how many tokens that is. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function p(cls, ...parts) {
    const node = T.el("p", cls);
    node.append(...parts);
    return node;
  }

  function card(v) {
    const li = T.el("li", "kv-card" + (v.published ? " kv-published" : ""));
    const name = p("kv-name", T.el("strong", null, v.name));
    if (v.published) name.append(" ", T.el("span", "kv-badge", "as published"));
    const box = T.el("span", "kv-bar-box");
    box.setAttribute("aria-hidden", "true");
    const bar = T.el("span", "kv-bar");
    bar.style.width = v.bar_width;
    box.appendChild(bar);
    li.append(name, p("kv-text", v.text),
      p("kv-heads", v.heads_text),
      p("kv-total", v.human), p("kv-per", v.per_token_h + " per token"), box,
      p("kv-saving", v.saving_text));
    return li;
  }

  // The sliders' readouts: the context's is 2 ** its position, known once Python has answered.
  function showValues(el, r) {
    const context = el.querySelector('[data-param="log2_context"]');
    context.nextElementSibling.textContent = r.context_text;
    context.setAttribute("aria-valuetext", r.context_text + " tokens");
    el.querySelector('[data-param="batch"]').nextElementSibling.textContent = r.params.batch;
  }

  glassbox.widget("kv_memory", {
    draw(el, r) {
      const out = el.querySelector(".widget-output");
      const frag = document.createDocumentFragment();
      frag.appendChild(p("kv-shape", T.el("strong", null, r.name), r.shape_text));
      frag.appendChild(p("kv-formula", ...r.formula.map((part) => (part.strong ? T.el("strong", null, part.text)
        : part.text))));
      const cards = T.list("ul", "kv-cards", "KV cache of the same model as MHA, GQA and MQA");
      r.variants.forEach((v) => cards.appendChild(card(v)));
      frag.appendChild(cards);
      frag.appendChild(p("kv-scale", r.scale_text));
      if (r.warning) frag.appendChild(p("kv-warn", r.warning));
      if (r.notes) frag.appendChild(p("kv-note", "Note: " + r.notes + "."));
      frag.appendChild(p("kv-source", "Source: " + r.source + "."));
      out.replaceChildren(frag);
      showValues(el, r);
    },
  });
})();
