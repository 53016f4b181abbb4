"""llm_core: the real math of a small decoder LLM, in pure numpy.

One module per concept, in the order the Glassbox chapters teach them. The same code runs in CPython
(at build time, to pre-render every figure) and in the reader's browser through Pyodide (to recompute
it live). Modules import only numpy and the standard library.
"""

__version__ = "0.1.0"
