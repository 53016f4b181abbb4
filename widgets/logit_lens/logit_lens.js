/* Logit lens: redraws the grid of per-depth predictions from compute's result (same markup as
   logit_lens.html). Cell shading is a 5-step bucket of the probability, which is also printed. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function tok(t) {
    const node = T.el("span", "tok ll-tok");
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), t.segs));
    return node;
  }
  function th(scope, content) {
    const node = T.el("th");
    node.scope = scope;
    if (typeof content === "string") node.textContent = content; else node.appendChild(content);
    return node;
  }

  glassbox.widget("logit_lens", {
    read(el) {
      return { prompt: el.querySelector('[data-param="prompt"]').value };
    },

    draw(el, result) {
      const frag = document.createDocumentFragment();
      if (result.note) frag.appendChild(T.el("p", "tok-note", result.note));
      const final = T.el("p", "ll-final", "The model's real prediction after the whole prompt (bottom right): ");
      final.append(tok(result.final), " at " + (100 * result.final.p).toFixed(1) + "%.");
      frag.appendChild(final);

      const wid = el.querySelector('[data-param="prompt"]').id.replace(/-prompt$/, "");
      const cap = T.el("p", "ll-caption", "Each row is one position of the prompt; each column a depth. A cell "
        + "holds the token the model would predict next if the residual stream stopped there, and its probability. "
        + "✓ marks the token that actually comes next in the prompt.");
      cap.id = wid + "-cap";
      frag.appendChild(cap);
      const table = T.el("table", "ll-grid");
      table.setAttribute("aria-labelledby", cap.id);
      const head = T.el("tr");
      head.appendChild(th("col", "token"));
      result.depths.forEach((d, i) => head.appendChild(th("col", d + (i === result.depths.length - 1 ? " (output)" : ""))));
      head.appendChild(th("col", "actually next"));
      table.appendChild(T.el("thead")).appendChild(head);
      const body = T.el("tbody");
      for (const r of result.rows) {
        const tr = T.el("tr");
        tr.appendChild(th("row", tok(r)));
        for (const c of r.cells) {
          const td = T.el("td", "ll-cell ll-p" + Math.min(Math.floor(c.p * 5), 4) + (c.hit ? " ll-hit" : ""));
          td.append(tok(c), T.el("span", "ll-p", (100 * c.p).toFixed(0) + "%" + (c.hit ? " ✓" : "")));
          tr.appendChild(td);
        }
        const next = T.el("td", "ll-next");
        if (r.next) next.appendChild(tok(r.next)); else next.textContent = "?";
        tr.appendChild(next);
        body.appendChild(tr);
      }
      table.appendChild(body);
      const foot = T.el("tr");
      foot.appendChild(th("row", "right guesses"));
      for (const h of result.hits) foot.appendChild(T.el("td", null, h + " of " + result.n_scored));
      foot.appendChild(T.el("td"));
      table.appendChild(T.el("tfoot")).appendChild(foot);

      const scroll = T.el("div", "ll-scroll");
      scroll.tabIndex = 0;
      scroll.setAttribute("role", "region");
      scroll.setAttribute("aria-label", "Logit lens grid");
      scroll.appendChild(table);
      frag.appendChild(scroll);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
