"""The HTTP helpers against the fake gateway's canned answers."""

from __future__ import annotations

import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
try:
    import mdgate
except ImportError:  # not installed: test the working tree's
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    import mdgate  # noqa: E402

from fake_gateway import FakeGateway  # noqa: E402

MARKET = {
    "venue": "bybit",
    "category": "linear",
    "symbol": "BTCUSDT",
    "ts_recv": 1765000000125311,
    "ticker": {"state": "live", "fields": {"last_price": "65000.1"}},
    "book": {"u": 5, "state": "live", "bids": [["65000.1", "0.5"]], "asks": [["65000.2", "0.1"]], "checksum": 1},
    "trades": [{"id": "a", "price": "65000.1", "size": "0.002", "side": "buy"}],
}


class HttpTest(unittest.IsolatedAsyncioTestCase):
    async def test_market_and_params(self) -> None:
        async with FakeGateway(token="tok") as gw:
            gw.http["/v1/market/linear/BTCUSDT"] = (200, MARKET)
            async with mdgate.connect(gw.base_url, token="tok") as c:
                m = await c.market("linear", "BTCUSDT", depth=50, allow_stale=True, trades=10, interval=None)
                self.assertEqual(m, MARKET)
                path, headers = gw.http_requests[-1]
                parts = urllib.parse.urlsplit(path)
                self.assertEqual(parts.path, "/v1/market/linear/BTCUSDT")
                self.assertEqual(urllib.parse.parse_qs(parts.query), {"depth": ["50"], "allow_stale": ["1"], "trades": ["10"]})
                self.assertEqual(headers["authorization"], "Bearer tok")

    async def test_every_helper_hits_its_path(self) -> None:
        async with FakeGateway() as gw:
            for p in (
                "/v1/instruments",
                "/v1/book/linear/BTCUSDT",
                "/v1/ticker/linear/BTCUSDT",
                "/v1/trades/linear/BTCUSDT",
                "/v1/klines/linear/BTCUSDT",
                "/v1/liquidations/linear/BTCUSDT",
                "/v1/open-interest/linear/BTCUSDT",
                "/v1/openapi.json",
            ):
                gw.http[p] = (200, {"path": p})
            async with mdgate.connect(gw.base_url, stream=False) as c:
                self.assertEqual((await c.instruments())["path"], "/v1/instruments")
                self.assertEqual((await c.book_rest("linear", "BTCUSDT", depth=10))["path"], "/v1/book/linear/BTCUSDT")
                self.assertEqual(gw.http_requests[-1][0], "/v1/book/linear/BTCUSDT?depth=10")
                self.assertEqual((await c.ticker_rest("linear", "BTCUSDT"))["path"], "/v1/ticker/linear/BTCUSDT")
                await c.trades_rest("linear", "BTCUSDT", limit=5)
                self.assertEqual(gw.http_requests[-1][0], "/v1/trades/linear/BTCUSDT?limit=5")
                await c.klines_rest("linear", "BTCUSDT", interval="D", limit=3)
                self.assertEqual(gw.http_requests[-1][0], "/v1/klines/linear/BTCUSDT?interval=D&limit=3")
                await c.liquidations_rest("linear", "BTCUSDT", since=7)
                self.assertEqual(gw.http_requests[-1][0], "/v1/liquidations/linear/BTCUSDT?since=7")
                self.assertEqual((await c.open_interest("linear", "BTCUSDT"))["path"], "/v1/open-interest/linear/BTCUSDT")
                self.assertEqual((await c.openapi())["path"], "/v1/openapi.json")
                # stream=False: no WebSocket was opened.
                self.assertEqual(gw.stream_headers, [])
                with self.assertRaises(mdgate.MdgateError):
                    await c.book("linear", "BTCUSDT").start()

    async def test_error_bodies(self) -> None:
        async with FakeGateway() as gw:
            gw.http["/v1/market/linear/BTCUSDT"] = (
                503,
                {"error": {"code": "book_not_live", "message": "the book is resyncing", "state": "resyncing"}},
            )
            gw.http["/v1/book/linear/BTCUSDT"] = (400, {"error": {"code": "bad_parameter", "message": "depth must be 1..1000"}})
            gw.http["/v1/ticker/nope/BTCUSDT"] = (400, {"error": {"code": "bad_category", "message": "no such category"}})
            async with mdgate.connect(gw.base_url, stream=False) as c:
                with self.assertRaises(mdgate.ApiError) as cm:
                    await c.market("linear", "BTCUSDT")
                e = cm.exception
                self.assertEqual((e.status, e.code, e.message, e.state), (503, "book_not_live", "the book is resyncing", "resyncing"))
                with self.assertRaises(mdgate.ApiError) as cm:
                    await c.book_rest("linear", "BTCUSDT", depth=5000)
                self.assertEqual((cm.exception.status, cm.exception.code), (400, "bad_parameter"))
                self.assertIsNone(cm.exception.state)
                with self.assertRaises(mdgate.ApiError) as cm:
                    await c.ticker_rest("nope", "BTCUSDT")
                self.assertEqual(cm.exception.code, "bad_category")
                with self.assertRaises(mdgate.ApiError) as cm:
                    await c.get("/v1/unknown")
                self.assertEqual((cm.exception.status, cm.exception.code), (404, "not_found"))

    async def test_unauthorized_plain_text(self) -> None:
        async with FakeGateway(token="tok") as gw:
            gw.http["/v1/instruments"] = (200, {"instruments": []})
            async with mdgate.connect(gw.base_url, token="bad", stream=False) as c:
                with self.assertRaises(mdgate.ApiError) as cm:
                    await c.instruments()
                self.assertEqual((cm.exception.status, cm.exception.code, cm.exception.message), (401, "unauthorized", "unauthorized"))
            async with mdgate.connect(gw.base_url, stream=False) as c:
                with self.assertRaises(mdgate.ApiError):
                    await c.instruments()
            async with mdgate.connect("http://127.0.0.1:%d" % gw.port, token="tok", stream=False) as c:
                self.assertEqual(await c.instruments(), {"instruments": []})

    async def test_unreachable(self) -> None:
        async with FakeGateway() as gw:
            port = gw.port
        async with mdgate.connect(f"http://127.0.0.1:{port}", stream=False, http_timeout=2) as c:
            with self.assertRaises(mdgate.TransportError):
                await c.instruments()

    async def test_symbol_is_quoted(self) -> None:
        async with FakeGateway() as gw:
            async with mdgate.connect(gw.base_url, stream=False) as c:
                with self.assertRaises(mdgate.ApiError):
                    await c.market("option", "BTC-26DEC25/100000-C")
            self.assertEqual(gw.http_requests[-1][0], "/v1/market/option/BTC-26DEC25%2F100000-C")


if __name__ == "__main__":
    unittest.main()
