/* KV memory: redraws the closed form, the MHA / GQA / MQA cards and the notes from compute's result. The build
   draws the pre-rendered figure with this code too. The context slider moves in powers of two: its value is
   log2(context). */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function pct(x) {
    if (x >= 0.1) return (100 * x).toFixed(0) + "%";
    if (x >= 0.001) return (100 * x).toFixed(1) + "%";
    return Number((100 * x).toPrecision(2)).toString() + "%";
  }

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
    bar.style.width = (100 * v.fraction).toFixed(2) + "%";
    box.appendChild(bar);
    li.append(name, p("kv-text", v.text),
      p("kv-heads", "n_kv_head = " + v.n_kv_head + " (" + v.group + " query head" + (v.group === 1 ? "" : "s")
        + " per KV head)"),
      p("kv-total", v.human), p("kv-per", v.per_token_h + " per token"), box,
      p("kv-saving", v.saving === 1 ? "the MHA size" : v.saving + "× smaller than MHA"));
    return li;
  }

  function showValues(el) {
    const context = el.querySelector('[data-param="context"]');
    const tokens = T.int(2 ** Number(context.value));
    context.nextElementSibling.textContent = tokens;
    context.setAttribute("aria-valuetext", tokens + " tokens");
    const batch = el.querySelector('[data-param="batch"]');
    batch.nextElementSibling.textContent = batch.value;
  }

  glassbox.widget("kv_memory", {
    read(el) {
      const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
      return {
        model: value("model"),
        context: 2 ** Number(value("context")),
        batch: Number(value("batch")),
        precision: value("precision"),
      };
    },

    mount(el) {
      el.querySelector(".kv-controls").addEventListener("input", () => showValues(el));
    },

    draw(el, r) {
      const out = el.querySelector(".widget-output");
      const v1 = r.variants[1];
      const ctx = T.int(r.params.context);
      const frag = document.createDocumentFragment();
      frag.appendChild(p("kv-shape", T.el("strong", null, r.name), ": n_layer " + r.n_layer + ", n_head " + r.n_head
        + ", n_kv_head " + r.n_kv_head + ", d_head " + r.d_head + ", published context " + T.int(r.n_ctx) + " tokens."));
      frag.appendChild(p("kv-formula", "2 × " + r.n_layer + " layers × " + r.n_kv_head + " KV heads × " + r.d_head
        + " × " + r.bytes_per_value + " bytes = ", T.el("strong", null, T.int(v1.per_token) + " bytes"),
        " (" + v1.per_token_h + ") per token; × " + ctx + " tokens × " + r.params.batch + " sequence"
        + (r.params.batch === 1 ? "" : "s") + " = ", T.el("strong", null, T.int(v1.bytes) + " bytes = " + v1.human), "."));
      const cards = T.el("ul", "kv-cards");
      cards.setAttribute("aria-label", "KV cache of the same model as MHA, GQA and MQA");
      r.variants.forEach((v) => cards.appendChild(card(v)));
      frag.appendChild(cards);
      frag.appendChild(p("kv-scale", "For scale: the weights of " + r.name + " at 16 bits take " + r.weights_human
        + "; the cache as published is " + pct(r.cache_vs_weights) + " of that."
        + (r.is_mha ? " " + r.name + " was published with multi-head attention, so its GQA column is the MHA one." : "")));
      if (r.beyond_context) {
        frag.appendChild(p("kv-warn", ctx + " tokens is beyond the " + T.int(r.n_ctx) + " this model was released for: "
          + "the memory is what the cache would take, but the model was not trained to read that far."));
      }
      if (r.notes) frag.appendChild(p("kv-note", "Note: " + r.notes + "."));
      frag.appendChild(p("kv-source", "Source: " + r.source + "."));
      out.replaceChildren(frag);
      showValues(el);
    },
  });
})();
