"""Section 8: a returning reader's visit with the service worker against the same visit without it.

GitHub Pages serves every file with `Cache-Control: max-age=600` and an ETag. Within ten minutes of a visit
the browser's HTTP cache answers alone; after that, every file the page loads is revalidated (a request
each, answered 304 Not Modified when unchanged), which is the difference a returning reader feels. The
service worker answers from Cache Storage either way; only the browser's check for a new sw.js (and the code
it imports) goes out. Here the site is served as Pages serves it, from a server that counts what reaches it:
first with max-age=600 (a return within ten minutes), then with max-age=0 (every stored copy already
stale: a return after ten minutes). Each mode is a persistent profile that made one first visit (with the
service worker: until it is active and its precache complete); then each warm visit: time to the first live
widget and first contentful paint, and the requests the server saw (full downloads, revalidations), the
two modes alternated. A server on the same machine answers at once, while a reader's browser waits a round
trip to Pages' CDN for each request; so each max-age is measured twice, as served, and with the server
holding every response for a round trip of ROUND_TRIP_MS first (connections are kept alive, so their setup
is not added).
"""

import functools
import hashlib
import os
import statistics
import threading
import time
from pathlib import Path

from sitebuild import browser as chromium
from sitebuild.serve import QuietServer, SiteHandler

from .common import TOKENIZER_PAGE, asset, settle

OFFLINE_ROUNDS = 5
ROUND_TRIP_MS = 50  # a reader near one of the CDN's edges on a fixed line; a phone network waits longer
# (max-age, round trip in ms): a return within ten minutes and after them, each as served and over a round trip
CONDITIONS = ((600, 0), (0, 0), (600, ROUND_TRIP_MS), (0, ROUND_TRIP_MS))
MODES = {"without": "block", "with": "allow"}  # the service worker: Playwright's service_workers option


@functools.lru_cache(maxsize=512)
def etag(path: str, mtime_ns: int, size: int) -> str:
    return '"' + hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16] + '"'


class PagesHandler(SiteHandler):
    """SiteHandler (gzip as Pages does) with Pages' caching headers, Cache-Control: max-age=N and an ETag
    (If-None-Match answered 304), counting every response: server.seen is a list of (path, status, bytes)."""

    def send_head(self):
        time.sleep(self.server.round_trip_ms / 1000)  # the request's way there and the answer's way back
        path = self.translate_path(self.path)
        self.etag = None
        if os.path.isfile(path):
            st = os.stat(path)
            self.etag = etag(path, st.st_mtime_ns, st.st_size)
            if self.headers.get("If-None-Match") == self.etag:
                self.send_response(304)
                self.end_headers()
                return None
        return super().send_head()

    def end_headers(self):
        if getattr(self, "etag", None):
            self.send_header("ETag", self.etag)
            self.send_header("Cache-Control", f"max-age={self.server.max_age}")
        super().end_headers()

    def send_header(self, keyword, value):
        if keyword == "Content-Length":
            self.length = int(value)
        super().send_header(keyword, value)

    def log_request(self, code="-", size="-"):
        self.server.seen.append((self.path, int(code), getattr(self, "length", 0) if code == 200 else 0))


def pages_server(directory: Path) -> tuple[QuietServer, str]:
    handler = functools.partial(type("Handler", (PagesHandler,), {"prefix": "/"}), directory=str(directory))
    server = QuietServer(("127.0.0.1", 0), handler)
    server.verbose, server.prefix, server.seen, server.max_age, server.round_trip_ms = False, "/", [], 600, 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def visit(context, url: str, server, first: bool) -> dict:
    """One visit: ms to the first live widget and to first contentful paint, and what reached the server."""
    del server.seen[:]
    page = context.new_page()
    page.add_init_script(asset("first_live.js"))
    page.goto(url)
    page.wait_for_function("() => window.__firstLive !== undefined", timeout=120_000, polling=20)
    page.evaluate("() => glassbox.py('None').then(() => true)")  # the data files too (calls wait for them)
    if first:
        page.evaluate(asset("service_worker_kept.js"))
    page.wait_for_load_state("networkidle")
    out = page.evaluate(asset("page_visit.js"))
    page.close()
    settle()
    seen = list(server.seen)
    return {
        **out,
        "requests": len(seen),
        "revalidated": sum(1 for _, status, _ in seen if status == 304),
        "downloaded": sum(1 for _, status, _ in seen if status == 200),
        "bytes": sum(n for _, _, n in seen),
        "paths": sorted({path for path, _, _ in seen}),
    }


def measure_offline(p, site: Path, tmp: Path, rounds: int = OFFLINE_ROUNDS) -> dict:
    """{(max_age, round_trip_ms): {"with"|"without": [warm visits]}}, the two modes alternated."""
    server, base = pages_server(site)
    out = {}
    for condition in CONDITIONS:
        server.max_age, server.round_trip_ms = condition
        contexts, out[condition] = {}, {}
        for mode, workers in MODES.items():
            contexts[mode] = p.chromium.launch_persistent_context(
                str(tmp / f"profile-offline-{condition[0]}-{condition[1]}-{mode}"),
                executable_path=chromium.chromium_path(),
                args=chromium.ARGS,
                headless=True,
                service_workers=workers,
            )
            visit(contexts[mode], base + TOKENIZER_PAGE, server, first=(mode == "with"))
            out[condition][mode] = []
        for _ in range(rounds):
            for mode in MODES:
                out[condition][mode].append(visit(contexts[mode], base + TOKENIZER_PAGE, server, first=False))
        for ctx in contexts.values():
            ctx.close()
        summaries = ", ".join(f"{m} {summary(v)}" for m, v in out[condition].items())
        print(f"  max-age={condition[0]}, round trip {condition[1]} ms: {summaries}", flush=True)
    server.shutdown()
    return out


def summary(visits: list[dict]) -> dict:
    """Medians of a mode's warm visits (the requests of every visit are alike; the median visit's paths)."""
    median = sorted(visits, key=lambda v: v["live"])[len(visits) // 2]
    return {
        "live": statistics.median(v["live"] for v in visits),
        "fcp": statistics.median(v["fcp"] for v in visits),
        "requests": statistics.median(v["requests"] for v in visits),
        "revalidated": statistics.median(v["revalidated"] for v in visits),
        "downloaded": statistics.median(v["downloaded"] for v in visits),
        "bytes": statistics.median(v["bytes"] for v in visits),
        "paths": median["paths"],
    }
