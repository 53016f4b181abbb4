/* Reward ranking: redraws the source line, the ranked answers, the Bradley-Terry table and the loss line from
   compute's result (the build draws the pre-rendered figure with this code too). Answer text goes in via
   textContent only. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const NAMES = ["a", "b", "c", "d"];

  // The sliders' readouts: the scores Python read, as it formatted them.
  function showValues(el, r) {
    for (const n of NAMES) {
      el.querySelector('[data-param="score_' + n + '"]').nextElementSibling.textContent = r.readouts["score_" + n];
    }
  }

  function th(text, scope) {
    const cell = T.el("th", null, text);
    cell.scope = scope;
    return cell;
  }

  function subbed(before, sub, after) {
    const frag = document.createDocumentFragment();
    frag.append(before, T.el("sub", null, sub), after);
    return frag;
  }

  function scroll(child) {
    const div = T.el("div", "rr-scroll");
    div.appendChild(child);
    return div;
  }

  function answersTable(r) {
    const t = T.el("table", "rr-answers");
    t.appendChild(T.el("caption", null, "The answers, ranked by score"));
    const head = T.el("tr");
    head.append(th("rank", "col"), th("answer", "col"), th("score", "col"));
    if (r.stand_in) head.appendChild(th("tokens", "col"));
    const thead = T.el("thead");
    thead.appendChild(head);
    const body = T.el("tbody");
    for (const a of r.ranked) {
      const tr = T.el("tr");
      const name = th("", "row");
      name.append(T.el("span", "rr-name", a.name), " ", T.el("span", "rr-answer", a.text));
      tr.append(T.el("td", null, a.rank), name, T.el("td", null, a.score_text));
      if (r.stand_in) tr.appendChild(T.el("td", null, a.n_tokens));
      body.appendChild(tr);
    }
    t.append(thead, body);
    return t;
  }

  function prefsTable(r) {
    const t = T.el("table", "rr-prefs");
    t.appendChild(T.el("caption", null, "P(row preferred to column)"));
    const head = T.el("tr");
    const corner = th("", "col");
    corner.appendChild(T.el("span", "rr-hidden", "row over column"));
    head.appendChild(corner);
    for (const a of r.answers) head.appendChild(th(a.name, "col"));
    const thead = T.el("thead");
    thead.appendChild(head);
    const body = T.el("tbody");
    r.pref_cells.forEach((row, i) => {
      const tr = T.el("tr");
      tr.appendChild(th(r.answers[i].name, "row"));
      row.forEach((cell) => tr.appendChild(T.el("td", cell.cls, cell.text)));
      body.appendChild(tr);
    });
    t.append(thead, body);
    return t;
  }

  glassbox.widget("reward_ranking", {
    draw(el, r) {
      showValues(el, r);
      const parts = [];
      const source = T.el("p", "rr-source");
      if (r.stand_in) {
        source.append(T.el("strong", null, "Not a reward model."), " Each score is the tiny model’s mean log-probability per "
          + "token of the answer after the prompt: how typical its words are of State of the Union addresses, not how good "
          + "the answer is. The sliders are not used.");
      } else {
        source.textContent = "Scores set with the sliders: toy numbers, standing in for what a trained reward model would output.";
      }
      parts.push(source);
      if (r.note) parts.push(T.el("p", "tok-note", r.note));
      parts.push(scroll(answersTable(r)));
      const ranking = T.el("p", "rr-ranking");
      ranking.append("Ranking: ", T.el("strong", null, r.ranking.join(" > ")));
      const bt = T.el("p", "rr-ranking");
      bt.append("Bradley-Terry: the probability that the row’s answer is preferred to the column’s is σ(score",
        T.el("sub", null, "row"), " − score", T.el("sub", null, "column"), ").");
      parts.push(ranking, bt, scroll(prefsTable(r)));
      const loss = T.el("p", "rr-loss");
      loss.append("If a labeller had ranked the answers in the order listed (A > B > C > D), the reward-model loss on those "
        + r.n_pairs + " pairs, mean −log σ(", subbed("score", "better", " − "), subbed("score", "worse", "),"),
        " would be ", T.el("strong", null, r.listed_loss_text),
        " nats (ln 2 = " + r.tie_loss_text + " when all scores are equal).");
      parts.push(loss);
      el.querySelector(".widget-output").replaceChildren(...parts);
    },
  });
})();
