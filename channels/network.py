"""Outgoing HTTP for channels: the network guard, timeouts and size caps.

The guard runs at send time, on every request: the host is resolved, every
address it resolves to must be public, and the connection is then made to the
address that was checked. A DNS answer that changes between the check and the
connect (rebinding) therefore cannot steer the request to an internal address.
TLS still verifies the certificate for, and sends SNI and Host with, the name in
the URL. Redirects are not followed (a redirect could point anywhere), neither by our
own requests nor by Apprise's (`no_redirects`).
ALLOW_PRIVATE_WEBHOOK_TARGETS=true lifts the address check (tests, on-premises
receivers); everything else stays.
"""

import contextvars
import ipaddress
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util import connection as urllib3_connection

# How much of a response body is read (for the error text); the rest is dropped.
RESPONSE_READ_LIMIT = 8192


class Refused(Exception):
    """The request was not made: the guard or a limit said no. Never retryable."""


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    elapsed_ms: int


def is_public(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    # is_global excludes loopback, private, link-local (169.254.169.254, the cloud
    # metadata address), shared (100.64/10), unique-local IPv6 and the rest.
    return ip.is_global and not ip.is_multicast


def resolve(host, port):
    """The addresses to connect to, after the guard. Raises Refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"could not resolve {host}: {exc.strerror or exc}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise OSError(f"could not resolve {host}")
    if not settings.ALLOW_PRIVATE_WEBHOOK_TARGETS:
        private = [a for a in addresses if not is_public(a)]
        if private:
            # Never the address itself: the message reaches Operators, and internal DNS is none of theirs.
            raise Refused(
                f"Refused: {host} points to a private address. "
                "Set ALLOW_PRIVATE_WEBHOOK_TARGETS=true to allow internal receivers."
            )
    return addresses


def check_url(url):
    """The guard for a URL used by something else (Apprise): resolve and check, no pinning."""
    parts = urlsplit(url)
    if parts.hostname:
        resolve(parts.hostname, parts.port or 443)


# The redirects refused inside `no_redirects()`, or None outside it.
_refused_redirects = contextvars.ContextVar("refused_redirects", default=None)


@contextmanager
def no_redirects():
    """While inside, requests made with `requests` in this thread (Apprise's plugins) follow
    no redirect: the 3xx answer is what they get. Yields the list of refused targets.

    Apprise makes its own connections, so the guard cannot check a redirect's next hop;
    a public redirector pointing inward must not be followed."""
    _guard_requests_redirects()
    refused = []
    token = _refused_redirects.set(refused)
    try:
        yield refused
    finally:
        _refused_redirects.reset(token)


def _guard_requests_redirects():
    # requests has no per-call switch that reaches through Apprise's plugins, so its one
    # redirect decision is wrapped (once per process); outside no_redirects() it is unchanged.
    from requests.sessions import SessionRedirectMixin

    original = SessionRedirectMixin.get_redirect_target
    if getattr(original, "guarded", False):
        return

    def get_redirect_target(self, response):
        target = original(self, response)
        refused = _refused_redirects.get()
        if target and refused is not None:
            refused.append(target)
            return None
        return target

    get_redirect_target.guarded = True
    SessionRedirectMixin.get_redirect_target = get_redirect_target


class _Pinned:
    """A connection that connects to the checked address, whatever `host` says."""

    def __init__(self, *args, pinned_address, **kwargs):
        self.pinned_address = pinned_address
        super().__init__(*args, **kwargs)

    def _new_conn(self):
        try:
            sock = urllib3_connection.create_connection(
                (self.pinned_address, self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except OSError as exc:
            raise urllib3.exceptions.NewConnectionError(self, f"could not connect: {exc}") from exc
        return sock


class _PinnedHTTP(_Pinned, HTTPConnection):
    pass


class _PinnedHTTPS(_Pinned, HTTPSConnection):
    pass


def post(url, body, headers):
    """POST `body` (bytes) to `url` through the guard. Returns a Response.

    Raises Refused (not sent), or an OSError/urllib3 error (network trouble).
    """
    if len(body) > settings.CHANNEL_MAX_PAYLOAD_BYTES:
        raise Refused(
            f"Refused: the message is {len(body)} bytes, over the {settings.CHANNEL_MAX_PAYLOAD_BYTES} byte cap."
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("Refused: only http and https URLs can be sent to.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(parts.hostname, port)[0]
    timeout = urllib3.Timeout(connect=settings.CHANNEL_CONNECT_TIMEOUT, read=settings.CHANNEL_READ_TIMEOUT)
    common = {"port": port, "timeout": timeout, "retries": False, "maxsize": 1, "pinned_address": address}
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            parts.hostname, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(), **common
        )
        pool.ConnectionCls = _PinnedHTTPS
    else:
        pool = urllib3.HTTPConnectionPool(parts.hostname, **common)
        pool.ConnectionCls = _PinnedHTTP
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={"User-Agent": "Plannr-monitor", **headers},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            text = response.read(RESPONSE_READ_LIMIT, decode_content=False).decode("utf-8", "replace")
        finally:
            response.release_conn()
        return Response(response.status, text, int((time.monotonic() - started) * 1000))
    finally:
        pool.close()
