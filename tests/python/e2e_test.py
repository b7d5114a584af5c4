"""End to end: the Python client follows books through `mdgate run` fed by `mdgate sim`.

run_e2e.sh starts the simulator and the gateway and runs this with their URLs. Then:

1. wait until the gateway's API serves every book live; a wrong token is refused (401);
2. follow both books (depth 50) with `mdgate.connect`, plus trades and `ticker.linear.*`;
3. faults at the venue: a TCP reset of every connection, a skipped update on one book, a
   venue restart (books start again at u = 1); after each, wait until both books are live
   and moving again;
4. pause the market; wait until the client's books stop changing and are live; then each
   must equal the simulator's truth (`/sim/truth/book`: same u, same levels as decimals, cut
   to the depth), the gateway's `GET /v1/book` (same strings, same checksum), and
   `GET /v1/market` must give a ticker, that live book and trades.

The client itself verifies seq, u and the checksum of every book message; the gateway must
never make it find a gap (`stats.gaps == 0`): conflated snapshots are allowed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.request
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

import mdgate

T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:7.2f}s] {msg}", flush=True)


class Failure(Exception):
    pass


def check(cond: bool, what: str) -> None:
    if not cond:
        raise Failure(what)


def http_json(url: str, body: Optional[Dict[str, Any]] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=10) as resp:
        return json.loads(resp.read())


class Follower:
    """Follows one book channel; keeps what the tests look at."""

    def __init__(self, client: mdgate.Client, category: str, symbol: str, depth: int) -> None:
        self.symbol = symbol
        self.stream = client.book(category, symbol, depth)
        self.book: Optional[mdgate.Book] = None
        self.count = 0
        self.last_change = time.monotonic()
        self.states: List[str] = []  # every state change, in order
        self.u_back_on_snapshot = 0  # snapshots whose u was below the previous book's
        self.error: Optional[BaseException] = None

    async def run(self) -> None:
        try:
            async for book in self.stream:
                prev = self.book
                if prev is not None and book.u < prev.u:
                    # The client would have refused a delta going back; this is a snapshot.
                    check(book.kind == "snapshot", f"{self.symbol}: u went back on a {book.kind}")
                    self.u_back_on_snapshot += 1
                if prev is None or prev.state != book.state:
                    self.states.append(book.state)
                self.book = book
                self.count += 1
                self.last_change = time.monotonic()
        except BaseException as e:  # reported by the main task
            self.error = e
            raise


async def wait_for(what: str, cond: Any, timeout: float, followers: List[Follower]) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        for f in followers:
            if f.error is not None:
                raise Failure(f"{f.symbol}: the book iterator failed: {f.error!r}")
        if time.monotonic() > deadline:
            detail = "; ".join(
                f"{f.symbol}: {f.count} books, state {f.book.state if f.book else None}, "
                f"u {f.book.u if f.book else None}, stats {f.stream.stats.as_dict()}"
                for f in followers
            )
            raise Failure(f"timed out waiting for {what} ({detail})")
        await asyncio.sleep(0.05)


async def live_and_moving(what: str, followers: List[Follower], n: int = 20, timeout: float = 40) -> None:
    """Waits until every book has had ``n`` more messages and is live."""
    start = {f.symbol: f.count for f in followers}
    await wait_for(
        what,
        lambda: all(f.count >= start[f.symbol] + n and f.book is not None and f.book.live for f in followers),
        timeout,
        followers,
    )
    log(f"{what}: live and moving (" + ", ".join(f"{f.symbol} u={f.book.u}" for f in followers if f.book) + ")")


def as_decimal_levels(levels: List[List[str]], depth: int) -> List[Tuple[Decimal, Decimal]]:
    return [(Decimal(p), Decimal(s)) for p, s in levels[:depth]]


async def wait_gateway_ready(base: str, token: str, symbols: List[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: Any = None
    async with mdgate.connect(base, token=token, stream=False) as c:
        while time.monotonic() < deadline:
            try:
                inst = await c.instruments()
                live = set()
                for i in inst.get("instruments", []):
                    for ch in i.get("channels", []):
                        if ch.get("channel") == "orderbook" and ch.get("state") == "live":
                            live.add(i.get("symbol"))
                if all(s in live for s in symbols):
                    return
                last = f"live books: {sorted(live)}"
            except mdgate.ApiError as e:
                if e.status == 404:  # the route is there as soon as the port file is written
                    raise Failure(f"GET /v1/instruments: {e} (does this gateway serve the data API?)")
                last = e
            except mdgate.MdgateError as e:
                last = e
            await asyncio.sleep(0.2)
    raise Failure(f"the gateway's API did not serve live books within {timeout} s (last: {last})")


async def main(args: argparse.Namespace) -> None:
    symbols = args.symbols.split(",")
    category, depth = args.category, args.depth
    sim = args.sim.rstrip("/")

    def control(action: Dict[str, Any]) -> None:
        answer = http_json(f"{sim}/sim/control", action)
        check(answer.get("ok") is True, f"sim refused {action}: {answer}")
        log(f"sim: {action}")

    log("waiting for the gateway's API")
    await wait_gateway_ready(args.gateway, args.token, symbols, 60)

    # A wrong token is refused on both the stream and HTTP.
    if args.token:
        for stream in (True, False):
            try:
                async with mdgate.connect(args.gateway, token=args.token + "x", stream=stream) as bad:
                    await bad.instruments()
                raise Failure("a wrong token was accepted")
            except mdgate.ApiError as e:
                check(e.status == 401, f"wrong token: expected 401, got {e}")
        log("a wrong token is refused (401) on the stream and on HTTP")

    async with mdgate.connect(args.gateway, token=args.token) as c:
        followers = [Follower(c, category, s, depth) for s in symbols]
        trades = c.trades(category, symbols[0])
        tickers = c.tickers(category, "*")
        await asyncio.gather(*(f.stream.start() for f in followers), trades.start(), tickers.start())
        check(sorted(tickers.channels) == sorted(f"ticker.{category}.{s}" for s in symbols),
              f"ticker.{category}.* expanded to {tickers.channels}")
        events: Dict[str, int] = {"trades": 0, "tickers": 0}
        ticker_symbols = set()

        async def count_trades() -> None:
            async for _ in trades:
                events["trades"] += 1

        async def count_tickers() -> None:
            async for t in tickers:
                events["tickers"] += 1
                ticker_symbols.add(t.symbol)  # type: ignore[union-attr]

        tasks = [asyncio.ensure_future(f.run()) for f in followers]
        tasks += [asyncio.ensure_future(count_trades()), asyncio.ensure_future(count_tickers())]
        try:
            await live_and_moving("start", followers, n=50)

            control({"action": "drop", "connection": "all", "mode": "reset"})
            await asyncio.sleep(1.0)
            await live_and_moving("after a TCP reset of the venue connections", followers)

            control({"action": "skip_update", "category": category, "topic": f"orderbook.{depth}.{symbols[0]}"})
            await asyncio.sleep(1.0)
            await live_and_moving(f"after a skipped update on {symbols[0]}", followers)

            before = {f.symbol: f.u_back_on_snapshot for f in followers}
            control({"action": "restart"})
            await wait_for(
                "the restart's snapshots (u back to 1)",
                lambda: all(f.u_back_on_snapshot > before[f.symbol] for f in followers),
                30,
                followers,
            )
            await live_and_moving("after a venue restart", followers)

            control({"action": "pause"})
            await wait_for(
                "the books to stop changing, live",
                lambda: all(time.monotonic() - f.last_change > 1.5 and f.book is not None and f.book.live for f in followers),
                30,
                followers,
            )
            log("books are quiet and live")

            for f in followers:
                book = f.book
                assert book is not None
                topic = f"orderbook.{depth}.{f.symbol}"
                truth = http_json(f"{sim}/sim/truth/book?category={category}&topic={topic}")
                mine = book.levels(n=depth)
                assert isinstance(mine, dict)
                for side in ("bids", "asks"):
                    theirs = as_decimal_levels(truth[side], depth)
                    check(mine[side] == theirs,
                          f"{f.symbol} {side} differ from the truth:\n client {mine[side][:5]}...\n truth  {theirs[:5]}...")
                check(len(mine["bids"]) > 0 and len(mine["asks"]) > 0, f"{f.symbol}: an empty side")
                check(book.u == truth["u"], f"{f.symbol}: u {book.u} != the truth's {truth['u']}")
                log(f"{f.symbol}: the client's book equals the simulator's truth "
                    f"(u={book.u}, {len(mine['bids'])}+{len(mine['asks'])} levels, best {book.best_bid()} / {book.best_ask()})")

                rest = await c.book_rest(category, f.symbol, depth=depth)
                check(rest["state"] == "live", f"{f.symbol}: GET /v1/book state {rest['state']}")
                check(rest["bids"] == book.raw_bids() and rest["asks"] == book.raw_asks(),
                      f"{f.symbol}: GET /v1/book levels differ from the stream's")
                check(rest["u"] == book.u, f"{f.symbol}: GET /v1/book u {rest['u']} != {book.u}")
                check(rest["checksum"] == book.checksum == mdgate.book_checksum(rest["bids"], rest["asks"]),
                      f"{f.symbol}: checksums differ: rest {rest['checksum']}, stream {book.checksum}")

                m = await c.market(category, f.symbol)
                check(m.get("symbol") == f.symbol and m.get("category") == category, f"market: names {m.get('category')}/{m.get('symbol')}")
                check(isinstance(m.get("ticker"), dict) and isinstance(m["ticker"].get("fields"), dict),
                      f"{f.symbol}: market has no ticker: {m.get('ticker')!r}")
                check(isinstance(m.get("book"), dict) and m["book"].get("state") == "live",
                      f"{f.symbol}: market's book is not live: {(m.get('book') or {}).get('state')!r}")
                check(m["book"]["bids"] == book.raw_bids() and m["book"]["asks"] == book.raw_asks(),
                      f"{f.symbol}: market's book differs from the stream's")
                check(isinstance(m.get("trades"), list) and len(m["trades"]) > 0, f"{f.symbol}: market has no trades")
                log(f"{f.symbol}: GET /v1/book and /v1/market agree (ticker last_price "
                    f"{m['ticker']['fields'].get('last_price')}, {len(m['trades'])} trades)")

            s = c.stats
            log(f"client stats: {s.as_dict()}")
            log("states seen: " + "; ".join(f"{f.symbol} {' -> '.join(f.states)}" for f in followers))
            check(s.gaps == 0, f"the client found {s.gaps} gaps (seq {s.seq_gaps}, checksum {s.checksum_mismatches}, "
                               f"u {s.u_regressions}, bad {s.bad_messages}): the gateway must never cause one")
            check(events["trades"] > 0, "no trade arrived on the stream")
            check(ticker_symbols == set(symbols), f"tickers arrived for {sorted(ticker_symbols)} only")
            log(f"events: {events}")
            control({"action": "resume"})
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    log("PASS")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sim", required=True, help="the simulator's base URL, http://127.0.0.1:PORT")
    p.add_argument("--gateway", required=True, help="the gateway's base URL, http://127.0.0.1:PORT")
    p.add_argument("--token", default="", help="the gateway's bearer token")
    p.add_argument("--symbols", default="BTCUSDT,ETHUSDT")
    p.add_argument("--category", default="linear")
    p.add_argument("--depth", type=int, default=50)
    args = p.parse_args()
    try:
        asyncio.run(main(args))
    except Failure as e:
        log(f"FAIL: {e}")
        sys.exit(1)
