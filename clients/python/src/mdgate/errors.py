"""Exceptions raised by the mdgate client."""

from __future__ import annotations

from typing import Any, Mapping, Optional


class MdgateError(Exception):
    """Base class of every error this package raises."""


class ApiError(MdgateError):
    """An HTTP answer that is not 2xx (or a refused WebSocket handshake).

    ``status`` is the HTTP status, ``code`` the ``error.code`` of the body
    (``"unauthorized"`` for a 401, whose body is plain text; ``"http_error"`` when the body
    is not the documented error object), ``message`` the ``error.message``. ``details``
    holds every other key of the error object, for example ``{"state": "resyncing"}`` of a
    503 ``book_not_live``.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    @property
    def state(self) -> Optional[str]:
        """The book state of a 503 ``book_not_live`` answer, else None."""
        value = self.details.get("state")
        return value if isinstance(value, str) else None


class RequestError(MdgateError):
    """The gateway answered a stream request with an error.

    ``channel`` is the channel the error names (None for a message-level error, a
    ``type: error`` answer such as ``bad_request`` or ``rate_limited``), ``code`` one of the
    codes of docs/api.md, ``message`` the gateway's text.
    """

    def __init__(self, channel: Optional[str], code: str, message: str) -> None:
        where = f" ({channel})" if channel else ""
        super().__init__(f"{code}{where}: {message}")
        self.channel = channel
        self.code = code
        self.message = message


class SubscriptionError(RequestError):
    """The gateway refused a subscription: raised by the iterator of that channel.

    ``code`` is a channel error code (``bad_channel``, ``unknown_instrument``, ``not_found``,
    ``already_subscribed``, ``too_many_channels``) or, when the whole request was refused, a
    message error code (``bad_request``, ``rate_limited``, ...; ``channel`` is then None).
    """


class StreamClosed(MdgateError):
    """The stream connection ended while an iterator or a request still needed it.

    ``code`` and ``reason`` are those of the close frame the gateway sent (1006 and ``""``
    when the connection was lost without one), e.g. ``1008 "too slow"`` or
    ``1013 "too many subscribers"``.
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"stream closed: {code} {reason}".rstrip())
        self.code = code
        self.reason = reason


class TransportError(MdgateError):
    """The gateway could not be reached (connection refused, timeout, TLS error, ...)."""
