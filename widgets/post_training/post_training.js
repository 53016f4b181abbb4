/* The post-training pipeline: the reader's conversation as each stage trains on it (pre-training, SFT,
   preference, RL), with the loss each computes. Python computed every number and sentence; this places
   them (the build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  // One token chip; under it, its loss when it has one (a target the model scored).
  function chip(c, cls) {
    const node = T.el("span", "tok " + cls);
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
    if (c.loss_text) node.appendChild(T.el("span", "tok-id", c.loss_text));
    return node;
  }

  function chipRow(label, tokens, clsOf) {
    const box = T.chipGroup("ptr-chips", label);
    for (const c of tokens) {
      box.appendChild(chip(c, clsOf(c)));
      if (c.nl) box.appendChild(T.el("span", "tok-br"));
    }
    return box;
  }

  // A stage: its number and name, what it trains on, the loss it uses, then its own parts.
  function stage(n, name, data, loss, parts) {
    const li = T.el("li", "ptr-stage");
    const head = T.el("p", "ptr-stage-head");
    head.append(T.el("strong", null, n + ". " + name), T.el("span", "ptr-what", " Trains on " + data + ". Loss: " + loss + "."));
    li.append(head, ...parts);
    return li;
  }

  function line(cls, ...content) {
    const p = T.el("p", "ptr-line" + (cls ? " " + cls : ""));
    p.append(...content);
    return p;
  }

  function pretraining(r, s) {
    return stage("1", "Pre-training", "plain text", "cross-entropy on every token", [
      chipRow("Pre-training text, each target with its loss in nats", s.tokens, (c) => (c.target ? "ptr-target" : "ptr-masked")),
      line(null, s.summary + " Mean loss: ", T.el("strong", null, s.loss_text), " nats."),
    ]);
  }

  function sftLegend() {
    const legend = T.list("ul", "ptr-legend", "Kinds of token");
    legend.append(T.el("li", "tok ptr-target", "target: trained to write"), T.el("li", "tok ptr-masked", "masked: read only"),
      T.el("li", "tok ptr-masked ptr-control", "control token"));
    return legend;
  }

  function sft(r, s) {
    const parts = [
      sftLegend(),
      chipRow("The conversation in SmolLM2's chat template, targets and masked tokens", s.tokens,
        (c) => (c.target ? "ptr-target" : "ptr-masked") + (c.kind === "control" ? " ptr-control" : "")),
      line(null, s.counts_text),
    ];
    if (r.tiny) {
      parts.push(line(null, "The tiny model reads the same text as " + s.model_n_tokens + " of its own tokens; its "
        + s.model_n_targets + " targets, with their losses:"),
      chipRow("The tiny model's target tokens with their losses", s.model_targets, () => "ptr-target"));
    }
    parts.push(line(null, "SFT loss, the mean over the targets only: ", T.el("strong", null, s.loss_text),
      " nats (over every token, as pre-training would count it: " + s.all_loss_text + ")."));
    return stage("2", "Supervised fine-tuning (SFT)", "conversations in the chat template",
      "cross-entropy on the answer's tokens only", parts);
  }

  function preference(r, s) {
    const rows = [["good answer", s.chosen], ["worse answer", s.rejected]].map(([name, side]) =>
      T.headedRow(name, [String(side.n_tokens), side.logp_text, side.per_token_text]));
    const table = T.table("ptr-table", ["answer", "tokens", "log π(answer | question)", "per token"], rows);
    return stage("3", "Preference tuning (DPO)", "pairs of answers to one question, one preferred",
      "DPO's −log σ(margin)", [
        T.scroller("ptr-scroll", "Log-probabilities of the two answers", table),
        line(null, s.prefers_text),
        line(null, "At DPO's first step the policy is a copy of its reference, so both implicit rewards are 0 (β = "
          + s.beta_text + "): margin " + s.margin_text + ", loss ", T.el("strong", null, s.loss_text),
        " nats (ln 2), gradient weight " + s.grad_weight_text + ". The step raises the good answer's log-probability and lowers the worse one's."),
      ]);
  }

  function rl(r, s) {
    const rows = s.rows.map((row) => {
      const answer = T.chipGroup("ptr-chips", "Answer " + row.name + ", sampled", "span");
      row.tokens.forEach((c) => answer.appendChild(chip(c, "tok-c" + c.colour)));
      return T.headedRow(row.name, [answer, ...row.cells]);
    });
    const table = T.table("ptr-table ptr-group", ["answer", "sampled tokens", "reward", "advantage", "push per token"], rows);
    return stage("4", "Reinforcement learning (GRPO)", "answers the model samples itself, scored by a check",
      "GRPO's objective, each answer weighted by its advantage", [
        line(null, s.length_text),
        T.scroller("ptr-scroll", "The sampled answers, their rewards and advantages", table),
        line(null, s.check),
        line(null, "Objective J = " + s.objective_text + " at the first step (the advantages average to 0); each token of an answer is pushed by its advantage over the group size and the answer's length, up when the answer beat the group's mean, down when it fell short."),
      ]);
  }

  glassbox.widget("post_training", {
    stuckAfterMs: 120000, // SmolLM2, 8 answers: ~290 passes of one position at 88-120 ms (benchmarks/RESULTS.md)
    draw(el, r) {
      T.showReadouts(el, { group: String(r.params.group) });
      const out = T.figure(r.note);
      out.appendChild(T.el("p", "ptr-source", r.source));
      const stages = T.list("ol", "ptr-stages", "The four stages");
      stages.append(pretraining(r, r.pretraining), sft(r, r.sft), preference(r, r.preference), rl(r, r.rl));
      out.appendChild(stages);
      el.querySelector(".widget-output").replaceChildren(out);
    },
  });
})();
