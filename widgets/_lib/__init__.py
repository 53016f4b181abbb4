"""widgetlib: what Glassbox's widgets share, shipped with llm_core to every page's worker and imported
the same way at build time (`from widgetlib.fmt import percent`).

llm_core computes; a widget's compute() turns llm_core's numbers into what its figure shows; its JS
only places that. This package holds the parts of the middle step that widgets repeat:

- `fmt`: numbers as a reader reads them (true minus signs, thousands separators, percentages that
  never print a tiny probability as 0.0%, counts as 1.7M, powers of ten), so every figure writes a
  number the same way.
- `prompt`: a reader's text as the ids a model reads, with sentences saying what was cut or replaced.
- `model`: the tiny model, loaded once for every widget; its files (for DATA); tokens as chips.
- `sampling`: the sampling controls (temperature, top-k, top-p, min-p, seed) with one set of ranges.
- `plot`: a chart's plot box and bars, as SVG coordinates a view places.
- `labels`: word labels beside a scatter plot's dots, none overlapping (embedding_map's map).
"""
