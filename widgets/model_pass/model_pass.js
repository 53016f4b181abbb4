/* Model pass: redraws the pipeline (text, tokens, vectors, blocks, logits, sampled token, append) from compute's
   result. The build draws the pre-rendered figure with this code too; "Next step" and "Reset" buttons, added here,
   move the loop forward one token or back to the bare prompt. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function tokChip(c) {
    return T.token("tok mp-tok", c.segs);
  }

  function bar(trackCls, barCls, width) {
    const track = T.el("span", trackCls);
    const fill = T.el("span", barCls);
    fill.style.width = width;
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
    mount(el) {
      // The buttons move the step slider (within its min and max) and let the runtime read it.
      const step = el.querySelector('[data-param="step"]');
      const go = (move) => {
        move();
        step.dispatchEvent(new Event("input", { bubbles: true }));
      };
      const next = T.el("button", "mp-button", "Next step");
      next.type = "button";
      next.title = "Append the sampled token and run the model again";
      next.addEventListener("click", () => go(() => step.stepUp()));
      const reset = T.el("button", "mp-button", "Reset");
      reset.type = "button";
      reset.title = "Back to the prompt alone";
      reset.addEventListener("click", () => go(() => { step.value = step.min; }));
      el.querySelector(".mp-buttons").append(next, reset);
    },

    draw(el, r) {
      T.showReadouts(el, r.shown);
      const out = el.querySelector(".widget-output");
      const frag = T.figure(r.note);
      const list = T.el("ol", "mp-pipeline");

      let li = stage("Text", "a string");
      const text = T.el("p", "mp-text");
      if (r.prompt_cut) text.appendChild(document.createTextNode("…"));
      text.append(T.el("span", "mp-prompt-text", r.prompt_tail), T.el("mark", "mp-new-text", r.generated));
      li.appendChild(text);
      list.appendChild(li);

      li = stage("Tokens", "[n_seq] = [" + r.n_seq + "] ids");
      const chips = T.chipGroup("mp-chips", "Token ids the model reads");
      if (r.n_hidden > 0) chips.appendChild(T.el("span", "mp-more", "…"));
      r.tokens.forEach((c) => T.appendChip(chips, c, c.pos, true));
      li.appendChild(chips);
      li.appendChild(detail(r.n_prompt_tokens + " from the prompt"
        + (r.n_appended > 0 ? ", " + r.n_appended + " appended by the loop (bold borders)" : "")
        + "." + (r.n_hidden > 0 ? " Showing the last " + r.tokens.length + "." : "")));
      list.appendChild(li);

      li = stage("Vectors", "[n_seq, d_model] = [" + r.n_seq + ", " + r.d_model + "]");
      li.appendChild(detail("Each id picks its row of the embedding table. The last token's vector starts"));
      li.appendChild(T.el("p", "mp-vector", "[" + r.vector_text.map((x) => x + ", ").join("")
        + "… " + r.n_vector_more + " more]"));
      li.appendChild(detail("Its length (norm): ", T.el("strong", null, r.vector_norm_text), "."));
      list.appendChild(li);

      r.blocks.forEach((b) => {
        const block = stage(b.label, "[n_seq, d_model] → [n_seq, d_model]", "mp-block");
        const row = T.el("div", "mp-block-row");
        const lens = T.el("span", "mp-lens", "reads as ");
        lens.append(tokChip(b.lens), " " + b.lens.p_text);
        row.append(T.el("span", "mp-norm-label", "norm " + b.norm_text),
          bar("mp-norm-track", "mp-norm-bar", b.bar), lens);
        block.appendChild(row);
        list.appendChild(block);
      });

      li = stage("Logits", "[n_seq, n_vocab] = [" + r.n_seq + ", " + r.n_vocab + "]; last row → softmax");
      li.appendChild(detail("The final RMSNorm, then the unembedding (the embedding table, reused): one score per vocabulary token."));
      const top = T.el("ol", "mp-top");
      for (const c of r.top) {
        const row = T.el("li", "mp-top-row");
        row.append(tokChip(c), bar("mp-top-track", "mp-top-bar", c.bar), T.el("span", "mp-top-p", c.p_text));
        top.appendChild(row);
      }
      li.appendChild(top);
      li.appendChild(detail("The " + r.n_other_text + " other tokens share " + r.other_p_text
        + " (probabilities at temperature 1)."));
      list.appendChild(li);

      li = stage("Sampled token", "one id", "mp-sampled");
      li.appendChild(detail(tokChip(r.next), " id " + r.next.id + ", the model's choice number " + r.next.rank
        + ": " + r.next.p_model_text + " at temperature 1, "
        + (r.greedy ? "but temperature 0 is greedy and always takes the top token"
          : r.next.p_text + " at temperature " + r.shown.temperature + ", drawn with seed " + r.params.seed)
        + "."));
      list.appendChild(li);

      li = stage("Append and repeat", "n_seq: " + r.n_seq + " → " + r.n_seq_next, "mp-append");
      li.appendChild(detail(!r.last_step
        ? "Loop step " + r.loop_step + ": the token joins the sequence and the whole pass runs again on "
          + r.n_seq_next + " tokens."
        : "That was the last of the 16 steps this widget runs; a real model keeps going until it draws an end token or reaches a length limit."));
      list.appendChild(li);

      frag.appendChild(list);
      out.replaceChildren(frag);
    },
  });
})();
