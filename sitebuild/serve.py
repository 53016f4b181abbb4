"""A small static file server for _site/, optionally under a path prefix (GitHub Pages serves /REPO/)."""

import functools
import http.server
import sys
import threading
from pathlib import Path

MIME = {".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
        ".json": "application/json", ".whl": "application/zip", ".tiktoken": "text/plain",
        ".py": "text/plain", ".svg": "image/svg+xml", ".woff2": "font/woff2"}


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME}
    prefix = "/"

    def translate_path(self, path):
        # Only paths under the prefix exist; everything else is a 404, as on a real sub-path host.
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_prefix__")
        return super().translate_path("/" + path[len(self.prefix):])

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


def make_server(directory: Path, port: int = 8000, prefix: str = "/", host: str = "127.0.0.1",
                verbose: bool = False) -> QuietServer:
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
