/* Logit lens: redraws the grid of per-depth predictions from compute's result (the build draws the pre-rendered
   figure with this code too). Cell shading is a 5-step bucket of the probability, which is also printed. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function tok(t) {
    return T.token("tok ll-tok", t.segs);
  }

  function th(scope, content) {
    const node = T.el("th");
    node.scope = scope;
    if (typeof content === "string") node.textContent = content; else node.appendChild(content);
    return node;
  }

  glassbox.widget("logit_lens", {
    draw(el, result) {
      const frag = T.figure(result.note);
      const final = T.el("p", "ll-final", result.model_name + "'s real prediction after the whole prompt (last position, output column): ");
      final.append(tok(result.final), result.final_text);
      frag.appendChild(final);

      const wid = el.querySelector('[data-param="prompt"]').id.replace(/-prompt$/, "");
      const cap = T.el("p", "ll-caption", "Each row is one position of the prompt; each column a depth. A cell "
        + "holds the token the model would predict next if the residual stream stopped there, and its probability. "
        + "✓ marks the token that actually comes next in the prompt. The last row follows the final prediction "
        + "through the depths: its probability and its rank among all tokens.");
      cap.id = wid + "-cap";
      frag.appendChild(cap);
      const table = T.el("table", "ll-grid");
      table.setAttribute("aria-labelledby", cap.id);
      const head = T.el("tr");
      head.appendChild(th("col", "token"));
      for (const d of result.depth_labels) head.appendChild(th("col", d));
      head.appendChild(th("col", "actually next"));
      table.appendChild(T.el("thead")).appendChild(head);
      const body = T.el("tbody");
      for (const r of result.rows) {
        const tr = T.el("tr");
        tr.appendChild(th("row", tok(r)));
        for (const c of r.cells) {
          const td = T.el("td", "ll-cell ll-p" + c.shade + (c.hit ? " ll-hit" : ""));
          td.append(tok(c), T.el("span", "ll-p", c.text));
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
      const track = T.el("tr");
      const name = th("row", tok(result.final));
      name.appendChild(T.el("span", "ll-p", "the output, at the last position"));
      track.appendChild(name);
      for (const t of result.track) {
        const td = T.el("td", null, t.percent);
        td.appendChild(T.el("span", "ll-p", t.rank_text));
        track.appendChild(td);
      }
      track.appendChild(T.el("td"));
      table.appendChild(T.el("tfoot")).append(foot, track);

      const scroll = T.region("ll-scroll", "Logit lens grid");
      scroll.appendChild(table);
      frag.appendChild(scroll);
      el.querySelector(".widget-output").replaceChildren(frag);
      // A real model's 31 depths do not fit: show the last layers, where its prediction forms.
      if (result.depths.length > 12) scroll.scrollLeft = scroll.scrollWidth;
    },
  });
})();
