/* GRPO advantages: one row per answer (reward, a diverging bar for its advantage, what happens to it) and the
   table of the objective's terms. Every number and bar position comes from compute's result; this only places
   them (the build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";

  const T = window.glassboxTokens;
  const make = T.el;

  function bars(r) {
    const list = T.list("ol", "grpo-bars", "Each answer’s advantage: bars right of the middle are pushed up, left pushed down");
    for (const row of r.rows) {
      const li = make("li", "grpo-row");
      const track = make("span", "grpo-track");
      const fill = make("span", "grpo-fill grpo-" + row.bar.side);
      fill.style.left = row.bar.left;
      fill.style.width = row.bar.width;
      track.append(make("span", "grpo-mid"), fill);
      li.append(make("span", "grpo-name", row.name), make("span", "grpo-reward", "r = " + row.cells[0]), track,
        make("span", "grpo-adv", "A = " + row.cells[1]), make("span", "grpo-verdict", row.verdict));
      list.appendChild(li);
    }
    return list;
  }

  function table(r) {
    const wrap = T.region("grpo-scroll", "The objective’s terms (scrolls sideways)");
    const t = make("table", "grpo-table");
    t.appendChild(make("caption", null, "The objective’s terms, per token of each answer"));
    const body = make("tbody");
    for (const row of r.rows) body.appendChild(T.headedRow(row.name, row.cells, row.clipped ? "grpo-clipped" : null));
    t.append(T.thead(["Answer", "Reward", "Advantage", "Ratio ρ", "Clipped term", "KL", "Push"]), body);
    wrap.appendChild(t);
    return wrap;
  }

  glassbox.widget("grpo_advantages", {
    draw(el, result) {
      T.showReadouts(el, result.readouts);
      const summary = make("p", "grpo-summary" + (result.all_equal ? " grpo-none" : ""), result.summary);
      const step = make("p", "grpo-step", result.step_text);
      const objective = make("p", "grpo-objective");
      objective.append("Objective J for the group (to maximise): ", make("strong", null, result.objective_text),
        "; tokens clipped: " + result.n_clipped + ".");
      el.querySelector(".widget-output").replaceChildren(summary, bars(result), step, table(result), objective);
    },
  });
})();
