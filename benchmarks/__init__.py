"""Glassbox's benchmarks: `run.py` measures the site in a browser (its docstring lists the sections and their
budgets), `audit.py` runs Lighthouse. One module per measured section, `common` for what they share,
`report` for RESULTS.md's text; the pages, scripts and worker code they run are files in `assets/`."""
