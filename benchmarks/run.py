"""Glassbox benchmarks: measured side by side in one run, written to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run.py [--site _site] [--runs 5] [--out FILE] [--sections startup,drag]
                                       [--smollm2] [--drag-only [WIDGET ...]]

1. Time from navigation to the first live widget, cold (empty cache) and warm (a persistent profile, like
   a returning reader), next to a bare page that only loads Pyodide and numpy in a worker (the floor).
   Budget: ours / floor <= 1.3.
2. Tokenizer throughput, o200k_base, 100 KB of English prose, in one page: llm_core in the page's worker
   vs js-tiktoken (pure JS, npm) on the page's main thread; CPython tiktoken and llm_core for reference.
   Budget: llm_core no more than 3x slower than js-tiktoken.
3. Typing latency in the tokenizer widget on a 2 KB text: keystroke to updated chips, p50 and p95.
   Budget: p95 <= 100 ms.
4. The tiny model in the page: prefill of 128 tokens (GFLOP/s next to a plain numpy matmul in the same
   page, the floor) and decode tokens/s with and without the KV cache at 64 and 256 tokens of context.
   Budgets: decode with the cache >= 5x faster than without at 256 tokens; prefill >= 40% of the matmul.
5. Every page, cold and warm: time to readable (first contentful paint), to the first live widget, and
   bytes transferred (first visit, return visit). Budgets: readable < 1 s; first live <= 1.3x the floor.
6. Update latency of every widget on every chapter page while its controls move: from the input event to
   the redrawn figure, p50 and p95 per widget. Widgets that run the model are measured with a prompt of
   about 64 tokens. Budgets: p95 <= 50 ms without the model, <= 200 ms with it.
7. SmolLM2-135M-Instruct in the page's worker next to llama.cpp compiled to WebAssembly (npm @wllama/wllama,
   a dev dependency the site never ships; one thread; the same GGUF file): decode tokens/s and a 64-token
   prefill, runs alternated; time from Load to the first answer token, cold and cached; the worker's
   memory; numpy's matrix-vector and matrix-matrix rates in the same worker, a profile of a decode step and
   two other weight layouts. Budgets: decode >= 50% of the matrix-vector rate, prefill >= 40% of the
   matrix-matrix rate; the goal is one third of llama.cpp's tokens/s. `--smollm2` measures this section
   alone and rewrites only it in RESULTS.md.
8. Training in the page (chapter 15's trainer, its default model): steps/s, tokens/s and the achieved
   GFLOP/s (6 x parameters x tokens per step, plus attention: llm_core.train.step_flops) next to the
   in-page numpy matmul rate measured in the same run; the same step in CPython numpy and in torch (the
   training venv, .venv-train, when present) on the same machine, as ratios; where the page's step spends
   its time (forward, backward, optimizer; the matmul rate at the step's own shapes) and the machine's load.
   Budget: >= 25% of the in-page matmul rate. `--sections training --out benchmarks/RESULTS.md` rewrites
   only this section there.

9. A returning reader's visit with the service worker against the same visit without it, the site served
   as GitHub Pages serves it (max-age=600, ETags), returning within ten minutes and after them: time to the
   first live widget and the requests that reach the server (revalidations counted).

`--sections` measures the named sections alone (startup, throughput, typing, model, pages, offline, drag,
smollm2, training)
and prints their report, written to --out only when --out is given.

The package `benchmarks`: one module per section (startup, tokenizer_speed for 2 and 3, tiny_model, pages,
drag, smollm2, offline, training), `common` (the site copy, Chromium, settle, pct, the machine), `report` (RESULTS.md's text);
the pages, page scripts and worker Python they run are files in benchmarks/assets/. Nothing here is
asserted by the tests (tests/build/test_benchmarks.py checks only that the package imports and its assets
are all there and all used); the numbers depend on the machine, which the report describes.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import the package from the repository root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks.common import ROOT, browser_factory, english_text, prepare_site  # noqa: E402
from benchmarks.drag import measure_drag  # noqa: E402
from benchmarks.offline import measure_offline  # noqa: E402
from benchmarks.pages import measure_pages  # noqa: E402
from benchmarks.report import (  # noqa: E402
    SMOLLM2_HEADING,
    TRAINING_HEADING,
    drag_report,
    merge_section,
    report,
    smollm2_report,
)
from benchmarks.smollm2 import run_smollm2  # noqa: E402
from benchmarks.startup import measure_startup  # noqa: E402
from benchmarks.tiny_model import measure_model  # noqa: E402
from benchmarks.tokenizer_speed import measure_throughput, measure_typing  # noqa: E402
from benchmarks.training import measure_training  # noqa: E402
from sitebuild import browser as chromium  # noqa: E402
from sitebuild.serve import serve_in_thread  # noqa: E402

SECTIONS = ("startup", "throughput", "typing", "model", "pages", "offline", "drag", "smollm2", "training")
THROUGHPUT_BYTES, TYPING_BYTES, KEYSTROKES = 100_000, 2000, 60


def sections(text: str) -> set[str]:
    """--sections' value: names from SECTIONS, comma-separated."""
    names = {s.strip() for s in text.split(",") if s.strip()}
    unknown = names - set(SECTIONS)
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"sections are {', '.join(SECTIONS)}; got {text!r}")
    return names


