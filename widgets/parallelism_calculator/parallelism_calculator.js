/* Parallelism calculator: redraws the layout line, the busiest GPU's memory as a stacked bar against the GPU's
   memory, the communication table and the run's cost from compute's result (the build draws the pre-rendered
   figure with this code too). Every number, width and marker place comes from Python. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const make = T.el;

  function p(cls, ...parts) {
    const node = make("p", cls);
    node.append(...parts);
    return node;
  }

  function bar(r) {
    const m = r.memory;
    const box = make("div", "pc-bar-box");
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", r.aria_label);
    const track = make("div", "pc-track");
    for (const s of m.segments) {
      const seg = make("span", "pc-seg pc-" + s.key);
      seg.style.width = s.width;
      track.appendChild(seg);
    }
    const line = make("span", "pc-capacity");
    line.style.left = m.capacity_at;
    track.appendChild(line);
    box.appendChild(track);
    const legend = make("ul", "pc-legend");
    legend.setAttribute("aria-hidden", "true");
    for (const s of m.segments) {
      const li = make("li");
      li.append(make("span", "pc-key pc-" + s.key), s.label + " " + s.text);
      legend.appendChild(li);
    }
    const cap = make("li");
    cap.append(make("span", "pc-key pc-key-capacity"), "GPU memory " + m.capacity_text);
    legend.appendChild(cap);
    box.appendChild(legend);
    return box;
  }

  function comm(r) {
    const box = T.region("pc-scroll", "Communication per step");
    const t = make("table", "pc-table");
    const cap = make("caption", null, "What each GPU sends per optimizer step, and how long its link takes");
    const body = make("tbody");
    for (const c of r.comm) body.appendChild(T.headedRow(c.label, [c.bytes_text, c.link, c.seconds_text]));
    body.appendChild(T.headedRow("compute at the MFU", ["", "", r.compute_text]));
    t.append(cap, T.thead(["", "bytes sent", "link", "time"]), body);
    box.appendChild(t);
    return box;
  }

  function run(r) {
    const u = r.run;
    const flops = make("span");
    flops.append(u.flops_text.mantissa + " × 10", make("sup", null, u.flops_text.exponent));
    return T.statsTable("pc-run", [
      ["training tokens", u.tokens_text],
      ["compute (6 N D)", flops],
      ["GPU-hours", u.gpu_hours_text],
      ["wall-clock on " + r.n_gpus_text, u.days_text],
      ["cost", u.cost_text],
      ["Chinchilla fit’s loss", u.loss_text + " nats"],
    ]);
  }

  glassbox.widget("parallelism_calculator", {
    draw(el, r) {
      T.showReadouts(el, r.readouts);
      const out = el.querySelector(".widget-output");
      const frag = document.createDocumentFragment();
      frag.appendChild(p("pc-layout", r.layout_text));
      for (const n of r.notes) frag.appendChild(p("pc-note", n));
      frag.appendChild(p("pc-verdict " + (r.memory.fits ? "pc-fits" : "pc-over"), make("strong", null, r.verdict_text)));
      frag.appendChild(bar(r));
      frag.appendChild(p("pc-small", r.params_per_gpu_text));
      frag.appendChild(comm(r));
      if (r.bubble_text) frag.appendChild(p("pc-small", r.bubble_sentence));
      frag.appendChild(run(r));
      const ref = make("a", null, "model card");
      ref.href = r.reference_url;
      frag.appendChild(p("pc-small", r.reference_text + " (", ref, ")."));
      out.replaceChildren(frag);
    },
  });
})();
