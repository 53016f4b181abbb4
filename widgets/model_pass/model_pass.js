/* Model pass: redraws the pipeline (text, tokens, vectors, blocks, logits, sampled token, append) from compute's
   result. The build draws the pre-rendered figure with this code too; "Next step" and "Reset" buttons, added here,
   move the loop forward one token or back to the bare prompt. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SLIDERS = { step: 0, temperature: 2 };  // param -> digits shown
  const MAX_STEP = 16;

  function pct(p) {
    if (p === 0) return "0%";
    if (p < 0.001) return "<0.1%";
    return (100 * p).toFixed(1) + "%";
  }

  function read(el) {
    const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
    return {
      prompt: value("prompt"),
      step: Number(value("step")),
      temperature: Number(value("temperature")),
      seed: value("seed") === "" ? 0 : Number(value("seed")),
    };
  }

  function showValues(el) {
    for (const [key, digits] of Object.entries(SLIDERS)) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = Number(input.value).toFixed(digits);
    }
  }

  function tokChip(c) {
    const node = T.el("span", "tok mp-tok");
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
    return node;
  }

  function bar(trackCls, barCls, fraction) {
    const track = T.el("span", trackCls);
    const fill = T.el("span", barCls);
    fill.style.width = (100 * fraction).toFixed(1) + "%";
    track.appendChild(fill);
    return track;
  }

  function stage(name, shape, cls) {
    const li = T.el("li", "mp-stage" + (cls ? " " + cls : ""));
    const head = T.el("div", "mp-head");
    head.append(T.el("span", "mp-name", name), T.el("span", "mp-shape", shape));
    li.appendChild(head);
    return li;
  }

  function detail(...parts) {
    const p = T.el("p", "mp-detail");
    p.append(...parts);
    return p;
  }

  glassbox.widget("model_pass", {
    read,

    mount(el, api) {
      el.querySelector(".mp-controls").addEventListener("input", () => showValues(el));
      const step = el.querySelector('[data-param="step"]');
      const go = (value) => {
        step.value = String(value);
        showValues(el);
        api.update(Object.assign(read(el), { step: value }));
      };
      const next = T.el("button", "mp-button", "Next step");
      next.type = "button";
      next.title = "Append the sampled token and run the model again";
      next.addEventListener("click", () => go(Math.min(MAX_STEP, Number(step.value) + 1)));
      const reset = T.el("button", "mp-button", "Reset");
      reset.type = "button";
      reset.title = "Back to the prompt alone";
      reset.addEventListener("click", () => go(0));
      el.querySelector(".mp-buttons").append(next, reset);
    },

    draw(el, r) {
      showValues(el);
      const out = el.querySelector(".widget-output");
      const frag = document.createDocumentFragment();
      if (r.note) frag.appendChild(T.el("p", "tok-note", r.note));
      const list = T.el("ol", "mp-pipeline");

      let li = stage("Text", "a string");
      const text = T.el("p", "mp-text");
      if (r.prompt_cut) text.appendChild(document.createTextNode("…"));
      text.append(T.el("span", "mp-prompt-text", r.prompt_tail), T.el("mark", "mp-new-text", r.generated));
      li.appendChild(text);
      list.appendChild(li);

      li = stage("Tokens", "[n_seq] = [" + r.n_seq + "] ids");
      const chips = T.el("div", "tok-chips mp-chips");
      chips.setAttribute("role", "group");
      chips.setAttribute("aria-label", "Token ids the model reads");
      const hidden = r.n_seq - r.tokens.length;
      if (hidden > 0) chips.appendChild(T.el("span", "mp-more", "…"));
      r.tokens.forEach((c, i) => T.appendChip(chips, c, hidden + i, true));
      li.appendChild(chips);
      li.appendChild(detail(r.n_prompt_tokens + " from the prompt"
        + (r.n_seq > r.n_prompt_tokens ? ", " + (r.n_seq - r.n_prompt_tokens) + " appended by the loop (bold borders)" : "")
        + "." + (hidden > 0 ? " Showing the last " + r.tokens.length + "." : "")));
      list.appendChild(li);

      li = stage("Vectors", "[n_seq, d_model] = [" + r.n_seq + ", " + r.d_model + "]");
      li.appendChild(detail("Each id picks its row of the embedding table. The last token's vector starts"));
      li.appendChild(T.el("p", "mp-vector", "[" + r.vector.map((x) => x.toFixed(3) + ", ").join("")
        + "… " + (r.d_model - r.vector.length) + " more]"));
      li.appendChild(detail("Its length (norm): ", T.el("strong", null, r.vector_norm.toFixed(2)), "."));
      list.appendChild(li);

      const maxNorm = Math.max(...r.blocks.map((b) => b.norm));
      r.blocks.forEach((b) => {
        const block = stage(b.label, "[n_seq, d_model] → [n_seq, d_model]", "mp-block");
        const row = T.el("div", "mp-block-row");
        const lens = T.el("span", "mp-lens", "reads as ");
        lens.append(tokChip(b.lens), " " + pct(b.lens.p));
        row.append(T.el("span", "mp-norm-label", "norm " + b.norm.toFixed(2)),
          bar("mp-norm-track", "mp-norm-bar", b.norm / maxNorm), lens);
        block.appendChild(row);
        list.appendChild(block);
      });

      li = stage("Logits", "[n_seq, n_vocab] = [" + r.n_seq + ", " + r.n_vocab + "]; last row → softmax");
      li.appendChild(detail("The final RMSNorm, then the unembedding (the embedding table, reused): one score per vocabulary token."));
      const top = T.el("ol", "mp-top");
      let shown = 0;
      for (const c of r.top) {
        const row = T.el("li", "mp-top-row");
        row.append(tokChip(c), bar("mp-top-track", "mp-top-bar", c.p), T.el("span", "mp-top-p", pct(c.p)));
        top.appendChild(row);
        shown += c.p;
      }
      li.appendChild(top);
      li.appendChild(detail("The " + T.int(r.n_vocab - r.top.length) + " other tokens share " + pct(1 - shown)
        + " (probabilities at temperature 1)."));
      list.appendChild(li);

      li = stage("Sampled token", "one id", "mp-sampled");
      li.appendChild(detail(tokChip(r.next), " id " + r.next.id + ", the model's choice number " + r.next.rank
        + ": " + pct(r.next.p_model) + " at temperature 1, "
        + (r.greedy ? "but temperature 0 is greedy and always takes the top token"
          : pct(r.next.p) + " at temperature " + r.params.temperature.toFixed(2) + ", drawn with seed " + r.params.seed)
        + "."));
      list.appendChild(li);

      li = stage("Append and repeat", "n_seq: " + r.n_seq + " → " + (r.n_seq + 1), "mp-append");
      li.appendChild(detail(r.params.step < MAX_STEP
        ? "Loop step " + (r.params.step + 1) + ": the token joins the sequence and the whole pass runs again on "
          + (r.n_seq + 1) + " tokens."
        : "That was the last of the 16 steps this widget runs; a real model keeps going until it draws an end token or reaches a length limit."));
      list.appendChild(li);

      frag.appendChild(list);
      out.replaceChildren(frag);
    },
  });
})();
