"""Lighthouse on every page of the built site: accessibility and performance scores, written to a report.

    .venv/bin/python benchmarks/audit.py [--site _site] [--out benchmarks/LIGHTHOUSE.md]

Lighthouse (npm, pinned in package.json) drives the system Chromium (CHROME_PATH) with its default
settings: a mid-range phone on a throttled (slow 4G) network, simulated. The site is served under
/glassbox/, like GitHub Pages. Exits non-zero if any page scores below 100 for accessibility; the
performance target (90) is reported, not enforced, because it depends on the machine.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitebuild import browser as chromium  # noqa: E402
from sitebuild.serve import serve_in_thread  # noqa: E402

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
METRICS = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift"]


def lighthouse(url: str, out: Path) -> dict:
    """One Lighthouse run -> {category: score 0-100, metric: display value, failed: [audit ids]}."""
    flags = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--only-categories=accessibility,performance",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            f"--chrome-flags={flags}",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": chromium.chromium_path()},
    )
    report = json.loads(out.read_text())
    row = {k: round(100 * v["score"]) for k, v in report["categories"].items()}
    for m in METRICS:
        row[m] = report["audits"][m]["displayValue"]
    row["failed"] = sorted(
        a["id"]
        for a in report["audits"].values()
        if a.get("scoreDisplayMode") == "binary"
        and a.get("score") == 0
        and a["id"] in {r["id"] for r in report["categories"]["accessibility"]["auditRefs"]}
    )
    return row


def audit(site: Path) -> dict[str, dict]:
    pages = sorted(p.name for p in site.glob("*.html"))
    server, base = serve_in_thread(site, prefix="/glassbox/")
    rows = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name in pages:
                rows[name] = lighthouse(base + name, Path(tmp) / "report.json")
                print(f"  {name}: {rows[name]}", flush=True)
    finally:
        server.shutdown()
    return rows


def report(rows: dict[str, dict]) -> str:
    lines = [
        "| page | accessibility | performance | FCP | LCP | TBT | CLS | accessibility audits failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['accessibility']} | {r['performance']} | "
            + " | ".join(r[m] for m in METRICS)
            + f" | {', '.join(r['failed']) or 'none'} |"
        )
    a11y = [n for n, r in rows.items() if r["accessibility"] < 100]
    perf = [n for n, r in rows.items() if r["performance"] < 90]
    lines += [
        "",
        f"Accessibility 100 on {len(rows) - len(a11y)} of {len(rows)} pages"
        + (f" (below: {', '.join(a11y)})" if a11y else "")
        + f"; performance 90 or more on "
        f"{len(rows) - len(perf)} of {len(rows)} pages" + (f" (below: {', '.join(perf)})" if perf else "") + ".",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", type=Path, default=ROOT / "_site")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "LIGHTHOUSE.md")
    args = ap.parse_args(argv)
    rows = audit(args.site)
    text = (
        "# Lighthouse\n\nLighthouse 12 (npm) with its default mobile settings (simulated slow 4G and a "
        "mid-range phone), every page of the site served under /glassbox/. Regenerate with `make audit`.\n\n"
        + report(rows)
        + "\n"
    )
    args.out.write_text(text)
    print(text)
    return 0 if all(r["accessibility"] == 100 for r in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
