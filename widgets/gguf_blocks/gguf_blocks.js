/* GGUF blocks: redraws the block's bytes, its decoded codes and the table of formats from compute's result. The
   build draws the pre-rendered figure with this code too; every number arrives computed and formatted by Python. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const el = T.el;

  // The byte's hex with the nibble (or the whole byte) this weight comes from in bold.
  function hexByte(e) {
    const code = el("code");
    if (e.nibble === "low") code.append(e.hex[0], el("b", null, e.hex[1]));
    else if (e.nibble === "high") code.append(el("b", null, e.hex[0]), e.hex[1]);
    else code.append(el("b", null, e.hex));
    return code;
  }

  function scroll(label, child) {
    const box = T.region("ggb-scroll", label);
    box.appendChild(child);
    return box;
  }

  function bytesStrip(b) {
    const strip = el("div", "ggb-bytes");
    strip.setAttribute("role", "group");
    strip.setAttribute("aria-label", "The block’s " + b.hex.length + " bytes, in file order");
    for (const f of b.fields) {
      const field = el("div", "ggb-field ggb-field-" + f.name);
      const hexes = el("div", "ggb-hexes");
      for (const h of f.bytes) hexes.appendChild(el("code", "ggb-byte", h));
      const name = el("div", "ggb-fname");
      name.append(el("b", null, f.name), ": " + f.what);
      field.append(hexes, name);
      strip.appendChild(field);
    }
    return strip;
  }

  function scales(b) {
    const list = el("ul", "ggb-scales");
    for (const f of b.fields) {
      if (!f.word) continue;
      const li = el("li");
      li.append(el("b", null, f.name), ": bytes ", el("code", null, f.bytes.join(" ")), ", read little-endian: ",
        el("code", null, f.word), " = ", el("code", null, f.bits), " (sign, exponent, mantissa) = " + f.sign + "2",
        el("sup", null, f.power), " × " + (f.normal ? "(1 + " + f.mantissa + "/1024)" : f.mantissa + "/1024") + " = ",
        el("strong", null, f.text));
      list.appendChild(li);
    }
    return list;
  }

  function codes(b, half) {
    const table = el("table", "ggb-codes");
    table.appendChild(T.thead(["j", "byte", "hex", "q", "w = " + b.formula]));
    const body = el("tbody");
    for (const e of half) {
      const tr = el("tr", e.edge ? "ggb-edge" : null);
      const hex = el("td");
      hex.appendChild(hexByte(e));
      tr.append(el("td", null, String(e.j)), el("td", null, String(e.byte)), hex, el("td", null, e.q_text),
        el("td", null, e.text));
      body.appendChild(tr);
    }
    table.appendChild(body);
    return scroll("Weights " + half[0].j + " to " + half.at(-1).j + " of the block", table);
  }

  function formats(result) {
    const table = el("table", "ggb-formats");
    table.appendChild(T.thead(["Format", "Bits a weight", "Whole model", "RMS error", "Largest error"]));
    const body = el("tbody");
    for (const f of result.formats) {
      const tr = el("tr", f.stored ? "ggb-stored" : null);
      const th = el("th", null, f.name + (f.stored ? " (stored)" : ""));
      th.scope = "row";
      tr.append(th, el("td", null, f.bits), el("td", null, f.model), el("td", null, f.rms_text),
        el("td", null, f.max_text));
      body.appendChild(tr);
    }
    table.appendChild(body);
    return scroll("Every format against the weights the model runs", table);
  }

  glassbox.widget("gguf_blocks", {
    draw(root, result) {
      const p = result.params, t = result.tensor, b = result.block;
      // The boxes' ranges follow the tensor and the model.
      for (const [key, max] of Object.entries(result.limits)) root.querySelector('[data-param="' + key + '"]').max = String(max);
      const frag = document.createDocumentFragment();
      const head = el("p", "ggb-head");
      head.append(el("code", null, t.name), ", the " + t.label + " of " + result.model_name + ": " + t.type + ", "
        + t.n_rows + " rows of " + t.n_cols + " weights, " + t.blocks_per_row + " blocks a row, " + t.block_bytes
        + " bytes a block (" + t.n_bytes + " bytes in all).");
      const where = el("p", "ggb-where", "Row " + p.row + ", block " + p.block + ": weights " + b.first + "–" + b.last
        + " of the row, bytes " + b.offset + "–" + b.end + " of the tensor"
        + (b.file_offset ? " (from byte " + b.file_offset + " of the file)" : "") + ".");
      frag.append(head, where);
      frag.append(bytesStrip(b), scales(b));
      const rule = el("p", "ggb-rule");
      rule.append("Each code q becomes a weight: ", el("strong", null, "w = " + b.formula), ".");
      if (b.nibbles) {
        rule.append(" Byte j of the codes holds weight j in its low 4 bits and weight j + 16 in its high 4 bits (in bold).");
      } else {
        rule.append(" Each code is one byte, a signed integer (two’s complement: ", el("code", null, "ff"), " is −1).");
      }
      frag.appendChild(rule);
      const halves = el("div", "ggb-halves");
      halves.append(codes(b, b.elements.slice(0, 16)), codes(b, b.elements.slice(16)));
      frag.append(halves, el("p", "ggb-legend", "j = 0–15 are the row’s weights " + b.halves[0] + ", j = 16–31 its weights "
        + b.halves[1] + ". " + b.edges));
      frag.append(el("p", "ggb-measured", result.requantized), formats(result), el("p", "ggb-note", result.note + " " + result.stored
        + " “Whole model” puts every matrix in that format and keeps the norms in F32."));
      root.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();
