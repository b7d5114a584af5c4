"""The asyncio client: one WebSocket to ``/v1/stream`` plus HTTP calls to ``/v1/...``.

One reader task owns the connection's incoming side: it answers requests, checks every data
message's ``seq``, keeps and verifies the local books, and hands verified results to the
iterators through per-iterator queues. An iterator never sees a book the reader knows is
wrong: on a gap the reader unsubscribes and resubscribes the channel and drops its messages
until the new subscription's snapshot arrives.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import ssl as _ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, fields
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple, Union

import websockets
import websockets.exceptions

from .book import Book, LocalBook
from .errors import (
    ApiError,
    MdgateError,
    RequestError,
    StreamClosed,
    SubscriptionError,
    TransportError,
)

__all__ = [
    "Client",
    "connect",
    "Stats",
    "Event",
    "Gap",
    "BookStream",
    "EventStream",
]


# --------------------------------------------------------------------------------------
# Public value types


@dataclass
class Stats:
    """Counters of a connection (``Client.stats``) or of one iterator (``stream.stats``).

    ``gaps`` counts every integrity failure the client found on its own: ``seq_gaps`` (a
    ``seq`` that is not the previous + 1), ``checksum_mismatches``, ``u_regressions`` (a
    delta whose ``u`` is lower than the book's) and ``bad_messages`` (a book message that
    could not be applied). On a book channel each one is followed by a resubscription
    (``resubscribes``). ``gap_messages`` counts the gateway's own ``gap`` messages and
    ``events_lost`` the events they (and event-channel seq gaps) say were lost.
    """

    messages: int = 0  #: data messages routed to an iterator
    snapshots: int = 0  #: book snapshots applied
    deltas: int = 0  #: book deltas applied
    conflated: int = 0  #: snapshots marked ``conflated: true`` (normal for a slow reader)
    events: int = 0  #: event messages (trade, ticker, kline, liquidation) delivered
    gaps: int = 0  #: integrity failures found by the client (the four below)
    seq_gaps: int = 0
    checksum_mismatches: int = 0
    u_regressions: int = 0
    bad_messages: int = 0
    resubscribes: int = 0  #: unsubscribe + subscribe cycles made to recover a book
    gap_messages: int = 0  #: ``type: gap`` messages from the gateway
    events_lost: int = 0  #: events the gateway (or a seq jump) says were lost
    dropped: int = 0  #: messages discarded while waiting for a resubscription
    unrouted: int = 0  #: data messages for a channel no iterator holds (connection only)
    errors: int = 0  #: ``type: error`` answers not tied to a pending request (connection only)

    def as_dict(self) -> Dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Event(dict):  # type: ignore[type-arg]
    """The ``data`` object of an event message: a plain ``dict`` with three attributes.

    ``channel`` is the concrete channel (``trades.linear.BTCUSDT``: useful with a ``*``
    subscription), ``seq`` the message's sequence number and ``type`` its type (``trade``,
    ``ticker``, ``kline``, ``liquidation``).
    """

    channel: str
    seq: int
    type: str

    def __init__(self, data: Mapping[str, Any], *, channel: str, seq: int, type: str) -> None:
        super().__init__(data)
        self.channel = channel
        self.seq = seq
        self.type = type

    @property
    def category(self) -> str:
        return _split_channel(self.channel)[1]

    @property
    def symbol(self) -> str:
        return _split_channel(self.channel)[2]


@dataclass(frozen=True)
class Gap:
    """Events of a channel were lost; yielded by event iterators made with ``gaps=True``.

    ``source`` is ``"gateway"`` for a ``type: gap`` message (``lost`` is its count, ``seq`` its
    own sequence number) or ``"seq"`` when the client saw a ``seq`` jump (``lost`` is the
    number of missing sequence numbers, 0 if the number went back).
    """

    channel: str
    lost: int
    seq: int
    source: str


# --------------------------------------------------------------------------------------
# Channel names


def book_channel(category: str, symbol: str, depth: int = 50) -> str:
    return f"book.{int(depth)}.{category}.{symbol}"


def _split_channel(channel: str) -> Tuple[str, str, str, Optional[str]]:
    """``(kind, category, symbol, param)``: param is the depth or interval, else None."""
    head, _, rest = channel.partition(".")
    param: Optional[str] = None
    if head in ("book", "kline"):
        param, _, rest = rest.partition(".")
    category, _, symbol = rest.partition(".")
    return head, category, symbol, param


# --------------------------------------------------------------------------------------
# Internal subscription state (owned by the reader task)

_CLOSED = object()  # queue sentinel: the iterator ends (StopAsyncIteration)


class _Channel:
    """Per concrete channel: the next expected seq and, for books, the local book."""

    __slots__ = ("expect_seq", "waiting", "book", "have_snapshot", "u", "failures")

    def __init__(self, depth: Optional[int]) -> None:
        self.expect_seq = 1
        self.waiting = False  # a resubscription is in flight: drop data until its answer
        self.book = LocalBook(depth) if depth else None
        self.have_snapshot = False
        self.u = 0
        self.failures = 0  # gaps since the last good book: paces resubscriptions


class _Subscription:
    """What the client keeps for one iterator. The public stream objects wrap it."""

    def __init__(
        self,
        client: "Client",
        channel: str,
        *,
        is_book: bool,
        gaps: bool,
        conflate: bool,
    ) -> None:
        self.client = client
        self.channel = channel
        self.is_book = is_book
        self.yield_gaps = gaps
        self.conflate = conflate
        self.queue: "asyncio.Queue[Any]" = asyncio.Queue()
        self.backlog: "collections.deque[Any]" = collections.deque()  # conflated, not yet yielded
        self.channels: Dict[str, _Channel] = {}
        self.errors: List[SubscriptionError] = []
        self.stats = Stats()
        self.state = "new"  # new -> subscribing -> active -> closed
        self.failure: Optional[BaseException] = None
        self.depth: Optional[int] = None
        if is_book:
            self.depth = int(_split_channel(channel)[3] or "")  # ValueError: not book.{depth}.…

    # -- called by the reader ------------------------------------------------------------

    def count(self, name: str, n: int = 1) -> None:
        setattr(self.stats, name, getattr(self.stats, name) + n)
        c = self.client.stats
        setattr(c, name, getattr(c, name) + n)

    def fail(self, exc: BaseException) -> None:
        if self.state == "closed":
            return
        self.queue.put_nowait(exc)

    def end(self) -> None:
        self.queue.put_nowait(_CLOSED)


class _Pending:
    __slots__ = ("op", "future", "sub", "channel")

    def __init__(
        self,
        op: str,
        future: Optional["asyncio.Future[Any]"],
        sub: Optional[_Subscription] = None,
        channel: Optional[str] = None,
    ) -> None:
        self.op = op  # subscribe, resubscribe, unsubscribe, ping
        self.future = future
        self.sub = sub
        self.channel = channel


# --------------------------------------------------------------------------------------
# Public iterators


class _StreamBase:
    """An async iterator over one subscription (``async for``), also an async context
    manager. The subscription is made on the first ``__anext__`` (or by :meth:`start`) and
    undone by :meth:`aclose`, by leaving ``async with``, or when the iterator object is
    garbage-collected (e.g. after ``break`` out of ``async for``)."""

    def __init__(self, sub: _Subscription) -> None:
        self._sub = sub

    @property
    def channel(self) -> str:
        """The channel asked for (may contain ``*``)."""
        return self._sub.channel

    @property
    def channels(self) -> List[str]:
        """The concrete channels the gateway subscribed (after :meth:`start`)."""
        return sorted(self._sub.channels)

    @property
    def errors(self) -> List[SubscriptionError]:
        """Per-channel errors of a partly successful ``*`` subscription."""
        return list(self._sub.errors)

    @property
    def stats(self) -> Stats:
        """This iterator's counters (the connection's are ``Client.stats``)."""
        return self._sub.stats

    async def start(self) -> "_StreamBase":
        """Subscribes now (instead of on the first ``__anext__``). Raises
        :class:`SubscriptionError` when the gateway refuses the channel."""
        await self._sub.client._start(self._sub)
        return self

    async def aclose(self) -> None:
        """Unsubscribes; the iterator then ends."""
        await self._sub.client._close_sub(self._sub, discard=True)

    def __aiter__(self) -> "_StreamBase":
        return self

    async def __aenter__(self) -> "_StreamBase":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def _next(self) -> Any:
        sub = self._sub
        if sub.state == "new":
            await sub.client._start(sub)
        if sub.failure is not None:
            raise sub.failure
        if sub.backlog:
            item = sub.backlog.popleft()
        else:
            item = await sub.queue.get()
            if sub.conflate and not sub.queue.empty():
                item = self._conflate(item)
        if item is _CLOSED:
            sub.queue.put_nowait(_CLOSED)  # stay ended
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            sub.failure = item
            if sub.state != "closed":
                await sub.client._close_sub(sub)
            raise item
        return item

    def _conflate(self, first: Any) -> Any:
        """Of the items waiting, only the newest of each channel (a ``*`` subscription has
        several), in the order of their first arrival; an error or the end is never skipped."""
        sub = self._sub
        latest: Dict[Any, Any] = {}
        tail: List[Any] = []
        item = first
        while True:
            if isinstance(item, BaseException) or item is _CLOSED:
                tail.append(item)
                break
            key = (type(item), getattr(item, "channel", None))
            latest[key] = item
            if sub.queue.empty():
                break
            item = sub.queue.get_nowait()
        sub.backlog.extend(latest.values())
        sub.backlog.extend(tail)
        return sub.backlog.popleft()

    def __del__(self) -> None:
        sub = getattr(self, "_sub", None)
        if sub is None or sub.state in ("closed", "new"):
            return
        try:
            sub.client._close_sub_soon(sub)
        except Exception:  # the loop may be gone at interpreter exit
            pass


class BookStream(_StreamBase):
    """Yields a :class:`~mdgate.Book` after every applied book message."""

    async def __anext__(self) -> Book:
        return await self._next()  # type: ignore[no-any-return]

    async def __aenter__(self) -> "BookStream":
        await self.start()
        return self


class EventStream(_StreamBase):
    """Yields :class:`Event` dicts (and :class:`Gap` objects when made with ``gaps=True``)."""

    async def __anext__(self) -> Union[Event, Gap]:
        return await self._next()  # type: ignore[no-any-return]

    async def __aenter__(self) -> "EventStream":
        await self.start()
        return self


# --------------------------------------------------------------------------------------
# The client


def _stream_url(base_url: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme.lower())
    if scheme is None or not parts.netloc:
        raise ValueError(f"base URL must be ws://, wss://, http:// or https:// with a host: {base_url!r}")
    path = parts.path.rstrip("/")
    return urllib.parse.urlunsplit((scheme, parts.netloc, path + "/v1/stream", "", ""))


def _http_base(base_url: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    scheme = {"http": "http", "https": "https", "ws": "http", "wss": "https"}.get(
        parts.scheme.lower()
    )
    if scheme is None or not parts.netloc:
        raise ValueError(f"base URL must be ws://, wss://, http:// or https:// with a host: {base_url!r}")
    return urllib.parse.urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _query_value(value: Any) -> Optional[str]:
    if value is None or value is False:
        return None
    if value is True:
        return "1"
    return str(value)


def _api_error(status: int, body: bytes) -> ApiError:
    text = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        err = parsed["error"]
        details = {k: v for k, v in err.items() if k not in ("code", "message")}
        return ApiError(status, str(err.get("code", "")), str(err.get("message", "")), details)
    code = "unauthorized" if status == 401 else "http_error"
    return ApiError(status, code, text.strip())


class Client:
    """A connection to an mdgate gateway: the stream (``/v1/stream``) and the HTTP API.

    Use :func:`connect`::

        async with mdgate.connect("ws://127.0.0.1:8080", token="...") as c:
            async for book in c.book("linear", "BTCUSDT"):
                ...

    Several iterators may run at once (in different tasks, or one after the other); one
    reader task hands each its messages. ``stats`` counts for the whole connection.
    """

    def __init__(
        self,
        base_url: str,
        token: Optional[str] = None,
        *,
        stream: bool = True,
        max_size: int = 64 * 1024 * 1024,
        open_timeout: float = 10.0,
        request_timeout: float = 10.0,
        http_timeout: float = 10.0,
        ping_interval: Optional[float] = 20.0,
        ssl: Optional[_ssl.SSLContext] = None,
    ) -> None:
        self.base_url = base_url
        self.stream_url = _stream_url(base_url)
        self.http_url = _http_base(base_url)
        self.stats = Stats()
        self._token = token
        self._want_stream = stream
        self._max_size = max_size
        self._open_timeout = open_timeout
        self._request_timeout = request_timeout
        self._http_timeout = http_timeout
        self._ping_interval = ping_interval
        self._ssl = ssl
        self._ws: Any = None
        self._reader: Optional["asyncio.Task[None]"] = None
        self._ids = itertools.count(1)
        self._pending: Dict[int, _Pending] = {}
        self._routes: Dict[str, _Subscription] = {}
        self._live_subs: Set[_Subscription] = set()
        self._closing = False
        self._closed: Optional[StreamClosed] = None
        self._background: Set["asyncio.Task[Any]"] = set()
        self.last_error: Optional[Dict[str, Any]] = None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._headers = headers
        # Straight to the gateway, like the WebSocket: environment proxies are not used.
        handlers: List[Any] = [urllib.request.ProxyHandler({})]
        if ssl is not None:
            handlers.append(urllib.request.HTTPSHandler(context=ssl))
        self._opener = urllib.request.build_opener(*handlers)

    # -- lifetime ------------------------------------------------------------------------

    async def open(self) -> "Client":
        """Opens the stream connection (unless made with ``stream=False``)."""
        if not self._want_stream or self._ws is not None:
            return self
        kwargs: Dict[str, Any] = {
            "extra_headers": self._headers,
            "max_size": self._max_size,
            "open_timeout": self._open_timeout,
            "ping_interval": self._ping_interval,
        }
        if self.stream_url.startswith("wss:") and self._ssl is not None:
            kwargs["ssl"] = self._ssl
        try:
            self._ws = await websockets.connect(self.stream_url, **kwargs)  # type: ignore[attr-defined]
        except websockets.exceptions.InvalidStatusCode as e:
            code = "unauthorized" if e.status_code == 401 else "handshake_failed"
            raise ApiError(e.status_code, code, str(e)) from e
        except (OSError, asyncio.TimeoutError, websockets.exceptions.InvalidHandshake) as e:
            raise TransportError(f"cannot open {self.stream_url}: {e}") from e
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())
        return self

    async def close(self) -> None:
        """Closes the stream; iterators still running end (``StopAsyncIteration``)."""
        self._closing = True
        if self._ws is not None:
            try:
                await self._ws.close()
            except Exception:
                pass
        if self._reader is not None:
            try:
                await self._reader
            except Exception:
                pass
        for task in list(self._background):
            task.cancel()

    async def __aenter__(self) -> "Client":
        return await self.open()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __await__(self) -> Any:
        return self.open().__await__()

    @property
    def closed(self) -> Optional[StreamClosed]:
        """Why the stream ended (None while it is open or if it was never opened)."""
        return self._closed

    # -- stream: iterators ----------------------------------------------------------------

    def book(
        self, category: str, symbol: str, depth: int = 50, *, conflate: bool = False
    ) -> BookStream:
        """Iterator over the book ``book.{depth}.{category}.{symbol}``.

        Yields a :class:`~mdgate.Book` after every applied snapshot or delta, once its
        ``seq``, ``u`` and checksum are verified. ``symbol="*"`` follows every symbol of the
        category (each ``Book`` names its ``symbol``). With ``conflate=True`` a slow reader
        gets only the newest book of those waiting (every message is still applied and
        verified).
        """
        return BookStream(self._new_sub(book_channel(category, symbol, depth), True, False, conflate))

    def trades(self, category: str, symbol: str, *, gaps: bool = False) -> EventStream:
        """Iterator over ``trades.{category}.{symbol}``: every trade's data dict."""
        return EventStream(self._new_sub(f"trades.{category}.{symbol}", False, gaps, False))

    def tickers(
        self, category: str, symbol: str, *, gaps: bool = False, conflate: bool = False
    ) -> EventStream:
        """Iterator over ``ticker.{category}.{symbol}``: the merged ticker after every update."""
        return EventStream(self._new_sub(f"ticker.{category}.{symbol}", False, gaps, conflate))

    def klines(
        self, category: str, symbol: str, interval: Union[str, int] = "1", *, gaps: bool = False
    ) -> EventStream:
        """Iterator over ``kline.{interval}.{category}.{symbol}``: every candle update."""
        return EventStream(
            self._new_sub(f"kline.{interval}.{category}.{symbol}", False, gaps, False)
        )

    def liquidations(self, category: str, symbol: str, *, gaps: bool = False) -> EventStream:
        """Iterator over ``liquidations.{category}.{symbol}``: every liquidation."""
        return EventStream(self._new_sub(f"liquidations.{category}.{symbol}", False, gaps, False))

    def subscribe(
        self, channel: str, *, gaps: bool = False, conflate: bool = False
    ) -> Union[BookStream, EventStream]:
        """An iterator over any channel name of docs/api.md (``book.*`` gives books)."""
        if channel.startswith("book."):
            return BookStream(self._new_sub(channel, True, False, conflate))
        return EventStream(self._new_sub(channel, False, gaps, conflate))

    async def ping(self) -> int:
        """Sends ``{"op":"ping"}`` and returns the gateway's ``ts`` (microseconds)."""
        answer = await self._request("ping", None, None)
        if answer.get("type") == "error":
            raise RequestError(None, str(answer.get("code")), str(answer.get("message", "")))
        return int(answer.get("ts", 0))

    # -- stream: internals ---------------------------------------------------------------

    def _new_sub(self, channel: str, is_book: bool, gaps: bool, conflate: bool) -> _Subscription:
        return _Subscription(self, channel, is_book=is_book, gaps=gaps, conflate=conflate)

    def _check_open(self) -> None:
        if self._closed is not None:
            raise self._closed
        if self._ws is None:
            if not self._want_stream:
                raise MdgateError("this client was made with stream=False")
            raise MdgateError("the client is not open: use `async with mdgate.connect(...)`")
        if self._closing:
            raise MdgateError("the client is closing")

    async def _send(self, message: Dict[str, Any]) -> None:
        try:
            await self._ws.send(json.dumps(message, separators=(",", ":")))
        except websockets.exceptions.ConnectionClosed as e:
            raise StreamClosed(e.code, e.reason) from e

    async def _request(
        self, op: str, channels: Optional[List[str]], pending_sub: Optional[_Subscription]
    ) -> Dict[str, Any]:
        self._check_open()
        rid = next(self._ids)
        fut: "asyncio.Future[Dict[str, Any]]" = asyncio.get_running_loop().create_future()
        self._pending[rid] = _Pending(op, fut, pending_sub)
        msg: Dict[str, Any] = {"op": op, "id": rid}
        if channels is not None:
            msg["channels"] = channels
        try:
            await self._send(msg)
            return await asyncio.wait_for(asyncio.shield(fut), self._request_timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no answer to {op} {channels or ''} within {self._request_timeout} s") from None
        finally:
            if not fut.done():
                # Answer never came: forget it; a late answer is ignored.
                p = self._pending.pop(rid, None)
                if p is not None and p.sub is not None and p.sub.state == "subscribing":
                    p.sub.state = "closed"

    async def _start(self, sub: _Subscription) -> None:
        if sub.state != "new":
            return
        try:
            self._check_open()
            if "*" not in sub.channel and sub.channel in self._routes:
                raise SubscriptionError(
                    sub.channel,
                    "already_subscribed",
                    "another iterator of this client holds the channel",
                )
            sub.state = "subscribing"
            self._live_subs.add(sub)
            answer = await self._request("subscribe", [sub.channel], sub)
            if answer.get("type") == "error":
                raise SubscriptionError(
                    None, str(answer.get("code")), str(answer.get("message", ""))
                )
            if not sub.channels and sub.errors:
                raise sub.errors[0]
        except BaseException as e:
            sub.failure = e if isinstance(e, Exception) else MdgateError("subscription cancelled")
            self._detach(sub)
            raise

    async def _close_sub(self, sub: _Subscription, discard: bool = False) -> None:
        channels = self._detach(sub, discard)
        if channels:
            await self._unsubscribe(channels)

    async def _unsubscribe(self, channels: List[str]) -> None:
        """Sends an unsubscribe whose answer nobody waits for."""
        if self._ws is None or self._closed is not None or self._closing:
            return
        try:
            rid = next(self._ids)
            self._pending[rid] = _Pending("unsubscribe", None)
            await self._send({"op": "unsubscribe", "id": rid, "channels": channels})
        except MdgateError:
            pass

    def _close_sub_soon(self, sub: _Subscription) -> None:
        """From ``__del__``: detach now, send the unsubscribe from a task."""
        if self._reader is None or self._reader.done():
            self._detach(sub)
            return
        loop = self._reader.get_loop()
        if loop.is_closed():
            return
        loop.call_soon_threadsafe(self._spawn_close, sub)

    def _spawn_close(self, sub: _Subscription) -> None:
        self._spawn(self._close_sub(sub))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _detach(self, sub: _Subscription, discard: bool = False) -> List[str]:
        was = sub.state
        if discard:  # aclose(): what was waiting is not delivered
            while not sub.queue.empty():
                sub.queue.get_nowait()
            sub.backlog.clear()
            sub.queue.put_nowait(_CLOSED)
        sub.state = "closed"
        self._live_subs.discard(sub)
        channels = [ch for ch in sub.channels if self._routes.get(ch) is sub]
        for ch in channels:
            del self._routes[ch]
        sub.channels.clear()
        if was != "closed" and not discard:
            sub.end()
        return channels

    # -- the reader task ------------------------------------------------------------------

    async def _read_loop(self) -> None:
        ws = self._ws
        try:
            async for raw in ws:
                if not isinstance(raw, str):
                    self.stats.bad_messages += 1
                    continue
                try:
                    msg = json.loads(raw)
                except ValueError:
                    self.stats.bad_messages += 1
                    continue
                if not isinstance(msg, dict):
                    self.stats.bad_messages += 1
                    continue
                try:
                    if "ch" in msg:
                        await self._on_data(msg)
                    else:
                        self._on_answer(msg)
                except (KeyError, TypeError, ValueError, ArithmeticError):
                    self.stats.bad_messages += 1
        except websockets.exceptions.ConnectionClosed:
            pass
        except asyncio.CancelledError:
            raise
        finally:
            code = ws.close_code if ws.close_code is not None else 1006
            reason = ws.close_reason or ""
            self._closed = StreamClosed(code, reason)
            self._shutdown_subs()

    def _shutdown_subs(self) -> None:
        assert self._closed is not None
        for rid, p in list(self._pending.items()):
            if p.future is not None and not p.future.done():
                p.future.set_exception(self._closed)
        self._pending.clear()
        for sub in list(self._live_subs):
            if self._closing:
                sub.end()
            else:
                sub.fail(self._closed)
            sub.state = "closed"
        self._live_subs.clear()
        self._routes.clear()

    def _on_answer(self, msg: Dict[str, Any]) -> None:
        rid = msg.get("id")
        p = self._pending.pop(rid, None) if isinstance(rid, int) else None
        typ = msg.get("type")
        if p is None:
            if typ == "error":
                self.stats.errors += 1
                self.last_error = msg
            return
        if p.op == "subscribe" and p.sub is not None and typ == "subscribed":
            self._route_answer(p.sub, msg)
        elif p.op == "resubscribe" and p.sub is not None:
            self._resubscribed(p.sub, p.channel or "", msg)
        if p.future is not None and not p.future.done():
            p.future.set_result(msg)

    def _route_answer(self, sub: _Subscription, msg: Dict[str, Any]) -> None:
        """Routes a subscription's channels before any of their data can arrive."""
        for err in msg.get("errors") or []:
            if isinstance(err, dict):
                sub.errors.append(
                    SubscriptionError(
                        err.get("channel"), str(err.get("code")), str(err.get("message", ""))
                    )
                )
        if sub.state != "subscribing":  # given up (timeout, cancelled) meanwhile: undo it
            given_up = [ch for ch in msg.get("channels") or [] if isinstance(ch, str)]
            if given_up:
                self._spawn(self._unsubscribe(given_up))
            return
        for ch in msg.get("channels") or []:
            if not isinstance(ch, str) or ch in self._routes:
                continue
            depth = sub.depth
            if sub.is_book:
                depth = int(_split_channel(ch)[3] or sub.depth or 0)
            sub.channels[ch] = _Channel(depth if sub.is_book else None)
            self._routes[ch] = sub
        sub.state = "active"

    def _resubscribed(self, sub: _Subscription, ch: str, msg: Dict[str, Any]) -> None:
        if self._routes.get(ch) is not sub:
            return
        state = sub.channels.get(ch)
        if state is None:
            return
        if msg.get("type") == "subscribed" and ch in (msg.get("channels") or []):
            state.waiting = False
            state.expect_seq = 1
            state.have_snapshot = False
            return
        if msg.get("type") == "error" and msg.get("code") == "rate_limited":
            return  # still waiting: the resubscription task tries again later
        if msg.get("type") == "error":
            err = SubscriptionError(ch, str(msg.get("code")), str(msg.get("message", "")))
        else:
            errs = [e for e in msg.get("errors") or [] if isinstance(e, dict)]
            e0 = errs[0] if errs else {"code": "not_subscribed", "message": "resubscription not confirmed"}
            err = SubscriptionError(ch, str(e0.get("code")), str(e0.get("message", "")))
        del self._routes[ch]
        del sub.channels[ch]
        sub.fail(err)

    async def _on_data(self, msg: Dict[str, Any]) -> None:
        ch = msg.get("ch")
        sub = self._routes.get(ch) if isinstance(ch, str) else None
        if sub is None or not isinstance(ch, str):
            self.stats.unrouted += 1
            return
        state = sub.channels[ch]
        if state.waiting:
            sub.count("dropped")
            return
        sub.count("messages")
        if sub.is_book:
            if self._on_book(sub, ch, state, msg):
                self._resubscribe(sub, ch, state)
        else:
            self._on_event(sub, ch, state, msg)

    def _on_event(self, sub: _Subscription, ch: str, state: _Channel, msg: Dict[str, Any]) -> None:
        seq = msg.get("seq")
        if not isinstance(seq, int):
            sub.count("bad_messages")
            return
        if seq != state.expect_seq:
            lost = max(0, seq - state.expect_seq)
            sub.count("gaps")
            sub.count("seq_gaps")
            sub.count("events_lost", lost)
            if sub.yield_gaps:
                sub.queue.put_nowait(Gap(ch, lost, seq, "seq"))
        state.expect_seq = seq + 1
        typ = msg.get("type")
        if typ == "gap":
            count = msg.get("lost")
            lost = count if isinstance(count, int) else 0
            sub.count("gap_messages")
            sub.count("events_lost", lost)
            if sub.yield_gaps:
                sub.queue.put_nowait(Gap(ch, lost, seq, "gateway"))
            return
        data = msg.get("data")
        if not isinstance(data, dict):
            sub.count("bad_messages")
            return
        sub.count("events")
        sub.queue.put_nowait(Event(data, channel=ch, seq=seq, type=str(typ)))

    def _on_book(self, sub: _Subscription, ch: str, state: _Channel, msg: Dict[str, Any]) -> bool:
        """Applies one book message; returns True when the channel must be resubscribed."""
        seq = msg.get("seq")
        if seq != state.expect_seq:
            sub.count("gaps")
            sub.count("seq_gaps")
            return True
        state.expect_seq = seq + 1
        typ = msg.get("type")
        book = state.book
        assert book is not None
        if typ == "gap":  # not expected on book channels: the book missed something
            sub.count("gap_messages")
            sub.count("gaps")
            sub.count("seq_gaps")
            return True
        try:
            u = msg["u"]
            if not isinstance(u, int):
                raise TypeError("u")
            if typ == "snapshot":
                book.apply_snapshot(msg.get("bids") or [], msg.get("asks") or [])
                state.have_snapshot = True
                sub.count("snapshots")
                if msg.get("conflated"):
                    sub.count("conflated")
            elif typ == "delta":
                if not state.have_snapshot:
                    raise ValueError("delta before a snapshot")
                if u < state.u:
                    sub.count("gaps")
                    sub.count("u_regressions")
                    return True
                book.apply_delta(msg.get("bids") or [], msg.get("asks") or [])
                sub.count("deltas")
            else:
                raise ValueError(f"unknown book message type {typ!r}")
            expected = msg["checksum"]
        except (KeyError, TypeError, ValueError, ArithmeticError):
            sub.count("gaps")
            sub.count("bad_messages")
            return True
        state.u = u
        if book.checksum() != expected:
            sub.count("gaps")
            sub.count("checksum_mismatches")
            return True
        state.failures = 0
        _, category, symbol, _ = _split_channel(ch)
        sub.queue.put_nowait(
            Book(
                channel=ch,
                category=category,
                symbol=symbol,
                depth=book.depth,
                u=u,
                seq=seq,
                cross_seq=msg.get("cross_seq") if isinstance(msg.get("cross_seq"), int) else None,
                state=str(msg.get("state") or ""),
                checksum=expected,
                ts_exchange=msg.get("ts_exchange"),
                ts_recv=msg.get("ts_recv"),
                kind=typ,
                conflated=bool(msg.get("conflated", False)),
                bids=book.bids.raw(),
                asks=book.asks.raw(),
            )
        )
        return False

    def _resubscribe(self, sub: _Subscription, ch: str, state: _Channel) -> None:
        """Starts the recovery of one channel: its data is dropped from now until the answer
        to a new subscription, whose first message must be a snapshot."""
        state.waiting = True
        state.have_snapshot = False
        sub.count("resubscribes")
        self._spawn(self._resubscribe_loop(sub, ch, state))

    async def _resubscribe_loop(self, sub: _Subscription, ch: str, state: _Channel) -> None:
        """Unsubscribe + subscribe until the gateway answers. The first try after a good book
        is immediate; repeated failures (gaps with no good book between them, no answer, or
        ``rate_limited``) wait 0.1 s, 0.2 s, ... up to 5 s, so a broken feed is not hammered."""
        while self._routes.get(ch) is sub and self._closed is None:
            state.failures += 1
            sid = next(self._ids)
            fut: "asyncio.Future[Dict[str, Any]]" = asyncio.get_running_loop().create_future()
            try:
                uid = next(self._ids)
                self._pending[uid] = _Pending("unsubscribe", None)
                await self._send({"op": "unsubscribe", "id": uid, "channels": [ch]})
                if state.failures > 1:
                    await asyncio.sleep(min(5.0, 0.1 * 2 ** (state.failures - 2)))
                    if self._routes.get(ch) is not sub or self._closed is not None:
                        return
                self._pending[sid] = _Pending("resubscribe", fut, sub, ch)
                await self._send({"op": "subscribe", "id": sid, "channels": [ch]})
                answer = await asyncio.wait_for(asyncio.shield(fut), self._request_timeout)
            except asyncio.TimeoutError:
                self._pending.pop(sid, None)  # no answer: try again
                continue
            except MdgateError:
                return  # the connection is going; the reader's end reports it
            if answer.get("type") != "error" or answer.get("code") != "rate_limited":
                return  # answered (the reader applied it); a later gap starts a new loop

    # -- HTTP API ---------------------------------------------------------------------------

    async def get(self, path: str, **params: Any) -> Any:
        """``GET {base}{path}?{params}`` and the parsed JSON body.

        ``None`` and ``False`` parameters are left out, ``True`` is sent as ``1``. A non-2xx
        answer raises :class:`ApiError`; an unreachable gateway :class:`TransportError`.
        """
        query = {k: v for k, v in ((k, _query_value(v)) for k, v in params.items()) if v is not None}
        url = self.http_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return await asyncio.to_thread(self._get_sync, url)

    def _get_sync(self, url: str) -> Any:
        req = urllib.request.Request(url, headers={**self._headers, "Accept": "application/json"})
        try:
            with self._opener.open(req, timeout=self._http_timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as e:
            try:
                body = e.read()
            finally:
                e.close()
            raise _api_error(e.code, body) from None
        except (urllib.error.URLError, OSError) as e:
            raise TransportError(f"GET {url}: {e}") from e
        try:
            return json.loads(body)
        except ValueError as e:
            raise ApiError(200, "bad_body", f"GET {url}: the body is not JSON") from e

    @staticmethod
    def _path(kind: str, category: str, symbol: str) -> str:
        q = urllib.parse.quote
        return f"/v1/{kind}/{q(category, safe='')}/{q(symbol, safe='')}"

    async def instruments(self) -> Dict[str, Any]:
        """``GET /v1/instruments``: every instrument with its channels and their state."""
        return await self.get("/v1/instruments")  # type: ignore[no-any-return]

    async def market(self, category: str, symbol: str, **params: Any) -> Dict[str, Any]:
        """``GET /v1/market/{category}/{symbol}``: ticker, book, trades, klines, open interest,
        funding, liquidations and channels in one read. ``params``: ``depth``,
        ``allow_stale``, ``trades``, ``interval``, ``limit``, ``liquidations``."""
        return await self.get(self._path("market", category, symbol), **params)  # type: ignore[no-any-return]

    async def book_rest(
        self, category: str, symbol: str, depth: Optional[int] = None, allow_stale: bool = False
    ) -> Dict[str, Any]:
        """``GET /v1/book/{category}/{symbol}``: one consistent version of the book."""
        return await self.get(  # type: ignore[no-any-return]
            self._path("book", category, symbol), depth=depth, allow_stale=allow_stale
        )

    async def ticker_rest(self, category: str, symbol: str) -> Dict[str, Any]:
        """``GET /v1/ticker/{category}/{symbol}``."""
        return await self.get(self._path("ticker", category, symbol))  # type: ignore[no-any-return]

    async def trades_rest(
        self, category: str, symbol: str, limit: Optional[int] = None
    ) -> Dict[str, Any]:
        """``GET /v1/trades/{category}/{symbol}``: the newest trades, newest first."""
        return await self.get(self._path("trades", category, symbol), limit=limit)  # type: ignore[no-any-return]

    async def klines_rest(
        self,
        category: str,
        symbol: str,
        interval: Optional[Union[str, int]] = None,
        limit: Optional[int] = None,
    ) -> Dict[str, Any]:
        """``GET /v1/klines/{category}/{symbol}``: candles, oldest first."""
        return await self.get(  # type: ignore[no-any-return]
            self._path("klines", category, symbol), interval=interval, limit=limit
        )

    async def liquidations_rest(
        self,
        category: str,
        symbol: str,
        since: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> Dict[str, Any]:
        """``GET /v1/liquidations/{category}/{symbol}``: newest first."""
        return await self.get(  # type: ignore[no-any-return]
            self._path("liquidations", category, symbol), since=since, limit=limit
        )

    async def open_interest(self, category: str, symbol: str) -> Dict[str, Any]:
        """``GET /v1/open-interest/{category}/{symbol}``: the value and its 5-minute history."""
        return await self.get(self._path("open-interest", category, symbol))  # type: ignore[no-any-return]

    async def openapi(self) -> Dict[str, Any]:
        """``GET /v1/openapi.json``."""
        return await self.get("/v1/openapi.json")  # type: ignore[no-any-return]


def connect(base_url: str, token: Optional[str] = None, **options: Any) -> Client:
    """A :class:`Client` for the gateway at ``base_url`` (``ws://``, ``wss://``, ``http://``
    or ``https://``; a path prefix is kept). Use it as ``async with connect(...) as c`` (or
    ``c = await connect(...)`` then ``await c.close()``).

    ``token`` is sent as ``Authorization: Bearer <token>`` on the stream and on HTTP calls.
    ``options``: ``stream`` (False: HTTP only, no WebSocket), ``max_size`` (largest stream
    message, bytes), ``open_timeout``, ``request_timeout`` (subscribe/ping answers),
    ``http_timeout``, ``ping_interval`` (WebSocket keepalive, None to disable) and ``ssl``
    (an ``ssl.SSLContext`` for ``wss``/``https``).
    """
    return Client(base_url, token, **options)

