"""RFC 3161 timestamps from a TSA over HTTP, with the standard library.

pyHanko's own HTTP timestamper needs ``requests``, which docflow does not otherwise use; this one
posts the request with :mod:`urllib` in a worker thread. NCA RK's TSA answers plain HTTP.
"""

from __future__ import annotations

import asyncio
import urllib.request

from asn1crypto import tsp
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, set_tsp_headers


class UrllibTimeStamper(TimeStamper):
    """Timestamps from ``url`` (``http://`` or ``https://``)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("TSA URL must be http:// or https://")
        self.url = url
        self.timeout = timeout
        super().__init__()

    def _post(self, body: bytes) -> bytes:
        request = urllib.request.Request(  # noqa: S310 — scheme checked in __init__
            self.url, data=body, headers=set_tsp_headers({}), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                content_type = response.headers.get("Content-Type", "")
                data = response.read()
        except OSError as exc:
            raise TimestampRequestError("Error in communication with timestamp server") from exc
        if content_type.split(";")[0].strip() != "application/timestamp-reply":
            raise TimestampRequestError("Timestamp server response is malformed.")
        return data

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        raw = await asyncio.to_thread(self._post, req.dump())
        try:
            return tsp.TimeStampResp.load(raw)
        except ValueError as exc:
            raise TimestampRequestError("Timestamp server response is malformed.") from exc
