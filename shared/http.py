"""A small HTTP client base: timeouts, retries with backoff, one error type."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests

log = logging.getLogger(__name__)


class HttpError(Exception):
    """Any failure talking to a peer: unreachable, timed out, bad status or bad JSON."""

    def __init__(self, message: str, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason  # the words for a person: no method, URL or status code


def _reason(resp: requests.Response) -> str:
    """The server's own words: the JSON envelope's message, else the start of the body."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return resp.text[:200]


class HttpClient:
    """JSON over HTTP to one base URL.

    Connection errors and 5xx answers are retried ``retries`` times with exponential backoff
    (``backoff``, doubled each time); 4xx answers are not retried.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        retries: int = 0,
        backoff: float = 0.2,
        api_key: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._session = requests.Session()
        if api_key:
            self._session.headers["X-API-Key"] = api_key

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.base_url}{path}"
        kwargs.setdefault("timeout", self.timeout)
        delay = self.backoff
        last: HttpError | None = None
        for attempt in range(self.retries + 1):
            try:
                resp = self._session.request(method, url, **kwargs)
            except requests.Timeout:
                last = HttpError(
                    f"{method} {url}: no answer within {kwargs['timeout']} s",
                    reason=f"no answer within {kwargs['timeout']} s",
                )
            except requests.ConnectionError:
                last = HttpError(
                    f"{method} {url}: cannot connect (is the service running?)",
                    reason="cannot connect (is the service running?)",
                )
            except requests.RequestException as exc:
                last = HttpError(f"{method} {url}: {type(exc).__name__}: {exc}")
            else:
                if resp.status_code < 400:
                    return resp
                why = _reason(resp)
                error = HttpError(
                    f"{method} {url}: HTTP {resp.status_code}: {why}", resp.status_code, why
                )
                if resp.status_code < 500:
                    raise error  # the request itself is wrong: retrying will not help
                last = error
            if attempt < self.retries:
                time.sleep(delay)
                delay *= 2
        assert last is not None
        raise last

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self._json(self.request("GET", path, **kwargs))

    def post_json(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        return self._json(self.request("POST", path, json=payload, **kwargs))

    @staticmethod
    def _json(resp: requests.Response) -> Any:
        try:
            return resp.json()
        except ValueError as exc:
            raise HttpError(f"{resp.url}: answer is not JSON", resp.status_code) from exc

    def close(self) -> None:
        self._session.close()
