"""The stream client against the fake gateway (tests/fake_gateway.py) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import unittest
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(__file__))
try:
    import mdgate
except ImportError:  # not installed: test the working tree's
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    import mdgate  # noqa: E402
from mdgate.client import _http_base, _stream_url  # noqa: E402

from fake_gateway import BookFeed, BookScript, FakeGateway, ListScript  # noqa: E402

BTC = "book.5.linear.BTCUSDT"
ETH = "book.5.linear.ETHUSDT"
TIMEOUT = 10.0


async def collect_books(
    stream: mdgate.BookStream, until: Any, limit: int = 1000
) -> List[mdgate.Book]:
    """Books from ``stream`` until ``until(book)`` is true."""
    books: List[mdgate.Book] = []

    async def run() -> None:
        async for book in stream:
            books.append(book)
            if until(book) or len(books) >= limit:
                return

    await asyncio.wait_for(run(), TIMEOUT)
    return books


class StreamTestCase(unittest.IsolatedAsyncioTestCase):
    def assert_books_true(self, feed: BookFeed, books: List[mdgate.Book]) -> None:
        """Every yielded book is exactly the truth at its ``u``."""
        for b in books:
            self.assertIn(b.u, feed.views, f"no truth at u={b.u}")
            bids, asks = feed.views[b.u]
            self.assertEqual(b.raw_bids(), bids, f"bids at u={b.u} seq={b.seq}")
            self.assertEqual(b.raw_asks(), asks, f"asks at u={b.u} seq={b.seq}")

    def book_gateway(
        self, faults: Optional[Dict[Tuple[int, int], str]] = None, deltas: int = 20, **kw: Any
    ) -> Tuple[FakeGateway, BookFeed]:
        feed = BookFeed(5, seed=7)
        gw = FakeGateway({BTC: BookScript(feed, deltas=deltas, faults=faults)}, **kw)
        return gw, feed


class BookStreamTest(StreamTestCase):
    async def test_follows_snapshot_and_deltas(self) -> None:
        gw, feed = self.book_gateway(deltas=40)
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.book("linear", "BTCUSDT", depth=5)
            books = await collect_books(stream, lambda b: b.seq == 41)
            self.assertEqual(len(books), 41)
            self.assertEqual(books[0].kind, "snapshot")
            self.assertEqual(books[0].cross_seq, books[0].u * 10)
            self.assertIsNone(books[1].cross_seq)
            self.assertEqual([b.seq for b in books], list(range(1, 42)))
            self.assertTrue(all(b.state == "live" for b in books))
            self.assertTrue(all(b2.u > b1.u for b1, b2 in zip(books, books[1:])))
            self.assert_books_true(feed, books)
            last = books[-1]
            self.assertEqual(last.u, feed.u)
            self.assertEqual((last.channel, last.category, last.symbol, last.depth), (BTC, "linear", "BTCUSDT", 5))
            self.assertIsInstance(last.ts_exchange, int)
            s = stream.stats
            self.assertEqual((s.snapshots, s.deltas, s.gaps, s.resubscribes), (1, 40, 0, 0))
            self.assertEqual(c.stats.deltas, 40)
            self.assertEqual(gw.ops("subscribe")[0]["channels"], [BTC])

    async def test_seq_gap_resubscribes_and_waits_for_the_snapshot(self) -> None:
        gw, feed = self.book_gateway(faults={(0, 5): "skip_seq"}, deltas=10)
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.book("linear", "BTCUSDT", depth=5)
            books = await collect_books(stream, lambda b: b.seq == 11 and gw.generations[BTC] == 2)
            # Generation 0: seq 1..5 yielded, seq 7 (skipped 6) not; generation 1: 1..11.
            self.assertEqual([b.seq for b in books], [1, 2, 3, 4, 5] + list(range(1, 12)))
            self.assertEqual(books[5].kind, "snapshot")
            self.assert_books_true(feed, books)
            self.assertEqual(books[-1].u, feed.u)
            s = stream.stats
            self.assertEqual((s.gaps, s.seq_gaps, s.resubscribes, s.checksum_mismatches), (1, 1, 1, 0))
            self.assertEqual(c.stats.gaps, 1)
            ops = [(m["op"], m["channels"]) for m in gw.ops() if m["op"] != "ping"]
            self.assertEqual(ops, [("subscribe", [BTC]), ("unsubscribe", [BTC]), ("subscribe", [BTC])])

    async def test_checksum_mismatch_wrong_levels(self) -> None:
        gw, feed = self.book_gateway(faults={(0, 4): "corrupt"}, deltas=8)
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.book("linear", "BTCUSDT", depth=5)
            books = await collect_books(stream, lambda b: b.seq == 9 and gw.generations[BTC] == 2)
            self.assertEqual([b.seq for b in books], [1, 2, 3, 4] + list(range(1, 10)))
            self.assert_books_true(feed, books)
            s = c.stats
            self.assertEqual((s.gaps, s.checksum_mismatches, s.resubscribes, s.seq_gaps), (1, 1, 1, 0))

    async def test_checksum_mismatch_wrong_checksum(self) -> None:
        gw, feed = self.book_gateway(faults={(0, 0): "bad_checksum", (1, 3): "bad_checksum"}, deltas=6)
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.book("linear", "BTCUSDT", depth=5)
            books = await collect_books(stream, lambda b: b.seq == 7 and gw.generations[BTC] == 3)
            # Generation 0 fails at its snapshot, 1 at its third delta, 2 is clean.
            self.assertEqual([b.seq for b in books], [1, 2, 3] + list(range(1, 8)))
            self.assert_books_true(feed, books)
            self.assertEqual((c.stats.checksum_mismatches, c.stats.resubscribes), (2, 2))

    async def test_u_going_back_is_a_gap(self) -> None:
        gw, feed = self.book_gateway(faults={(0, 3): "u_back"}, deltas=5)
        async with gw, mdgate.connect(gw.base_url) as c:
            books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 6 and gw.generations[BTC] == 2)
            self.assertEqual([b.seq for b in books], [1, 2, 3, 1, 2, 3, 4, 5, 6])
            self.assert_books_true(feed, books)
            self.assertEqual((c.stats.u_regressions, c.stats.gaps, c.stats.resubscribes), (1, 1, 1))

    async def test_delta_before_snapshot_is_a_gap(self) -> None:
        gw, feed = self.book_gateway(faults={(0, 0): "no_snapshot"}, deltas=3)
        async with gw, mdgate.connect(gw.base_url) as c:
            books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 4)
            self.assertEqual([b.seq for b in books], [1, 2, 3, 4])
            self.assertEqual(books[0].kind, "snapshot")
            self.assertEqual((c.stats.bad_messages, c.stats.resubscribes), (1, 1))

    async def test_gap_message_on_a_book_channel_resubscribes(self) -> None:
        gw, feed = self.book_gateway(faults={(0, 2): "gap"}, deltas=3)
        async with gw, mdgate.connect(gw.base_url) as c:
            books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 4)
            self.assertEqual([b.seq for b in books], [1, 2, 1, 2, 3, 4])
            self.assert_books_true(feed, books)
            self.assertEqual((c.stats.gap_messages, c.stats.resubscribes), (1, 1))

    async def test_conflated_snapshot_is_normal(self) -> None:
        gw, feed = self.book_gateway(faults={(0, 4): "conflated"}, deltas=8)
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.book("linear", "BTCUSDT", depth=5)
            books = await collect_books(stream, lambda b: b.seq == 9)
            self.assertEqual([b.seq for b in books], list(range(1, 10)))
            self.assertEqual(books[4].kind, "snapshot")
            self.assertTrue(books[4].conflated)
            self.assertFalse(books[0].conflated)
            self.assert_books_true(feed, books)
            s = stream.stats
            self.assertEqual((s.conflated, s.snapshots, s.gaps, s.resubscribes), (1, 2, 0, 0))

    async def test_state_only_delta(self) -> None:
        gw, feed = self.book_gateway(faults={(0, 2): "state_stale", (0, 3): "state_live"}, deltas=4)
        async with gw, mdgate.connect(gw.base_url) as c:
            books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 5)
            self.assertEqual([b.state for b in books], ["live", "live", "stale", "live", "live"])
            self.assertFalse(books[2].live)
            self.assertEqual(books[2].raw_bids(), books[1].raw_bids())
            self.assertEqual(c.stats.gaps, 0)

    async def test_many_faults_in_a_row(self) -> None:
        faults = {(0, 3): "skip_seq", (1, 2): "corrupt", (2, 5): "u_back", (3, 1): "conflated", (3, 4): "bad_checksum"}
        gw, feed = self.book_gateway(faults=faults, deltas=12)
        async with gw, mdgate.connect(gw.base_url) as c:
            books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 13 and gw.generations[BTC] == 5)
            self.assert_books_true(feed, books)
            self.assertEqual(books[-1].u, feed.u)
            s = c.stats
            self.assertEqual((s.gaps, s.resubscribes, s.seq_gaps, s.checksum_mismatches, s.u_regressions, s.conflated), (4, 4, 1, 2, 1, 1))

    async def test_slow_reader_with_conflate(self) -> None:
        gw, feed = self.book_gateway(deltas=200)
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.book("linear", "BTCUSDT", 5, conflate=True)
            seen = []
            async def run() -> None:
                async for b in stream:
                    seen.append(b)
                    if b.seq == 201:
                        return
                    await asyncio.sleep(0.01)
            await asyncio.wait_for(run(), TIMEOUT)
            self.assertLess(len(seen), 201)
            self.assertEqual(stream.stats.deltas, 200)
            self.assert_books_true(feed, seen)

    async def test_subscription_errors(self) -> None:
        gw, _ = self.book_gateway(channel_errors={"book.7.linear.BTCUSDT": "not_found"})
        async with gw, mdgate.connect(gw.base_url) as c:
            with self.assertRaises(mdgate.SubscriptionError) as cm:
                async for _ in c.book("linear", "NOPE", 5):
                    pass
            self.assertEqual(cm.exception.code, "unknown_instrument")
            self.assertEqual(cm.exception.channel, "book.5.linear.NOPE")
            stream = c.book("linear", "BTCUSDT", 7)
            with self.assertRaises(mdgate.SubscriptionError) as cm:
                await stream.start()
            self.assertEqual(cm.exception.code, "not_found")
            # The iterator stays failed.
            with self.assertRaises(mdgate.SubscriptionError):
                await stream.__anext__()
            # A request-level error (type: error).
            gw.request_errors.append("rate_limited")
            with self.assertRaises(mdgate.SubscriptionError) as cm:
                await c.trades("linear", "BTCUSDT").start()
            self.assertEqual((cm.exception.code, cm.exception.channel), ("rate_limited", None))
            # The connection is still usable.
            books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 3)
            self.assertEqual(len(books), 3)

    async def test_refused_resubscription_raises(self) -> None:
        gw, _ = self.book_gateway(faults={(0, 2): "skip_seq"}, deltas=5)
        gw.resubscribe_errors[BTC] = "unknown_instrument"
        async with gw, mdgate.connect(gw.base_url) as c:
            seen: List[mdgate.Book] = []
            with self.assertRaises(mdgate.SubscriptionError) as cm:
                async def run() -> None:
                    async for b in c.book("linear", "BTCUSDT", 5):
                        seen.append(b)
                await asyncio.wait_for(run(), TIMEOUT)
            self.assertEqual((cm.exception.code, cm.exception.channel), ("unknown_instrument", BTC))
            self.assertEqual([b.seq for b in seen], [1, 2])

    async def test_repeated_failures_are_paced(self) -> None:
        faults = {(g, 0): "bad_checksum" for g in range(4)}
        gw, feed = self.book_gateway(faults=faults, deltas=3)
        async with gw, mdgate.connect(gw.base_url) as c:
            t0 = asyncio.get_running_loop().time()
            books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 4)
            elapsed = asyncio.get_running_loop().time() - t0
            # Four bad snapshots in a row: resubscribed at once, then after 0.1, 0.2, 0.4 s.
            self.assertEqual([b.seq for b in books], [1, 2, 3, 4])
            self.assertEqual(gw.generations[BTC], 5)
            self.assertEqual((c.stats.checksum_mismatches, c.stats.resubscribes), (4, 4))
            self.assertGreaterEqual(elapsed, 0.65)
            self.assert_books_true(feed, books)

    async def test_resubscription_retried_when_rate_limited_or_unanswered(self) -> None:
        gw, feed = self.book_gateway(faults={(0, 2): "skip_seq", (1, 2): "skip_seq"}, deltas=4)
        # Subscribe requests: 1 first, 2 (after the first gap) refused, 3 retried, 4 (after
        # the second gap) not answered, 5 retried after request_timeout.
        gw.subscribe_plan = {2: "rate_limited", 4: "ignore"}
        async with gw, mdgate.connect(gw.base_url, request_timeout=0.3) as c:
            books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 5 and gw.generations[BTC] == 3)
            self.assertEqual([b.seq for b in books], [1, 2, 1, 2, 1, 2, 3, 4, 5])
            self.assertEqual(c.stats.resubscribes, 2)
            self.assertEqual(gw.subscribe_count, 5)
            self.assert_books_true(feed, books)

    async def test_local_duplicate_is_refused(self) -> None:
        gw, _ = self.book_gateway()
        async with gw, mdgate.connect(gw.base_url) as c:
            first = await c.book("linear", "BTCUSDT", 5).start()
            with self.assertRaises(mdgate.SubscriptionError) as cm:
                await c.book("linear", "BTCUSDT", 5).start()
            self.assertEqual(cm.exception.code, "already_subscribed")
            await first.aclose()
            # After aclose the channel can be taken again.
            books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 2)
            self.assertEqual(books[0].kind, "snapshot")


class ConcurrencyTest(StreamTestCase):
    async def test_several_iterators_on_one_connection(self) -> None:
        btc, eth = BookFeed(5, seed=1), BookFeed(5, seed=2, mid="3000")
        trades = [{"type": "trade", "data": {"id": str(i), "price": "65000.1", "size": "0.002", "side": "buy"}} for i in range(30)]
        gw = FakeGateway(
            {
                BTC: BookScript(btc, deltas=30, interval=0.001, faults={(0, 10): "skip_seq"}),
                ETH: BookScript(eth, deltas=30, interval=0.001),
                "trades.linear.BTCUSDT": ListScript(trades, interval=0.001),
            }
        )
        async with gw, mdgate.connect(gw.base_url) as c:
            b_stream = c.book("linear", "BTCUSDT", 5)
            e_stream = c.book("linear", "ETHUSDT", 5)
            t_stream = c.trades("linear", "BTCUSDT")

            async def trades_until_30() -> List[Dict[str, Any]]:
                out = []
                async for t in t_stream:
                    out.append(t)
                    if len(out) == 30:
                        return out
                return out

            b_books, e_books, got = await asyncio.wait_for(
                asyncio.gather(
                    collect_books(b_stream, lambda b: b.seq == 31 and gw.generations[BTC] == 2),
                    collect_books(e_stream, lambda b: b.seq == 31),
                    trades_until_30(),
                ),
                TIMEOUT,
            )
            self.assert_books_true(btc, b_books)
            self.assert_books_true(eth, e_books)
            self.assertTrue(all(b.symbol == "BTCUSDT" for b in b_books))
            self.assertTrue(all(b.symbol == "ETHUSDT" for b in e_books))
            self.assertEqual([t["id"] for t in got], [str(i) for i in range(30)])
            self.assertEqual((b_stream.stats.resubscribes, e_stream.stats.resubscribes), (1, 0))
            self.assertEqual(c.stats.resubscribes, 1)
            self.assertEqual(c.stats.unrouted, 0)

    async def test_wildcard_books(self) -> None:
        btc, eth = BookFeed(5, seed=1), BookFeed(5, seed=2, mid="3000")
        gw = FakeGateway({BTC: BookScript(btc, deltas=10), ETH: BookScript(eth, deltas=10, faults={(0, 4): "corrupt"})})
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.book("linear", "*", 5)
            last: Dict[str, int] = {}

            def done(b: mdgate.Book) -> bool:
                last[b.symbol] = b.seq
                return last.get("BTCUSDT") == 11 and last.get("ETHUSDT") == 11 and gw.generations[ETH] == 2

            books = await collect_books(stream, done)
            self.assertEqual(stream.channels, [BTC, ETH])
            self.assert_books_true(btc, [b for b in books if b.symbol == "BTCUSDT"])
            self.assert_books_true(eth, [b for b in books if b.symbol == "ETHUSDT"])
            self.assertEqual(stream.stats.resubscribes, 1)
            # Only the failing concrete channel was resubscribed.
            self.assertEqual(gw.ops("unsubscribe")[0]["channels"], [ETH])

    async def test_wildcard_conflated_keeps_every_symbol(self) -> None:
        btc, eth = BookFeed(5, seed=1), BookFeed(5, seed=2, mid="3000")
        gw = FakeGateway({BTC: BookScript(btc, deltas=150), ETH: BookScript(eth, deltas=150)})
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.book("linear", "*", 5, conflate=True)
            books: List[mdgate.Book] = []
            last: Dict[str, int] = {}

            async def run() -> None:
                async for b in stream:
                    books.append(b)
                    last[b.symbol] = b.seq
                    if last.get("BTCUSDT") == 151 and last.get("ETHUSDT") == 151:
                        return
                    await asyncio.sleep(0.01)

            await asyncio.wait_for(run(), TIMEOUT)
            self.assertLess(len(books), 302)
            self.assertEqual(stream.stats.deltas, 300)
            self.assert_books_true(btc, [b for b in books if b.symbol == "BTCUSDT"])
            self.assert_books_true(eth, [b for b in books if b.symbol == "ETHUSDT"])
            for sym in ("BTCUSDT", "ETHUSDT"):
                seqs = [b.seq for b in books if b.symbol == sym]
                self.assertEqual(seqs, sorted(seqs))

    async def test_break_unsubscribes(self) -> None:
        gw, _ = self.book_gateway(deltas=1000)
        gw.scripts[BTC].interval = 0.002  # type: ignore[attr-defined]
        async with gw, mdgate.connect(gw.base_url) as c:
            async for b in c.book("linear", "BTCUSDT", 5):
                if b.seq == 3:
                    break
            gc.collect()
            m = await gw.wait_for_request(lambda m: m.get("op") == "unsubscribe")
            self.assertEqual(m["channels"], [BTC])
            # The channel is free for a new iterator.
            books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 2)
            self.assertEqual(books[0].kind, "snapshot")

    async def test_async_with_stream(self) -> None:
        gw, _ = self.book_gateway(deltas=5)
        async with gw, mdgate.connect(gw.base_url) as c:
            async with c.book("linear", "BTCUSDT", 5) as stream:
                self.assertEqual(stream.channels, [BTC])
                b = await asyncio.wait_for(stream.__anext__(), TIMEOUT)
                self.assertEqual(b.seq, 1)
            await gw.wait_for_request(lambda m: m.get("op") == "unsubscribe")
            with self.assertRaises(StopAsyncIteration):
                await stream.__anext__()


class EventStreamTest(StreamTestCase):
    def trades(self, n: int, start: int = 0) -> List[Dict[str, Any]]:
        return [{"type": "trade", "data": {"id": str(i), "price": "1", "size": "2", "side": "sell"}} for i in range(start, start + n)]

    async def test_gap_messages(self) -> None:
        msgs = self.trades(3) + [{"type": "gap", "lost": 15}] + self.trades(2, 3)
        gw = FakeGateway({"trades.linear.BTCUSDT": ListScript(msgs)})
        async with gw, mdgate.connect(gw.base_url) as c:
            got: List[Any] = []
            async def run() -> None:
                async for e in c.trades("linear", "BTCUSDT", gaps=True):
                    got.append(e)
                    if len(got) == 6:
                        return
            await asyncio.wait_for(run(), TIMEOUT)
            self.assertIsInstance(got[3], mdgate.Gap)
            self.assertEqual(got[3], mdgate.Gap("trades.linear.BTCUSDT", 15, 4, "gateway"))
            ev = got[4]
            self.assertIsInstance(ev, mdgate.Event)
            self.assertIsInstance(ev, dict)
            self.assertEqual(ev["id"], "3")
            self.assertEqual((ev.channel, ev.seq, ev.type, ev.symbol, ev.category), ("trades.linear.BTCUSDT", 5, "trade", "BTCUSDT", "linear"))
            self.assertEqual((c.stats.gap_messages, c.stats.events_lost, c.stats.events, c.stats.resubscribes), (1, 15, 5, 0))

    async def test_gaps_are_counted_not_yielded_by_default(self) -> None:
        msgs = self.trades(2) + [{"type": "gap", "lost": 4}] + self.trades(2, 2)
        gw = FakeGateway({"trades.linear.BTCUSDT": ListScript(msgs)})
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.trades("linear", "BTCUSDT")
            got: List[Any] = []
            async def run() -> None:
                async for e in stream:
                    got.append(e)
                    if len(got) == 4:
                        return
            await asyncio.wait_for(run(), TIMEOUT)
            self.assertEqual([e["id"] for e in got], ["0", "1", "2", "3"])
            self.assertEqual((stream.stats.gap_messages, stream.stats.events_lost), (1, 4))

    async def test_seq_jump_on_an_event_channel(self) -> None:
        msgs = self.trades(4)
        msgs[2]["_seq_skip"] = 2
        gw = FakeGateway({"trades.linear.BTCUSDT": ListScript(msgs)})
        async with gw, mdgate.connect(gw.base_url) as c:
            got: List[Any] = []
            async def run() -> None:
                async for e in c.trades("linear", "BTCUSDT", gaps=True):
                    got.append(e)
                    if len(got) == 5:
                        return
            await asyncio.wait_for(run(), TIMEOUT)
            self.assertEqual(got[2], mdgate.Gap("trades.linear.BTCUSDT", 2, 5, "seq"))
            self.assertEqual([e.seq for e in got if isinstance(e, mdgate.Event)], [1, 2, 5, 6])
            self.assertEqual((c.stats.seq_gaps, c.stats.events_lost, c.stats.resubscribes), (1, 2, 0))

    async def test_wildcard_tickers_and_other_channels(self) -> None:
        def tick(px: str) -> Dict[str, Any]:
            return {"type": "ticker", "data": {"state": "live", "cross_seq": 1, "fields": {"last_price": px}}}

        gw = FakeGateway(
            {
                "ticker.linear.BTCUSDT": ListScript([tick("65000"), tick("65001")]),
                "ticker.linear.ETHUSDT": ListScript([tick("3000")]),
                "kline.1.linear.BTCUSDT": ListScript([{"type": "kline", "data": {"start": 1, "close": "5", "confirm": False}}]),
                "liquidations.linear.BTCUSDT": ListScript([{"type": "liquidation", "data": {"price": "64000", "size": "1.5", "side": "buy"}}]),
            }
        )
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.tickers("linear", "*")
            got: List[mdgate.Event] = []
            async def run() -> None:
                async for e in stream:
                    got.append(e)  # type: ignore[arg-type]
                    if len(got) == 3:
                        return
            await asyncio.wait_for(run(), TIMEOUT)
            self.assertEqual(stream.channels, ["ticker.linear.BTCUSDT", "ticker.linear.ETHUSDT"])
            by_symbol = sorted((e.symbol, e["fields"]["last_price"]) for e in got)
            self.assertEqual(by_symbol, [("BTCUSDT", "65000"), ("BTCUSDT", "65001"), ("ETHUSDT", "3000")])
            k = await asyncio.wait_for(c.klines("linear", "BTCUSDT", "1").__anext__(), TIMEOUT)
            self.assertEqual((k.type, k["close"]), ("kline", "5"))  # type: ignore[union-attr]
            liq = await asyncio.wait_for(c.liquidations("linear", "BTCUSDT").__anext__(), TIMEOUT)
            self.assertEqual((liq.type, liq["side"]), ("liquidation", "buy"))  # type: ignore[union-attr]
            sub = gw.ops("subscribe")
            self.assertEqual([m["channels"] for m in sub], [["ticker.linear.*"], ["kline.1.linear.BTCUSDT"], ["liquidations.linear.BTCUSDT"]])


class ConnectionTest(StreamTestCase):
    async def test_ping(self) -> None:
        async with FakeGateway() as gw, mdgate.connect(gw.base_url) as c:
            ts = await c.ping()
            self.assertGreater(ts, 1_600_000_000_000_000)
            self.assertEqual(gw.ops("ping")[0]["id"], 1)

    async def test_token_on_the_stream(self) -> None:
        gw, _ = self.book_gateway(token="s3cret")
        async with gw:
            with self.assertRaises(mdgate.ApiError) as cm:
                async with mdgate.connect(gw.base_url, token="wrong"):
                    pass
            self.assertEqual((cm.exception.status, cm.exception.code), (401, "unauthorized"))
            async with mdgate.connect(gw.base_url, token="s3cret") as c:
                books = await collect_books(c.book("linear", "BTCUSDT", 5), lambda b: b.seq == 2)
                self.assertEqual(len(books), 2)
            self.assertEqual(gw.stream_headers[-1]["authorization"], "Bearer s3cret")

    async def test_server_close_raises_stream_closed(self) -> None:
        gw, _ = self.book_gateway(deltas=10_000)
        gw.scripts[BTC].interval = 0.002  # type: ignore[attr-defined]
        async with gw, mdgate.connect(gw.base_url) as c:
            stream = c.book("linear", "BTCUSDT", 5)
            await asyncio.wait_for(stream.__anext__(), TIMEOUT)
            await gw.close_all(1008, "too slow")
            with self.assertRaises(mdgate.StreamClosed) as cm:
                await asyncio.wait_for(collect_books(stream, lambda b: False), TIMEOUT)
            self.assertEqual((cm.exception.code, cm.exception.reason), (1008, "too slow"))
            self.assertEqual(c.closed, cm.exception)
            with self.assertRaises(mdgate.StreamClosed):
                await c.trades("linear", "BTCUSDT").start()
            with self.assertRaises(mdgate.StreamClosed):
                await c.ping()

    async def test_too_many_subscribers(self) -> None:
        gw, _ = self.book_gateway(max_subscribers=0)
        async with gw, mdgate.connect(gw.base_url) as c:
            with self.assertRaises(mdgate.StreamClosed) as cm:
                async for _ in c.book("linear", "BTCUSDT", 5):
                    pass
            self.assertEqual((cm.exception.code, cm.exception.reason), (1013, "too many subscribers"))

    async def test_client_close_ends_iterators(self) -> None:
        gw, _ = self.book_gateway(deltas=10_000)
        gw.scripts[BTC].interval = 0.002  # type: ignore[attr-defined]
        async with gw:
            c = await mdgate.connect(gw.base_url)
            stream = c.book("linear", "BTCUSDT", 5)
            await asyncio.wait_for(stream.__anext__(), TIMEOUT)
            task = asyncio.ensure_future(collect_books(stream, lambda b: False))
            await asyncio.sleep(0.02)
            await c.close()
            books = await asyncio.wait_for(task, TIMEOUT)  # ends without an exception
            self.assertGreater(len(books), 0)

    async def test_refused_connection(self) -> None:
        async with FakeGateway() as gw:
            port = gw.port
        with self.assertRaises(mdgate.TransportError):
            async with mdgate.connect(f"ws://127.0.0.1:{port}"):
                pass

    async def test_not_opened(self) -> None:
        c = mdgate.connect("ws://127.0.0.1:1")
        with self.assertRaises(mdgate.MdgateError):
            await c.book("linear", "BTCUSDT").start()


class UrlTest(unittest.TestCase):
    def test_urls(self) -> None:
        self.assertEqual(_stream_url("ws://127.0.0.1:8080"), "ws://127.0.0.1:8080/v1/stream")
        self.assertEqual(_stream_url("http://127.0.0.1:8080/"), "ws://127.0.0.1:8080/v1/stream")
        self.assertEqual(_stream_url("https://gw.example/mdgate"), "wss://gw.example/mdgate/v1/stream")
        self.assertEqual(_stream_url("wss://[::1]:9/"), "wss://[::1]:9/v1/stream")
        self.assertEqual(_http_base("ws://127.0.0.1:8080"), "http://127.0.0.1:8080")
        self.assertEqual(_http_base("wss://gw.example/p/"), "https://gw.example/p")
        for bad in ("ftp://x", "127.0.0.1:8080", "ws://"):
            with self.assertRaises(ValueError):
                _stream_url(bad)


if __name__ == "__main__":
    unittest.main()