def measure(p, site: Path, tmp: Path, runs: int, only: set[str]) -> str:
    """Measure the sections named in `only`, in the order that keeps the machine's state comparable
    (startup first, SmolLM2 last); -> the report's text."""
    server, base = serve_in_thread(prepare_site(site, tmp))
    launch = browser_factory(p)
    r = {}
    if "startup" in only:
        print("startup ...", flush=True)
        r["startup"], r["runs"] = measure_startup(launch, base, runs, tmp), runs
    b = chromium.launch(p)
    if "pages" in only:
        print("pages ...", flush=True)
        r["pages"] = measure_pages(launch, base, tmp)
    if "offline" in only:
        print("offline (service worker) ...", flush=True)
        r["offline"] = measure_offline(p, site, tmp)
    if "throughput" in only:
        print("throughput ...", flush=True)
        r["throughput"] = measure_throughput(b, base, english_text(THROUGHPUT_BYTES))
        r["n_bytes"] = THROUGHPUT_BYTES
    if "typing" in only:
        print("typing ...", flush=True)
        r["typing"] = measure_typing(b, base, english_text(TYPING_BYTES), KEYSTROKES)
    if "model" in only:
        print("model ...", flush=True)
        r["model"] = measure_model(b, base)
    if "training" in only:
        print("training ...", flush=True)
        r["training"] = measure_training(b, base)
    if "drag" in only:
        print("drag latency ...", flush=True)
        r["drag"] = measure_drag(b, base)
    b.close()
    if "smollm2" in only:
        print("SmolLM2 and llama.cpp ...", flush=True)
        r["smollm2"] = smollm2_report(*run_smollm2(p, base, tmp))
    server.shutdown()
    return report(**r)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", type=Path, default=ROOT / "_site")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--out", type=Path, help="the report's file (default benchmarks/RESULTS.md)")
    ap.add_argument(
        "--sections",
        type=sections,
        metavar="NAME,...",
        help=f"only these sections ({', '.join(SECTIONS)}), printed; written only to an --out named",
    )
    ap.add_argument(
        "--smollm2",
        action="store_true",
        help="only the SmolLM2 / llama.cpp section, merged into --out (the other sections are kept)",
    )
    ap.add_argument(
        "--drag-only",
        metavar="WIDGETS",
        nargs="*",
        help="only the update latency of these widgets (all if none named), printed, not written",
    )
    args = ap.parse_args(argv)
    out = args.out or ROOT / "benchmarks" / "RESULTS.md"
    os.environ.setdefault("GLASSBOX_DATA", str(ROOT / "_build" / "data"))
    from playwright.sync_api import sync_playwright

    if args.drag_only is not None:
        with tempfile.TemporaryDirectory() as tmp_name, sync_playwright() as p:
            server, base = serve_in_thread(prepare_site(args.site, Path(tmp_name)))
            b = chromium.launch(p)
            drag = measure_drag(b, base, set(args.drag_only))
            b.close()
            server.shutdown()
        print("\n".join(drag_report(drag)))
        return 0
    if args.smollm2:
        with tempfile.TemporaryDirectory() as tmp_name, sync_playwright() as p:
            server, base = serve_in_thread(prepare_site(args.site, Path(tmp_name)))
            section = smollm2_report(*run_smollm2(p, base, Path(tmp_name)))
            server.shutdown()
        old = out.read_text() if out.exists() else "# Glassbox benchmark results\n"
        out.write_text(merge_section(old, SMOLLM2_HEADING, section, "## Every page, cold and warm"))
        print("\n".join(section))
        return 0
    with tempfile.TemporaryDirectory() as tmp_name, sync_playwright() as p:
        text = measure(p, args.site, Path(tmp_name), args.runs, args.sections or set(SECTIONS))
    if args.sections == {"training"} and args.out and args.out.exists():  # this section alone, merged in
        section = [TRAINING_HEADING, "", *text.split(TRAINING_HEADING, 1)[1].strip("\n").split("\n")]
        merged = merge_section(args.out.read_text(), TRAINING_HEADING, section, "## Every page, cold and warm")
        args.out.write_text(merged)
    elif args.sections is None or args.out:
        out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
