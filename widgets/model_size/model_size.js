/* Model size: redraws the two blocks of bars (published model, any size) from compute's result.
   The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function block(m, title, devices, result) {
    const box = T.el("div", "msz-block");
    box.appendChild(T.el("h3", "msz-title", title));
    const list = T.el("ul", "msz-rows");
    for (const r of m.rows) {
      const li = T.el("li", "msz-row");
      const track = T.el("span", "msz-track");
      track.setAttribute("aria-hidden", "true");
      for (const d of devices) {
        const line = T.el("span", "msz-dev");
        line.style.left = d.left;
        track.appendChild(line);
      }
      const bar = T.el("span", "msz-bar msz-" + r.format);
      bar.style.width = r.width;
      track.appendChild(bar);
      const num = T.el("span", "msz-num");
      num.append(T.el("strong", null, r.gb_text), r.fits_text);
      li.append(T.el("span", "msz-fmt", r.format), track, num);
      list.appendChild(li);
    }
    const scale = T.el("li", "msz-row msz-scale");
    scale.setAttribute("aria-hidden", "true");
    const ticks = T.el("span", "msz-ticks");
    for (const t of result.ticks) {
      const tick = T.el("span", "msz-tick", t.label);
      tick.style.left = t.left;
      ticks.appendChild(tick);
    }
    scale.append(T.el("span", "msz-fmt", "GB"), ticks);
    list.appendChild(scale);
    box.appendChild(list);
    return box;
  }

  glassbox.widget("model_size", {
    draw(el, result) {
      const b = el.querySelector('[data-param="billions"]');
      b.nextElementSibling.textContent = result.billions_text;
      const frag = document.createDocumentFragment();
      frag.appendChild(block(result.real, result.real.name + ": " + result.real.n_params_text + " parameters", result.devices, result));
      const source = T.el("p", "msz-source", "Shape from " + result.real.source);
      result.real.links.forEach((l, i) => {
        const a = T.el("a", null, l.label);
        a.href = l.url;
        source.append(i === 0 ? " (" : ", ", a);
      });
      source.append((result.real.links.length ? ")" : "") + ". int8 is " + result.bits_text.int8 + " and int4 "
        + result.bits_text.int4 + " bits a weight, scales included.");
      frag.appendChild(source);
      if (result.real.moe) {
        frag.appendChild(T.el("p", "msz-moe", result.real.moe.text));
      }
      frag.appendChild(block(result.any, result.any.name, result.devices, result));
      frag.appendChild(T.el("p", "msz-axis", "Bars on a log scale from 0.1 GB to 2 TB; thin lines mark the devices below. "
        + "Weights only: the KV cache and activations come on top, and a phone or laptop shares its memory with everything else."));
      const list = T.el("ul", "msz-devices");
      for (const d of result.devices) {
        const li = T.el("li");
        if (d.source) {
          const a = T.el("a", null, d.name);
          a.href = d.source;
          li.appendChild(a);
        } else {
          li.append(d.name);
        }
        li.append(": " + d.gb_text);
        list.appendChild(li);
      }
      frag.appendChild(list);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
