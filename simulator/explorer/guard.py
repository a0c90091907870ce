"""Who may drive the explorer: an ASGI middleware that keeps other web pages and oversized bodies out.

The explorer listens on this computer; any web page the user visits can still send requests to
it from the browser. Every request passes these checks before a route sees it:

- ``Host`` names the address the server was started on (:class:`HostCheck`), which defeats DNS
  rebinding (a page of ``evil.example`` whose name is made to point at the server);
- ``Origin`` (or, without it, ``Referer``) is the page's own, and ``Sec-Fetch-Site`` is not
  ``cross-site``/``same-site``: other pages cannot send requests or embed answers;
- a state-changing request (any method but GET and HEAD) carries the token of this start of the
  server in :data:`TOKEN_HEADER`; the token is written into the page and nowhere else, so only
  the page can read it (a custom header also makes browsers ask first, which nothing answers);
- a body is read at most ``max_body`` bytes far, counted while it streams (a declared
  ``Content-Length`` above it is refused before reading): 413.

Answers are JSON ``{"error": ...}`` like the routes' own; every answer also forbids framing the
page (clickjacking) and content-type sniffing.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
from urllib.parse import urlsplit

TOKEN_HEADER = "x-eipsim-token"
SAFE_METHODS = ("GET", "HEAD")
WILDCARDS = ("", "0.0.0.0", "::")
SECURITY_HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
                    (b"content-security-policy", b"frame-ancestors 'none'"),
                    (b"referrer-policy", b"same-origin")]


def new_token() -> str:
    """A fresh random token for one start of the server."""
    return secrets.token_urlsafe(32)


class HostCheck:
    """The ``Host`` names accepted for a server bound to ``bind``.

    An address accepts itself (and ``localhost`` when it is a loopback address); a name accepts
    itself (``localhost`` also 127.0.0.1 and ::1); the wildcard addresses (``0.0.0.0``, ``::``)
    accept any IP address, ``localhost`` and this computer's names. DNS rebinding needs a name
    the attacker owns, and no such name is ever accepted.
    """

    def __init__(self, bind: str):
        self.bind = bind
        self.any_address = bind in WILDCARDS
        address = _address(bind)
        if self.any_address:
            self.names = {"localhost", socket.gethostname().lower(), socket.getfqdn().lower()}
        elif address is not None:
            self.names = {str(address)} | ({"localhost"} if address.is_loopback else set())
        else:
            self.names = {bind.lower().rstrip(".")} | ({"127.0.0.1", "::1"} if bind == "localhost" else set())

    def accepts(self, host_header: str) -> bool:
        """Whether ``host_header`` (``name``, ``name:port``, ``[v6]:port``) names this server."""
        host = _host_of(host_header)
        if host is None:
            return False
        if host in self.names:
            return True
        address = _address(host)
        return self.any_address and address is not None


def _host_of(netloc: str) -> str | None:
    """The host part of ``netloc``, lower case, without a trailing dot, IPv6 without brackets."""
    try:
        host = urlsplit(f"//{netloc}").hostname
    except ValueError:
        return None
    if not host:
        return None
    address = _address(host)
    return str(address) if address is not None else host.rstrip(".")


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


class Refused(Exception):
    """A request the guard answers itself: HTTP status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Guard:
    """ASGI middleware applying the checks of this module to every HTTP request."""

    def __init__(self, app, hosts: HostCheck, token: str, max_body: int):
        self.app, self.hosts, self.token, self.max_body = app, hosts, token, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        started = False

        async def send_secured(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        try:
            self.check(scope["method"], headers)
            await self.app(scope, self.limited(receive, headers), send_secured)
        except Refused as refused:
            if started:
                raise
            await _answer(send_secured, refused)

    def check(self, method: str, headers: dict[str, str]) -> None:
        """Raise :class:`Refused` for a request this server must not answer."""
        host = headers.get("host", "")
        if not self.hosts.accepts(host):
            raise Refused(421, f"this explorer does not answer for host {host!r}: open it at the address it "
                               f"printed when it started")
        if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
            raise Refused(403, "requests from other web sites are refused")
        for header in ("origin", "referer"):
            if header in headers:
                if urlsplit(headers[header]).netloc.lower() != host.lower():   # also "null" (sandboxes, files)
                    raise Refused(403, f"requests from other web pages are refused ({header.title()}: "
                                       f"{headers[header][:200]!r})")
                break                           # Origin decides when present; Referer only without it
        if method not in SAFE_METHODS and not secrets.compare_digest(
                headers.get(TOKEN_HEADER, "").encode("latin-1"), self.token.encode("latin-1")):
            raise Refused(403, f"missing or wrong {TOKEN_HEADER} header: changes come only from the "
                               "explorer's own page (reload it if the server was restarted)")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise Refused(413, _too_large(int(declared), self.max_body))

    def limited(self, receive, headers: dict[str, str]):
        """``receive`` that refuses a body once more than ``max_body`` bytes have arrived."""
        seen = 0

        async def receive_limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise Refused(413, _too_large(seen, self.max_body, more=message.get("more_body", False)))
            return message

        return receive_limited


def _too_large(size: int, limit: int, more: bool = False) -> str:
    return (f"the request body is {'more than ' if more else ''}{size:,} bytes; requests are limited to "
            f"{limit:,} bytes ({limit / 1e6:g} MB)")


async def _answer(send, refused: Refused) -> None:
    body = json.dumps({"error": refused.message}).encode("utf-8")
    await send({"type": "http.response.start", "status": refused.status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
