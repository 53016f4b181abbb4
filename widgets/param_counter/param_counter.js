/* Parameter counter: redraws the table of parts from compute's result (the build draws the pre-rendered figure
   with this code too). Typing in a custom box switches the menu to "Custom" before the widget reads it. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  function th(text, scope) {
    const node = T.el("th", null, text);
    node.scope = scope;
    return node;
  }

  glassbox.widget("param_counter", {
    mount(el) {
      // Capture phase: runs before the runtime's own listener reads the controls.
      const pick = (event) => {
        const key = event.target.dataset && event.target.dataset.param;
        if (key && key !== "config") el.querySelector('[data-param="config"]').value = "custom";
      };
      el.addEventListener("input", pick, true);
      el.addEventListener("change", pick, true);
    },

    draw(el, result) {
      const frag = T.figure(result.note);
      const head = T.el("p", "pc-head");
      head.append(T.el("strong", null, result.name), ": ", T.el("strong", null, result.total_text), result.head_text);
      frag.appendChild(head);

      const table = T.el("table", "pc-table");
      const hr = T.el("tr");
      for (const h of result.columns) hr.appendChild(th(h, "col"));
      table.appendChild(T.el("thead")).appendChild(hr);
      const body = T.el("tbody");
      for (const part of result.parts) {
        const tr = T.el("tr");
        const share = T.el("td", "pc-share");
        const bar = T.el("span", "pc-bar");
        bar.setAttribute("aria-hidden", "true");
        bar.appendChild(T.el("span")).style.width = part.bar;
        share.append(bar, part.share_text);
        const name = th(part.label, "row");
        name.appendChild(T.el("span", "pc-formula", part.formula));
        tr.append(name, ...part.cells.slice(0, 2).map((c) => T.el("td", null, c)), share,
          ...part.cells.slice(2).map((c) => T.el("td", null, c)));
        body.appendChild(tr);
      }
      table.appendChild(body);
      const foot = T.el("tr");
      foot.appendChild(th("total", "row"));
      result.foot_cells.forEach((c, i) => {
        const td = T.el("td");
        td.appendChild(i === 1 ? T.el("strong", null, c) : document.createTextNode(c));
        foot.appendChild(td);
      });
      table.appendChild(T.el("tfoot")).appendChild(foot);
      const scroll = T.region("pc-scroll", "Parameters by part");
      scroll.appendChild(table);
      frag.appendChild(scroll);

      frag.appendChild(T.el("p", "pc-foot", result.foot_text));
      const source = T.el("p", "pc-source", "Source: " + result.source);
      result.links.forEach((l, i) => {
        source.append(i === 0 ? "; " : ", ");
        source.appendChild(T.el("span", "pc-link", l.url.replace("https://", "")));
      });
      source.append("." + (result.notes ? " Note: " + result.notes + "." : ""));
      frag.appendChild(source);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
