/* Checkpoint samples: redraws the snapshot's header, the prompt and sampled tokens, and the loss on the
   prompt at every checkpoint from compute's result (the build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  // The sliders' readouts, from Python's result: the checkpoint slider moves an index and shows that step.
  function showValues(el, r) {
    for (const key of ["n_tokens", "temperature"]) {
      el.querySelector('[data-param="' + key + '"]').nextElementSibling.textContent = r.readouts[key];
    }
    const ckpt = el.querySelector('[data-param="checkpoint"]');
    ckpt.nextElementSibling.textContent = r.readouts.checkpoint;
    ckpt.setAttribute("aria-valuetext", r.readouts.checkpoint_aria);
  }

  function appendToken(parent, c, cls) {
    const node = T.el("span", cls);
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
    parent.appendChild(node);
    if (c.nl) parent.appendChild(T.el("span", "tok-br"));
    return node;
  }

  function losses(r) {
    const ol = T.el("ol", "cs-losses");
    for (const row of r.losses) {
      const li = T.el("li", "cs-row" + (row.selected ? " cs-row-on" : ""));
      const track = T.el("span", "cs-track");
      const bar = T.el("span", "cs-bar");
      bar.style.width = row.width;
      track.appendChild(bar);
      li.append(T.el("span", "cs-step", row.step_text), track, T.el("span", "cs-num", row.text));
      ol.appendChild(li);
    }
    return ol;
  }

  glassbox.widget("checkpoint_samples", {
    draw(el, r) {
      showValues(el, r);
      const k = r.checkpoint;
      const frag = document.createDocumentFragment();
      const head = T.el("p", "cs-head");
      head.append("Step ", T.el("strong", null, k.step_text), " of " + r.last_step_text + " (" + k.tokens_text
        + " tokens seen; weights stored as " + k.format + (k.final ? ", the finished model" : "")
        + "). Validation loss when saved: ", T.el("strong", null, k.val_loss_text), " nats.");
      frag.appendChild(head);
      if (r.note) frag.appendChild(T.el("p", "tok-note", r.note));

      const text = T.chipGroup("cs-text", "Prompt and the tokens sampled at step " + k.step);
      if (r.more_prompt) text.appendChild(T.el("span", "cs-more", "…"));
      for (const c of r.prompt_tokens) appendToken(text, c, "tok cs-prompt-tok");
      r.tokens.forEach((c, i) => {
        const chip = T.appendChip(text, c, i);  // coloured by position: "tok tok-cN tok-new"
        chip.classList.add("cs-new");
        chip.title = c.title;
      });
      frag.appendChild(text);

      const n = r.tokens.length;
      frag.appendChild(T.el("p", "cs-sub", "Dashed: your prompt. Bold borders: the " + n + " token" + (n === 1 ? "" : "s")
        + " this checkpoint " + (r.greedy ? "picked greedily (temperature 0)" : "sampled with seed " + r.params.seed) + "."));
      if (r.losses.length) {
        const sub = T.el("p", "cs-sub");
        sub.append(T.el("strong", null, "Loss on your prompt"), " (" + r.n_scored + " prediction" + (r.n_scored === 1 ? "" : "s")
          + ": each prompt token from the second on, predicted from the ones before it), at every checkpoint:");
        frag.append(sub, losses(r));
      }
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
