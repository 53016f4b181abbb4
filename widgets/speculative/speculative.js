/* Speculative decoding: the prompt, then one row per round (the drafted tokens, kept, rejected or never
   checked, each with the two models' probabilities; then the token the target's pass added), the text made,
   the greedy check at temperature 0 and the counted rates and speed-up. Every number and sentence comes from
   compute's result; this only places them (the build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const make = T.el;

  const STATUS = { accepted: "kept", rejected: "rejected", unchecked: "not checked" };
  const KIND = { replacement: "replacement", bonus: "bonus", plain: "target" };

  function tokenBox(c, cls, tag, detail) {
    const box = make("span", "spd-draft " + cls);
    const chip = T.token("tok spd-tok", c.segs);
    box.append(chip, make("span", "spd-tag", tag));
    if (detail) box.appendChild(make("span", "spd-pq", detail));
    return box;
  }

  function roundRow(r) {
    const li = make("li", "spd-round");
    const head = make("p", "spd-round-head");
    head.append(make("strong", null, "Round " + r.round + ": "), r.summary);
    const row = make("div", "spd-row");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", "Round " + r.round + ": " + r.summary);
    for (const d of r.drafted) row.appendChild(tokenBox(d, "spd-" + d.status, STATUS[d.status], d.status === "unchecked" ? null : d.label));
    row.appendChild(make("span", "spd-arrow", "→"));
    row.appendChild(tokenBox(r.added, "spd-added spd-" + r.kind, KIND[r.kind], null));
    li.append(head, row);
    return li;
  }

  function text(r) {
    const box = make("div", "tok-chips spd-text");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "The prompt and the text made, coloured by round");
    if (r.more_prompt) box.appendChild(make("span", "spd-more", "…"));
    for (const c of r.prompt_tokens) box.appendChild(T.token("tok spd-prompt-tok", c.segs));
    for (const c of r.tokens) {
      box.appendChild(T.token("tok tok-c" + c.colour + " tok-new", c.segs));
      if (c.nl) box.appendChild(make("span", "tok-br"));
    }
    return box;
  }

  glassbox.widget("speculative", {
    draw(el, r) {
      T.showReadouts(el, r.shown);
      const out = [];
      if (r.note) out.push(make("p", "tok-note", r.note));
      out.push(make("p", "spd-head", "The text, each round's tokens in one colour"), text(r));
      if (r.greedy) out.push(make("p", "spd-greedy" + (r.greedy.identical ? "" : " spd-differs"), r.greedy.text));
      const list = T.region("spd-rounds", "Every round: drafted tokens and what the target did with them");
      const ol = make("ol", "spd-list");
      for (const round of r.rounds) ol.appendChild(roundRow(round));
      list.appendChild(ol);
      out.push(make("p", "spd-head", "Round by round (p: the tiny model's probability, q: the draft's)"), list);
      for (const key of ["rate", "per_pass", "speedup"]) out.push(make("p", "spd-line", r.text[key]));
      el.querySelector(".widget-output").replaceChildren(...out);
    },
  });
})();
