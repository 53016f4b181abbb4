/* MoE parameters: redraws the summary, the memory and FLOPs bars (the MoE beside a dense model) and the table
   of every published configuration from compute's result (the build draws the pre-rendered figure with this
   code too). Every number and bar width comes from Python; this only places them. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const make = T.el;

  function bars(groups) {
    const box = make("div", "mp-bars");
    for (const g of groups) {
      const part = make("div", "mp-group");
      part.appendChild(make("h3", "mp-head", g.what));
      const list = T.list("ul", "mp-list", g.what);
      for (const item of g.items) {
        const li = make("li");
        li.append(make("span", "mp-name", item.name), T.bar("mp-track", item.width, "mp-bar" + (item.moe ? " mp-moe" : "")), make("span", "mp-num", item.text));
        list.appendChild(li);
      }
      part.appendChild(list);
      box.appendChild(part);
    }
    return box;
  }

  function table(result) {
    const scroll = make("div", "mp-scroll");
    scroll.setAttribute("role", "region");
    scroll.setAttribute("aria-label", "Published MoE configurations");
    scroll.tabIndex = 0;
    const t = make("table", "mp-table");
    const head = make("tr");
    for (const h of ["model", "experts per token", "total", "active", "active without the embedding", "published (total / active)", "memory", "FLOPs per token"]) {
      const th = make("th", null, h);
      th.scope = "col";
      head.appendChild(th);
    }
    t.appendChild(make("thead")).appendChild(head);
    const body = make("tbody");
    for (const r of result.rows) {
      const tr = make("tr", r.key === result.params.config ? "mp-chosen" : null);
      const th = make("th", null, r.name);
      th.scope = "row";
      tr.appendChild(th);
      for (const v of [r.experts_text, r.total_text, r.active_text, r.active_no_embedding_text, r.published_text, r.memory_text, r.flops_text]) {
        tr.appendChild(make("td", null, v));
      }
      body.appendChild(tr);
    }
    t.appendChild(body);
    scroll.appendChild(t);
    return scroll;
  }

  glassbox.widget("moe_params", {
    draw(el, result) {
      const frag = document.createDocumentFragment();
      frag.append(make("p", "mp-summary", result.summary), bars(result.bars),
        make("p", "mp-foot", result.dense_note),
        make("p", "mp-cap", "Counted from each config.json, next to the published figures:"), table(result),
        make("p", "mp-foot", result.moe.name + ": " + result.moe.notes + "."));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
