"""Screenshots of built pages as a reader sees them: 1280 and 390 px wide, light and dark, widgets live.

    .venv/bin/python scripts/screenshots.py [--site _site] [--out _screenshots] [PAGE.html ...]

Serves the built site (run `make build` first) under /glassbox/, like GitHub Pages, opens each page in the
system Chromium, waits until every widget is live, and writes full-page PNGs named
PAGE-WIDTH-SCHEME.png. Console errors are printed, so a glance at the output says whether a page broke.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitebuild import browser as chromium  # noqa: E402
from sitebuild.serve import serve_in_thread  # noqa: E402

WIDTHS = (1280, 390)
SCHEMES = ("light", "dark")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pages", nargs="*", help="pages to take (default: every .html page of the site)")
    ap.add_argument("--site", type=Path, default=ROOT / "_site")
    ap.add_argument("--out", type=Path, default=ROOT / "_screenshots")
    ap.add_argument("--widths", default=",".join(map(str, WIDTHS)))
    ap.add_argument("--schemes", default=",".join(SCHEMES))
    ap.add_argument(
        "--figures",
        action="store_true",
        help="also one PNG per widget figure (PAGE-WIDTH-SCHEME-figN.png), legible at full size",
    )
    args = ap.parse_args(argv)
    pages = args.pages or sorted(p.name for p in args.site.glob("*.html"))
    args.out.mkdir(parents=True, exist_ok=True)
    server, base = serve_in_thread(args.site, prefix="/glassbox/")
    from playwright.sync_api import sync_playwright

    failed = 0
    with sync_playwright() as p:
        browser = chromium.launch(p)
        for scheme in args.schemes.split(","):
            for width in map(int, args.widths.split(",")):
                context = browser.new_context(
                    viewport={"width": width, "height": 900},
                    color_scheme=scheme,
                    device_scale_factor=1,
                    is_mobile=width < 600,
                    has_touch=width < 600,
                )
                for name in pages:
                    page = context.new_page()
                    errors = []
                    page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
                    page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                    page.goto(base + name)
                    page.evaluate("() => window.glassbox.ready.then(() => true)")
                    page.wait_for_function(
                        "() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')",
                        timeout=120_000,
                    )
                    page.wait_for_timeout(300)
                    shot = args.out / f"{Path(name).stem}-{width}-{scheme}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    if args.figures:
                        for i, fig in enumerate(page.locator("figure.widget").all()):
                            fig.screenshot(path=str(shot.with_name(f"{shot.stem}-fig{i}.png")))
                    wide = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
                    print(
                        f"{shot}{'  WIDER THAN THE SCREEN' if wide else ''}"
                        + "".join(f"\n  console error: {e}" for e in errors)
                    )
                    failed += bool(errors) or wide
                    page.close()
                context.close()
        browser.close()
    server.shutdown()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
