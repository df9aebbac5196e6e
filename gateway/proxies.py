"""Which peer a request comes from: forwarded headers are believed only from configured proxies.

The query log keeps each request's client address (HC-23, XZ-19). Behind a reverse proxy the
peer is the proxy, and the client is in `X-Forwarded-For`; from anyone else that header is a
claim the caller makes up. So the gateway honours `X-Forwarded-For` / `X-Forwarded-Proto` only
from the addresses and ranges in `TRUSTED_PROXIES` (none by default), for every route, with
uvicorn's own middleware (which takes the right-most address no trusted proxy added); `serve`
switches uvicorn's built-in proxy handling off so that nothing else decides it.
"""

from __future__ import annotations

import ipaddress

from starlette.middleware import Middleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def parse_trusted_proxies(value: str | None) -> tuple[str, ...]:
    """`10.0.0.5, 10.1.0.0/16, ::1` -> normalised addresses and networks; refuses anything else.

    uvicorn would take an unparsable entry as a literal host name that never matches, silently;
    a mistyped proxy address is better found at start-up.
    """
    proxies = []
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            proxies.append(str(ipaddress.ip_network(item, strict=True) if "/" in item else ipaddress.ip_address(item)))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {item!r} is not an IP address or a CIDR range (e.g. 10.0.0.5, "
                             "10.1.0.0/16, ::1); separate entries with commas") from None
    return tuple(proxies)


def forwarded_headers_middleware(trusted_proxies: tuple[str, ...]) -> list[Middleware]:
    """The middleware that believes forwarded headers from `trusted_proxies` only; none when empty."""
    if not trusted_proxies:
        return []
    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted_proxies))]
