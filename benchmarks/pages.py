"""Section 5: every page, cold and warm: first contentful paint, first live widget, bytes transferred."""

import statistics
from pathlib import Path

from .common import asset, settle, time_to_live

PAGE_ROUNDS = 3


def page_visit(context, url: str) -> dict:
    """One visit: ms to first contentful paint and to the first live widget, and bytes over the network."""
    page = context.new_page()
    sizes = []

    def finished(request):
        try:
            s = request.sizes()
            sizes.append(s["responseBodySize"] + s["responseHeadersSize"])
        except Exception:  # a request the browser served from its cache has no sizes to report
            pass

    context.on("requestfinished", finished)
    page.add_init_script(asset("first_live.js"))
    page.goto(url)
    page.wait_for_function("() => window.__firstLive !== undefined", timeout=120_000, polling=20)
    # Every call waits for the page's data files, which start downloading late (after numpy and llm_core):
    # one call makes sure the bytes counted are all a first visit downloads.
    page.evaluate("() => !document.querySelector('figure.widget') || glassbox.py('None').then(() => true)")
    page.wait_for_load_state("networkidle")
    out = page.evaluate(asset("page_visit.js"))
    context.remove_listener("requestfinished", finished)
    page.close()
    settle()
    return {**out, "bytes": sum(sizes)}


def measure_pages(browser_factory, base: str, tmp: Path) -> dict:
    """Cold (fresh browser) and warm (persistent profile, after a first visit) for every page of the site,
    PAGE_ROUNDS times each, alternating with visits to the floor page, so every page is compared with floor
    loads made at the same time (medians of each)."""
    import build

    pages = ["index.html"] + [build.parse_chapter(p).filename for p in sorted(build.Options().chapters.glob("*.md"))]
    floor = base + "bench-floor.html"
    floor_warm_ctx = browser_factory(persistent=tmp / "profile-page-floor")
    time_to_live(floor_warm_ctx, floor, "floor:ready")  # fill the cache, as a first visit would

    def cold(visit):
        b = browser_factory()
        ctx = b.new_context()
        try:
            return visit(ctx)
        finally:
            ctx.close()
            b.close()
            settle()

    def median_visit(visits):  # the visit with the median time to live (fcp and bytes from the same visit)
        return sorted(visits, key=lambda v: v["live"])[len(visits) // 2]

    out = {}
    for name in pages:
        warm_ctx = browser_factory(persistent=tmp / f"profile-page-{name}")
        page_visit(warm_ctx, base + name)  # the first visit fills the cache
        colds, warms, floor_cold, floor_warm = [], [], [], []
        for _ in range(PAGE_ROUNDS if name != "index.html" else 1):
            colds.append(cold(lambda ctx: page_visit(ctx, base + name)))
            warms.append(page_visit(warm_ctx, base + name))
            if name != "index.html":  # a page without widgets has no live time to compare
                floor_cold.append(cold(lambda ctx: time_to_live(ctx, floor, "floor:ready")))
                floor_warm.append(time_to_live(floor_warm_ctx, floor, "floor:ready"))
        warm_ctx.close()
        out[name] = {
            "cold": median_visit(colds),
            "warm": median_visit(warms),
            "floor": {
                "cold": statistics.median(floor_cold) if floor_cold else None,
                "warm": statistics.median(floor_warm) if floor_warm else None,
            },
        }
        print(f"  {name}: {out[name]}", flush=True)
    floor_warm_ctx.close()
    return out
