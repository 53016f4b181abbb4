/* GRPO advantages: one row per answer (reward, a diverging bar for its advantage, what happens to it) and the
   table of the objective's terms. Every number and bar position comes from compute's result; this only places
   them (the build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";

  const make = window.glassboxTokens.el;

  function bars(r) {
    const list = make("ol", "grpo-bars");
    list.setAttribute("aria-label", "Each answer’s advantage: bars right of the middle are pushed up, left pushed down");
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
    const wrap = make("div", "grpo-scroll");
    wrap.tabIndex = 0;  // it scrolls sideways on a phone: reachable by keyboard
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", "The objective’s terms (scrolls sideways)");
    const t = make("table", "grpo-table");
    t.appendChild(make("caption", null, "The objective’s terms, per token of each answer"));
    const head = make("tr");
    for (const c of ["Answer", "Reward", "Advantage", "Ratio ρ", "Clipped term", "KL", "Push"]) {
      const th = make("th", null, c);
      th.scope = "col";
      head.appendChild(th);
    }
    const thead = make("thead");
    thead.appendChild(head);
    const body = make("tbody");
    for (const row of r.rows) {
      const tr = make("tr", row.clipped ? "grpo-clipped" : null);
      const th = make("th", null, row.name);
      th.scope = "row";
      tr.appendChild(th);
      for (const cell of row.cells) tr.appendChild(make("td", null, cell));
      body.appendChild(tr);
    }
    t.append(thead, body);
    wrap.appendChild(t);
    return wrap;
  }

  glassbox.widget("grpo_advantages", {
    draw(el, result) {
      for (const [key, text] of Object.entries(result.readouts)) {
        el.querySelector('[data-param="' + key + '"]').nextElementSibling.textContent = text;
      }
      const summary = make("p", "grpo-summary" + (result.all_equal ? " grpo-none" : ""), result.summary);
      const step = make("p", "grpo-step", result.step_text);
      const objective = make("p", "grpo-objective");
      objective.append("Objective J for the group (to maximise): ", make("strong", null, result.objective_text),
        "; tokens clipped: " + result.n_clipped + ".");
      el.querySelector(".widget-output").replaceChildren(summary, bars(result), step, table(result), objective);
    },
  });
})();
