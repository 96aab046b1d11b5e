"""Who may connect to the feed, and what plain HTTP gets: the rules applied to every request
before a WebSocket upgrade (runs on the feed's asyncio thread, inside ``process_request``).

- A token, when set, must come as ``?token=`` or ``Authorization: Bearer`` (constant-time compare).
- A browser ``Origin`` must be the feed's own, an allowed one, or — only when a token is set — the
  address the browser used for the page we served (Origin host = ``Host``); no ``Origin`` (scripts,
  robots) is fine. Duplicate ``Origin``/``Host``/``Authorization``/``Upgrade`` headers, and a request
  without ``Host``, are refused.
- At most ``max_clients`` connections; plain HTTP ``GET /`` is the example page, ``/healthz`` is
  ``ok``, anything else 426. Nothing a client sends is ever opened as a path.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

_ANY = ("0.0.0.0", "::")


def default_page() -> Path:
    """examples/feed_page.html in the source tree or in the frozen bundle (same layout)."""
    from livepredict import data_dir

    return Path(data_dir()) / "examples" / "feed_page.html"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost"; False for "", 0.0.0.0 and real addresses."""
    h = (host or "").strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


class Handshake:
    """The feed's address and its admission rules. ``port`` is set by the server once bound
    (``port=0`` picks a free one); ``client_count()`` says how many clients are connected now."""

    def __init__(self, host: str, port: int, token: str | None, allowed_origins: Iterable[str] | None, *,
                 max_clients: int, page: Path | None, client_count: Callable[[], int]) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.allowed_origins = {o.rstrip("/") for o in (allowed_origins or ())}
        self.max_clients = max_clients
        self.page = page if page is not None else default_page()
        self._client_count = client_count
        self.refused = 0

    # ---------------------------------------------------------------- addresses

    @property
    def url(self) -> str:
        """The address clients connect to (host as bound; ``ws://127.0.0.1:PORT``)."""
        host = "127.0.0.1" if self.host in _ANY else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"ws://{host}:{self.port}"

    def network_urls(self) -> list[str]:
        """Addresses other machines can use when bound to all interfaces (``0.0.0.0``/``::``):
        this machine's outward-facing IPv4 address (found without sending a packet). Else []."""
        if self.host not in _ANY:
            return [] if is_loopback(self.host) else [self.url]
        found: list[str] = []
        for probe in ("192.0.2.1", "10.255.255.255"):  # documentation / private ranges: never contacted
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.connect((probe, 9))
                    ip = s.getsockname()[0]
            except OSError:
                continue
            if ip and not ip.startswith("127.") and f"ws://{ip}:{self.port}" not in found:
                found.append(f"ws://{ip}:{self.port}")
        return found

    # ---------------------------------------------------------------- rules

    def own_origins(self) -> set[str]:
        hosts = {"127.0.0.1", "localhost", "[::1]"}
        if self.host not in _ANY:
            hosts.add(f"[{self.host}]" if ":" in self.host else self.host)
        return {f"http://{h}:{self.port}" for h in hosts} | {f"https://{h}:{self.port}" for h in hosts}

    def origin_allowed(self, origin: str | None, host_header: str | None = None) -> bool:
        """No Origin (not a browser), our own origins, the allowed ones, or — when a token is set —
        the page we served ourselves under the address the browser used (Origin host = Host header;
        without a token that rule would open the door to DNS rebinding, so it is not applied)."""
        if origin is None:
            return True
        origin = origin.strip().rstrip("/")
        if "*" in self.allowed_origins or origin in self.allowed_origins or origin in self.own_origins():
            return True
        if self.token is not None and host_header:
            scheme, _, netloc = origin.partition("://")
            return scheme in ("http", "https") and netloc.lower() == host_header.strip().lower()
        return False

    def token_ok(self, query_token: str | None, authorization: str | None) -> bool:
        if self.token is None:
            return True
        given = query_token
        if given is None and authorization:
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() == "bearer":
                given = value.strip()
        if given is None:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    # ---------------------------------------------------------------- websockets hooks

    def process_request(self, connection, request):
        """``websockets`` ``process_request``: None lets the upgrade go on, else the HTTP answer."""
        parts = urlsplit(request.path)
        headers = {}
        for name in ("Upgrade", "Origin", "Host", "Authorization"):
            values = request.headers.get_all(name)
            if len(values) > 1:
                return self._refuse(connection, HTTPStatus.BAD_REQUEST, f"The {name} header appears more than once.")
            headers[name] = values[0] if values else None
        if not (headers["Host"] or "").strip():  # HTTP/1.1 requires it; the origin check relies on it
            return self._refuse(connection, HTTPStatus.BAD_REQUEST, "The request has no Host header; HTTP/1.1 "
                                                                    "requires one.")
        if "websocket" not in (headers["Upgrade"] or "").lower():
            return self.http(connection, parts.path)
        origin = headers["Origin"]
        if not self.origin_allowed(origin, headers["Host"]):
            return self._refuse(connection, HTTPStatus.FORBIDDEN,
                                f"Origin {origin} is not allowed; open the page from "
                                f"{self.url.replace('ws', 'http', 1)}/ or add the origin to the allowed origins.")
        tokens = parse_qs(parts.query).get("token")
        if not self.token_ok(tokens[-1] if tokens else None, headers["Authorization"]):
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED,
                                "Missing or wrong token; pass ?token=... or an 'Authorization: Bearer ...' header.")
        if self._client_count() >= self.max_clients:
            return self._refuse(connection, HTTPStatus.SERVICE_UNAVAILABLE,
                                f"The feed already serves {self.max_clients} clients; close one and try again.")
        return None

    def _refuse(self, connection, status: HTTPStatus, sentence: str):
        self.refused += 1
        return connection.respond(status, sentence + "\n")

    def http(self, connection, path: str):
        """Plain HTTP: ``/`` serves the example page (it then connects back over WebSocket)."""
        if path in ("/", "/index.html") and self.page is not None and Path(self.page).is_file():
            response = connection.respond(HTTPStatus.OK, "")
            body = Path(self.page).read_bytes()
            response.body = body
            del response.headers["Content-Type"]
            del response.headers["Content-Length"]
            response.headers["Content-Type"] = "text/html; charset=utf-8"
            response.headers["Content-Length"] = str(len(body))
            response.headers["Cache-Control"] = "no-store"
            return response
        if path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return connection.respond(HTTPStatus.UPGRADE_REQUIRED,
                                  f"This is the Live Predict feed: connect a WebSocket client to {self.url}.\n")
