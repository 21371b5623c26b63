"""Run a WSGI app on waitress until SIGTERM or SIGINT, then let the owner shut down."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any

from waitress.server import create_server

from shared.config import ServerConfig

log = logging.getLogger(__name__)


def serve(
    app: Any,
    server_cfg: ServerConfig,
    *,
    name: str,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` on waitress (a production WSGI server) and return after a clean stop.

    SIGTERM and SIGINT end the accept loop; waitress then lets in-flight requests finish
    (up to 5 s) before this returns, so the caller can flush and close what it owns.
    """
    server = create_server(
        app,
        host=server_cfg.host,
        port=server_cfg.port,
        threads=server_cfg.threads,
        connection_limit=server_cfg.connection_limit,
        asyncore_use_poll=True,
        channel_timeout=120,
        ident=name,
        clear_untrusted_proxy_headers=True,
    )
    url = f"http://{server_cfg.host}:{server.effective_port}"  # type: ignore[union-attr]

    def _stop(signum: int, _frame: Any) -> None:
        log.info("%s: %s received, stopping", name, signal.Signals(signum).name)
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("%s listening on %s", name, url)
    if on_listening is not None:
        on_listening(url)
    try:
        server.run()  # returns after SystemExit, having waited for in-flight requests
    finally:
        server.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
