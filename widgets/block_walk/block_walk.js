/* Block walk: redraws the six steps of one block and the stream overview from compute's result (the build draws
   the pre-rendered figure with this code too). Bar lengths are compute's norms relative to the largest shown. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function tok(t, cls) {
    return T.token("tok bw-tok " + (cls || ""), t.segs);
  }

  function bar(width) {
    const box = T.el("span", "bw-bar");
    box.setAttribute("aria-hidden", "true");
    box.appendChild(T.el("span")).style.width = width;
    return box;
  }

  glassbox.widget("block_walk", {
    mount(el) {
      el.querySelector(".bw-controls").addEventListener("input", () => T.echo(el, ["layer", "position"]));
    },

    draw(el, result) {
      const pos = el.querySelector('[data-param="position"]');
      pos.max = String(result.position_max);
      pos.value = String(result.params.position);
      T.echo(el, ["layer", "position"]);
      const p = result.token.position;
      const frag = T.figure(result.note);
      const chips = T.chipGroup("bw-chips", "Prompt tokens; the chosen one is marked");
      result.tokens.forEach((t, i) => {
        const chip = tok(t, i === p ? "bw-chosen" : "bw-other");
        chip.classList.remove("bw-tok");
        chip.appendChild(T.el("span", "tok-id", i));
        chips.appendChild(chip);
      });
      frag.appendChild(chips);
      const where = T.el("p", "bw-where", result.where);
      where.append(tok(result.token, "bw-chosen"), ".");
      frag.appendChild(where);

      const steps = T.el("ol", "bw-steps");
      for (const s of result.steps) {
        const li = T.el("li", "bw-step bw-" + s.key);
        const head = T.el("div", "bw-step-head");
        head.append(T.el("span", "bw-name", s.name), " ", T.el("code", "bw-formula", s.formula));
        const row = T.el("div", "bw-normrow");
        row.append(T.el("span", "bw-normlabel", "norm of this token's vector"), bar(s.bar),
          T.el("span", "bw-num", s.norm_text));
        const detail = T.el("div", "bw-detail", s.detail);
        if (s.attends) {
          detail.append(s.attends.text);
          detail.append(tok(s.attends), s.attends.share);
        }
        detail.append(".");
        li.append(head, T.el("div", "bw-shape", s.shape.names + " = [" + s.shape.sizes.join(", ") + "]"), row, detail);
        steps.appendChild(li);
      }
      frag.appendChild(steps);

      frag.appendChild(T.el("h3", "bw-head", "The residual stream of token " + p + ", through the whole model"));
      const stream = T.list("ol", "bw-stream", "Norm of the token's vector after the embedding and after each sub-layer");
      for (const r of result.stream) {
        const li = T.el("li", "bw-srow" + (r.in_block ? " bw-in" : ""));
        li.append(T.el("span", "bw-slabel", r.label), bar(r.bar), T.el("span", "bw-num", r.norm_text),
          T.el("span", "bw-mark", r.mark));
        stream.appendChild(li);
      }
      frag.appendChild(stream);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
