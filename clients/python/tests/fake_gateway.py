"""A small fake of mdgate's data API for the client's tests (websockets 10.4 server API).

It speaks the protocol of docs/api.md on 127.0.0.1, port 0:

- ``/v1/stream``: ``subscribe`` (with ``*`` expansion), ``unsubscribe``, ``ping``; the
  ``subscribed`` answer goes before the channel's first data message; ``seq`` per channel
  from 1; close codes on demand;
- any other path: canned HTTP answers (``FakeGateway.http``), 404 ``not_found`` otherwise;
- a bearer token, when given, on both.

Book channels are served from a :class:`BookFeed`: a reference book deeper than the
channel's depth, changed at random, sent as a snapshot and then diffs of its top ``depth``
levels, as the gateway does (a level pushed out of view is sometimes not deleted: the client
must cut). Its checksum is computed here, independently of the client's code. Faults are
injected per (subscription generation, message index).
"""

from __future__ import annotations

import asyncio
import http
import json
import random
import time
import urllib.parse
import zlib
from decimal import Decimal
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Tuple

import websockets

Level = List[str]


def fmt(d: Decimal) -> str:
    """Canonical decimal text: no exponent, no trailing fractional zeros, no bare point."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def reference_checksum(bids: List[Level], asks: List[Level]) -> int:
    """docs/api.md's checksum, written out plainly (not the client's code)."""
    pieces: List[str] = []
    for i in range(25):
        if i < len(bids):
            pieces.append(bids[i][0] + ":" + bids[i][1])
        if i < len(asks):
            pieces.append(asks[i][0] + ":" + asks[i][1])
    return zlib.crc32(":".join(pieces).encode("ascii")) & 0xFFFFFFFF


class BookFeed:
    """The truth of one book channel and the messages that carry it."""

    def __init__(self, depth: int, seed: int = 1, mid: str = "65000", tick: str = "0.1") -> None:
        self.rng = random.Random(seed)
        self.depth = depth
        self.tick = Decimal(tick)
        self.mid = Decimal(mid)
        self.bids: Dict[Decimal, str] = {}
        self.asks: Dict[Decimal, str] = {}
        for i in range(1, depth * 2 + 3):
            self.bids[self.mid - self.tick * i] = self._size()
            self.asks[self.mid + self.tick * (i - 1)] = self._size()
        self.u = 1000
        self.state = "live"
        self.views: Dict[int, Tuple[List[Level], List[Level]]] = {}
        self._record()

    def _size(self) -> str:
        return fmt(Decimal(self.rng.randint(1, 5000)) / 1000)

    def view(self) -> Tuple[List[Level], List[Level]]:
        bids = [[fmt(p), self.bids[p]] for p in sorted(self.bids, reverse=True)[: self.depth]]
        asks = [[fmt(p), self.asks[p]] for p in sorted(self.asks)[: self.depth]]
        return bids, asks

    def _record(self) -> None:
        self.views[self.u] = self.view()

    def step(self) -> None:
        """A few random changes near the top, then a new ``u`` (1 to 3 higher)."""
        rng = self.rng
        for _ in range(rng.randint(1, 4)):
            bids = rng.random() < 0.5
            book = self.bids if bids else self.asks
            other = self.asks if bids else self.bids
            ordered = sorted(book, reverse=bids)
            r = rng.random()
            if r < 0.4 and ordered:
                book[rng.choice(ordered[: self.depth + 3])] = self._size()
            elif r < 0.7 and len(ordered) > self.depth + 2:
                del book[rng.choice(ordered[: self.depth + 3])]
            else:
                best_other = min(other) if bids else max(other)
                base = best_other - self.tick if bids else best_other + self.tick
                off = self.tick * rng.randint(0, self.depth + 2)
                price = base - off if bids else base + off
                book[price] = self._size()
        self.u += rng.randint(1, 3)
        self._record()

    def snapshot_msg(self, conflated: bool = False) -> Dict[str, Any]:
        bids, asks = self.view()
        return {
            "type": "snapshot",
            "u": self.u,
            "cross_seq": self.u * 10,
            "state": self.state,
            "ts_exchange": self.u * 1000,
            "ts_recv": int(time.time() * 1e6),
            "bids": bids,
            "asks": asks,
            "checksum": reference_checksum(bids, asks),
            "conflated": conflated,
        }

    def delta_msg(self, before: Tuple[List[Level], List[Level]]) -> Dict[str, Any]:
        bids, asks = self.view()
        return {
            "type": "delta",
            "u": self.u,
            "state": self.state,
            "ts_exchange": self.u * 1000,
            "ts_recv": int(time.time() * 1e6),
            "bids": self._diff(before[0], bids, self.bids),
            "asks": self._diff(before[1], asks, self.asks),
            "checksum": reference_checksum(bids, asks),
        }

    def _diff(self, old: List[Level], new: List[Level], full: Dict[Decimal, str]) -> List[Level]:
        o = {p: s for p, s in old}
        n = {p: s for p, s in new}
        out = [[p, s] for p, s in new if o.get(p) != s]
        for p in o:
            if p not in n:
                pushed_out = Decimal(p) in full
                if pushed_out and self.rng.random() < 0.5:
                    continue  # the client's cut to depth removes it
                out.append([p, "0"])
        self.rng.shuffle(out)
        return out


Script = Callable[[str, int], AsyncIterator[Dict[str, Any]]]


class BookScript:
    """Serves a :class:`BookFeed`: per subscription a snapshot, then ``deltas`` deltas.

    ``faults`` maps ``(generation, index)`` (index 0 is the snapshot) to one of
    ``skip_seq`` (the message's seq jumps by one), ``bad_checksum``, ``corrupt`` (a size in
    the delta is wrong, the checksum is the truth's), ``u_back`` (a delta whose ``u`` is lower
    than the previous one), ``conflated`` (a few versions are not sent, then a
    ``conflated: true`` snapshot), ``state_stale`` / ``state_live`` (a delta with no levels
    that only changes the state), ``no_snapshot`` (the first message is a delta), ``gap``
    (a ``type: gap`` message on the book channel).
    """

    def __init__(
        self,
        feed: BookFeed,
        deltas: int = 20,
        faults: Optional[Dict[Tuple[int, int], str]] = None,
        interval: float = 0.0,
        deltas_by_generation: Optional[Dict[int, int]] = None,
    ) -> None:
        self.feed = feed
        self.deltas = deltas
        self.faults = faults or {}
        self.interval = interval
        self.deltas_by_generation = deltas_by_generation or {}

    async def __call__(self, ch: str, generation: int) -> AsyncIterator[Dict[str, Any]]:
        feed = self.feed
        n = self.deltas_by_generation.get(generation, self.deltas)
        for index in range(n + 1):
            fault = self.faults.get((generation, index))
            if index == 0 and fault != "no_snapshot":
                msg = feed.snapshot_msg()
            else:
                before = feed.view()
                if fault == "state_stale":
                    feed.state = "stale"
                elif fault == "state_live":
                    feed.state = "live"
                elif fault == "conflated":
                    for _ in range(3):
                        feed.step()
                    feed.step()
                else:
                    feed.step()
                msg = feed.snapshot_msg(conflated=True) if fault == "conflated" else feed.delta_msg(before)
            if fault == "skip_seq":
                msg["_seq_skip"] = 1
            elif fault == "bad_checksum":
                msg["checksum"] ^= 1
            elif fault == "corrupt":
                bids = feed.view()[0]
                msg["bids"] = [lv for lv in msg["bids"] if lv[0] != bids[0][0]]
                msg["bids"].append([bids[0][0], fmt(Decimal(bids[0][1]) + 1)])
            elif fault == "u_back":
                msg["u"] = feed.u - 50
            elif fault == "gap":
                msg = {"type": "gap", "lost": 3}
            yield msg
            if self.interval:
                await asyncio.sleep(self.interval)
            else:
                await asyncio.sleep(0)


class ListScript:
    """Serves fixed messages: ``by_generation[g]`` (or ``messages``) per subscription."""

    def __init__(
        self,
        messages: List[Dict[str, Any]],
        by_generation: Optional[Dict[int, List[Dict[str, Any]]]] = None,
        interval: float = 0.0,
    ) -> None:
        self.messages = messages
        self.by_generation = by_generation or {}
        self.interval = interval

    async def __call__(self, ch: str, generation: int) -> AsyncIterator[Dict[str, Any]]:
        for m in self.by_generation.get(generation, self.messages):
            yield dict(m)
            await asyncio.sleep(self.interval)


class _Conn:
    def __init__(self, ws: Any, conn_id: int) -> None:
        self.ws = ws
        self.id = conn_id
        self.tasks: Dict[str, "asyncio.Task[None]"] = {}


class FakeGateway:
    """``async with FakeGateway(...) as gw``: ``gw.base_url``, ``gw.requests``, ``gw.http``."""

    def __init__(
        self,
        scripts: Optional[Dict[str, Script]] = None,
        *,
        token: Optional[str] = None,
        channel_errors: Optional[Dict[str, str]] = None,
        max_subscribers: int = 100,
    ) -> None:
        self.scripts: Dict[str, Script] = dict(scripts or {})
        self.token = token
        self.channel_errors = dict(channel_errors or {})  # channel -> error code
        self.max_subscribers = max_subscribers
        self.request_errors: List[str] = []  # next subscribe answers: type error with code
        # Per subscribe request (1-based count): "ignore" (no answer) or a type-error code.
        self.subscribe_plan: Dict[int, str] = {}
        self.subscribe_count = 0
        self.resubscribe_errors: Dict[str, str] = {}  # channel -> code on its 2nd+ subscribe
        self.http: Dict[str, Tuple[int, Any]] = {}
        self.http_requests: List[Tuple[str, Dict[str, str]]] = []
        self.requests: List[Tuple[int, Dict[str, Any]]] = []
        self.stream_headers: List[Dict[str, str]] = []
        self.generations: Dict[str, int] = {}
        self.conns: List[_Conn] = []
        self.request_event = asyncio.Event()
        self._server: Any = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def __aenter__(self) -> "FakeGateway":
        self._server = await websockets.serve(
            self._handler, "127.0.0.1", 0, process_request=self._process_request
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        # websockets 10.4 cannot close(1001) a connection that got a plain HTTP answer and is
        # still closing its TCP side: let those finish first.
        for _ in range(200):
            if all(hasattr(p, "transfer_data_task") for p in self._server.websockets):
                break
            await asyncio.sleep(0.005)
        self._server.close()
        await self._server.wait_closed()

    def ops(self, op: Optional[str] = None) -> List[Dict[str, Any]]:
        return [m for _, m in self.requests if op is None or m.get("op") == op]

    async def wait_for_request(self, pred: Callable[[Dict[str, Any]], bool], timeout: float = 5) -> Dict[str, Any]:
        async def loop() -> Dict[str, Any]:
            while True:
                for _, m in self.requests:
                    if pred(m):
                        return m
                self.request_event.clear()
                await self.request_event.wait()

        return await asyncio.wait_for(loop(), timeout)

    async def close_all(self, code: int, reason: str) -> None:
        for c in self.conns:
            await c.ws.close(code, reason)

    # -- HTTP --------------------------------------------------------------------------

    async def _process_request(self, path: str, headers: Any) -> Any:
        hdrs = {k.lower(): v for k, v in headers.raw_items()}
        if self.token is not None and hdrs.get("authorization") != f"Bearer {self.token}":
            return http.HTTPStatus.UNAUTHORIZED, [("Content-Type", "text/plain")], b"unauthorized\n"
        if path.split("?")[0] == "/v1/stream":
            self.stream_headers.append(hdrs)
            return None
        self.http_requests.append((path, hdrs))
        route = urllib.parse.urlsplit(path).path
        status, body = self.http.get(
            route, (404, {"error": {"code": "not_found", "message": f"no such path {route}"}})
        )
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        ctype = "text/plain" if isinstance(body, bytes) else "application/json"
        return http.HTTPStatus(status), [("Content-Type", ctype)], raw

    # -- the stream --------------------------------------------------------------------

    async def _handler(self, ws: Any) -> None:
        conn = _Conn(ws, len(self.conns) + 1)
        self.conns.append(conn)
        if sum(1 for c in self.conns if not c.ws.closed) > self.max_subscribers:
            await ws.close(1013, "too many subscribers")
            return
        try:
            async for raw in ws:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    await self._send(conn, {"type": "error", "id": None, "code": "bad_request", "message": "not JSON"})
                    continue
                self.requests.append((conn.id, msg))
                self.request_event.set()
                await self._on_request(conn, msg)
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            for t in conn.tasks.values():
                t.cancel()

    async def _send(self, conn: _Conn, msg: Dict[str, Any]) -> None:
        await conn.ws.send(json.dumps(msg))

    def _expand(self, ch: str) -> List[str]:
        if ch.endswith(".*"):
            prefix = ch[:-1]
            return sorted(c for c in self.scripts if c.startswith(prefix))
        return [ch]

    async def _on_request(self, conn: _Conn, msg: Dict[str, Any]) -> None:
        rid = msg.get("id")
        op = msg.get("op")
        if op == "ping":
            await self._send(conn, {"type": "pong", "id": rid, "ts": int(time.time() * 1e6)})
            return
        channels = msg.get("channels")
        if op not in ("subscribe", "unsubscribe") or not isinstance(channels, list):
            await self._send(conn, {"type": "error", "id": rid, "code": "bad_request", "message": "bad op or channels"})
            return
        if op == "subscribe":
            self.subscribe_count += 1
            plan = self.subscribe_plan.get(self.subscribe_count)
            if plan == "ignore":
                return
            if plan is not None:
                await self._send(conn, {"type": "error", "id": rid, "code": plan, "message": plan})
                return
        if op == "subscribe" and self.request_errors:
            code = self.request_errors.pop(0)
            await self._send(conn, {"type": "error", "id": rid, "code": code, "message": code})
            return
        ok: List[str] = []
        errors: List[Dict[str, str]] = []
        if op == "subscribe":
            for req in channels:
                if req in self.channel_errors:
                    errors.append({"channel": req, "code": self.channel_errors[req], "message": "refused"})
                    continue
                expanded = self._expand(req)
                if not expanded or any(c not in self.scripts for c in expanded):
                    errors.append({"channel": req, "code": "unknown_instrument", "message": "no such instrument"})
                    continue
                for ch in expanded:
                    if ch in conn.tasks:
                        errors.append({"channel": ch, "code": "already_subscribed", "message": "already"})
                    elif ch in self.resubscribe_errors and self.generations.get(ch, 0) > 0:
                        errors.append({"channel": ch, "code": self.resubscribe_errors[ch], "message": "refused now"})
                    else:
                        ok.append(ch)
            await self._send(conn, {"type": "subscribed", "id": rid, "channels": ok, "errors": errors})
            for ch in ok:
                gen = self.generations.get(ch, 0)
                self.generations[ch] = gen + 1
                conn.tasks[ch] = asyncio.get_running_loop().create_task(self._feed(conn, ch, gen))
        else:
            for ch in channels:
                task = conn.tasks.pop(ch, None)
                if task is None:
                    errors.append({"channel": ch, "code": "not_subscribed", "message": "not subscribed"})
                else:
                    task.cancel()
                    ok.append(ch)
            await self._send(conn, {"type": "unsubscribed", "id": rid, "channels": ok, "errors": errors})

    async def _feed(self, conn: _Conn, ch: str, generation: int) -> None:
        seq = 0
        try:
            async for msg in self.scripts[ch](ch, generation):
                seq += 1 + msg.pop("_seq_skip", 0)
                out = {"type": msg.pop("type"), "ch": ch, "seq": seq}
                out.update(msg)
                await self._send(conn, out)
        except (asyncio.CancelledError, websockets.exceptions.ConnectionClosed):
            pass
