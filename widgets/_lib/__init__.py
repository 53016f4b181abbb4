"""widgetlib: what Glassbox's widgets share, shipped with llm_core to every page's worker and imported
the same way at build time (`from widgetlib.fmt import percent`).

llm_core computes; a widget's compute() turns llm_core's numbers into what its figure shows; its JS
only places that. This package holds the parts of the middle step that widgets repeat:

- `fmt`: numbers as a reader reads them (true minus signs, thousands separators, percentages that
  never print a tiny probability as 0.0%), so every figure writes a number the same way.
"""
