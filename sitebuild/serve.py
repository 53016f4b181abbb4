"""A small static file server for _site/, optionally under a path prefix (GitHub Pages serves /REPO/).

Like GitHub Pages, it gzips text (HTML, CSS, JavaScript, JSON, SVG, plain text) for browsers that accept
it, so what the benchmarks and Lighthouse measure is what a reader of the hosted site downloads.
"""

import email.utils
import functools
import gzip
import http.server
import io
import os
import sys
import threading
from pathlib import Path

MIME = {
    ".wasm": "application/wasm",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".whl": "application/zip",
    ".tiktoken": "text/plain",
    ".py": "text/plain",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
}


COMPRESSED = {"text/html", "text/css", "text/javascript", "application/json", "image/svg+xml", "text/plain"}


@functools.lru_cache(maxsize=256)
def gzipped(path: str, mtime_ns: int, size: int) -> bytes:  # the file's bytes, gzipped (cached per version)
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME}
    prefix = "/"

    def send_head(self):
        path = self.translate_path(self.path)
        if (
            not os.path.isfile(path)
            or self.guess_type(path) not in COMPRESSED
            or "gzip" not in self.headers.get("Accept-Encoding", "")
        ):
            return super().send_head()
        stat = os.stat(path)
        since = self.headers.get("If-Modified-Since")
        if since:  # a return visit revalidates its cached copy
            try:
                if int(stat.st_mtime) <= email.utils.parsedate_to_datetime(since).timestamp():
                    self.send_response(304)
                    self.end_headers()
                    return None
            except (TypeError, ValueError, IndexError, OverflowError):
                pass
        data = gzipped(path, stat.st_mtime_ns, stat.st_size)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Last-Modified", self.date_time_string(int(stat.st_mtime)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(data)

    def translate_path(self, path):
        # Only paths under the prefix exist; everything else is a 404, as on a real sub-path host.
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_prefix__")
        return super().translate_path("/" + path[len(self.prefix) :])

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A browser closing a page mid-download resets the connection: normal, not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def make_server(
    directory: Path, port: int = 8000, prefix: str = "/", host: str = "127.0.0.1", verbose: bool = False
) -> QuietServer:
    """An HTTP server for directory at http://host:port{prefix}; port 0 picks a free port."""
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    handler = functools.partial(type("Handler", (SiteHandler,), {"prefix": prefix}), directory=str(directory))
    server = QuietServer((host, port), handler)
    server.verbose = verbose
    server.prefix = prefix
    return server


def serve_in_thread(directory: Path, prefix: str = "/") -> tuple[QuietServer, str]:
    """Start a server on a free port in a daemon thread; -> (server, base URL ending in '/')."""
    server = make_server(directory, port=0, prefix=prefix)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}{server.prefix}"
