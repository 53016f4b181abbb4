/* Diagnose: redraws the scenario, the lenses, the verdict and (for decoding scenarios) the tiny model's
   generations from compute's result. The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function run(r) {
    const frag = document.createDocumentFragment();
    frag.appendChild(T.el("p", "dg-run-head", r.head + ": " + r.n_repeated + " of " + r.n_tokens + " tokens repeat a phrase."));
    const box = T.chipGroup("dg-chips", "Generated tokens");
    for (const c of r.tokens) {
      const chip = T.el("span", "tok" + (c.repeat ? " dg-rep" : ""));
      chip.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
      box.appendChild(chip);
    }
    frag.appendChild(box);
    return frag;
  }

  function demo(d) {
    const box = T.el("div", "dg-demo");
    const head = T.el("p", "dg-demo-head", "On the tiny model: the prompt “" + d.prompt + "”, continued "
      + (d.kind === "repeat" ? "greedily and then sampled" : "with three seeds") + ". ");
    head.append(T.el("span", "dg-rep-key", "Underlined"), " tokens end a " + d.ngram + "-token phrase that already appeared.");
    box.appendChild(head);
    for (const r of d.runs) box.appendChild(run(r));
    return box;
  }

  glassbox.widget("diagnose", {
    draw(el, r) {
      const out = [T.el("p", "dg-scenario", r.scenario.text)];
      const list = T.el("ul", "dg-lenses");
      for (const l of r.lenses) list.appendChild(T.el("li", l.key === r.params.lens ? "dg-picked" : null, l.text));
      const verdict = T.el("p", "dg-verdict" + (r.answered ? (r.correct ? " dg-right" : " dg-wrong") : ""));
      verdict.appendChild(T.el("strong", null, r.verdict));
      const why = T.el("details", "dg-why");
      why.open = r.answered;
      why.append(T.el("summary", null, "Why" + (r.answered ? "" : " (the answer)")), T.el("p", null, r.why));
      out.push(list, verdict, why);
      if (r.demo) out.push(demo(r.demo));
      el.querySelector(".widget-output").replaceChildren(...out);
    },
  });
})();
