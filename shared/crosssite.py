"""Which Host and Origin headers a service answers, so a web page cannot drive it.

Two attacks reach a service on 127.0.0.1 from the user's own browser, keys or no keys:

- *Cross-site requests.* Any page may send a "simple" POST (``text/plain`` or a form) without
  a CORS preflight. Browsers name the page's origin in ``Origin`` on every such request, so a
  state-changing request whose Origin is neither the service's own nor a configured CORS
  origin is refused. (JSON endpoints also require ``application/json``, which a page can only
  send after a preflight that CORS answers for the listed origins alone.)
- *DNS rebinding.* A page on ``evil.example`` makes its name resolve to 127.0.0.1; the browser
  then sends ``Host: evil.example`` with the page's own origin. A rebinding needs a name, so a
  Host header that is a name must be ``localhost`` or one configured (a reverse proxy's name);
  IP literals are always accepted (no name was rebound to reach them).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def host_name(host_header: str) -> str:
    """``Example.COM:5500`` -> ``example.com``; ``[::1]:5500`` -> ``::1``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


class HostGuard:
    """Decides on a request's Host and Origin headers; no web framework in it."""

    def __init__(self, allowed_hosts: Iterable[str], cors_origins: Iterable[str]) -> None:
        self._names = LOCAL_NAMES | {host_name(h) for h in allowed_hosts if h}
        self._any_host = "*" in self._names
        self._origins = {o.rstrip("/").lower() for o in cors_origins if o}

    def host_problem(self, host_header: str | None) -> str | None:
        """Why this Host header is refused, or None."""
        if not host_header:
            return None  # HTTP/1.0 without Host: no browser sends that
        name = host_name(host_header)
        if self._any_host or _is_ip(name) or name in self._names:
            return None
        return (
            f"Host {name!r} is not served here; add it to security.allowed_hosts if a "
            "reverse proxy uses that name"
        )

    def origin_problem(
        self, method: str, origin: str | None, host_header: str | None
    ) -> str | None:
        """Why a request from this Origin may not change anything, or None."""
        if method.upper() in SAFE_METHODS or origin is None:
            return None
        origin = origin.strip().rstrip("/").lower()
        if origin in self._origins:
            return None
        parts = urlsplit(origin)
        if (
            parts.scheme in ("http", "https")
            and host_header
            and parts.netloc == host_header.strip().lower()
        ):
            return None  # the service's own page (the dashboard)
        return (
            f"requests from the web page at {origin} may not change this service; list the "
            "origin in cors.origins to allow it"
        )
