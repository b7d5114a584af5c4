#!/usr/bin/env python3
"""Writes spot_capture_sample.frames.jsonl: a synthetic spot capture for the replay tests.

Key order and number formatting follow real spot frames (protocol notes §6, §7.3, §8, §13):
orderbook `topic,ts,type,data,cts`, trimmed trailing zeros, spot trade key order. Values are
invented but consistent: deltas are derived from real changes of a simulated book, so a correct
client ends with exactly the book this script prints at the end (checked by the replay test).
"""
import json
import random
from decimal import Decimal

rng = random.Random(7)
symbol = "BTCUSDT"
depth = 50
ts = 1786310818000
u = 1000


def fmt(d: Decimal) -> str:
    s = format(d.normalize(), "f")
    return s


def level(p, q):
    return [fmt(p), fmt(q)]


bids = {Decimal("65140") - Decimal("0.1") * i: Decimal(rng.randint(1, 5000)) / 1000 for i in range(depth)}
asks = {Decimal("65140.1") + Decimal("0.1") * i: Decimal(rng.randint(1, 5000)) / 1000 for i in range(depth)}
frames = []
frames.append({"success": True, "ret_msg": "subscribe", "conn_id": "d9avt8shteepr00gfc1g-4zd1x", "op": "subscribe"})
frames.append({"topic": f"orderbook.{depth}.{symbol}", "ts": ts, "type": "snapshot",
               "data": {"s": symbol, "b": [level(p, bids[p]) for p in sorted(bids, reverse=True)],
                        "a": [level(p, asks[p]) for p in sorted(asks)], "u": u, "seq": 5000000},
               "cts": ts - 2})
seq = 5000000
trade_id = 2290000000050703789
for step in range(300):
    ts += 20
    u += 1
    seq += rng.randint(1, 9)
    db, da = {}, {}
    for _ in range(rng.randint(1, 4)):
        side, book, ch = (("b", bids, db) if rng.random() < 0.5 else ("a", asks, da))
        p = rng.choice(sorted(book))
        q = Decimal(rng.randint(0, 5000)) / 1000
        if q == 0:
            # Remove the level and refill the far end, as the venue keeps exactly N levels.
            del book[p]
            ch[p] = q
            if side == "b":
                np_ = min(book) - Decimal("0.1")
            else:
                np_ = max(book) + Decimal("0.1")
            nq = Decimal(rng.randint(1, 5000)) / 1000
            book[np_] = nq
            ch[np_] = nq
        else:
            book[p] = q
            ch[p] = q
    frames.append({"topic": f"orderbook.{depth}.{symbol}", "ts": ts, "type": "delta",
                   "data": {"s": symbol, "b": [level(p, q) for p, q in db.items()],
                            "a": [level(p, q) for p, q in da.items()], "u": u, "seq": seq},
                   "cts": ts - 1})
    if step % 25 == 0:
        best = max(bids)
        trades = []
        for _ in range(rng.randint(1, 3)):
            trade_id += 1
            trades.append({"i": str(trade_id), "T": ts - 1, "p": fmt(best), "v": fmt(Decimal(rng.randint(1, 900)) / 10000),
                           "S": "Sell", "seq": seq, "s": symbol, "BT": False, "RPI": False})
        frames.append({"topic": f"publicTrade.{symbol}", "ts": ts, "type": "snapshot", "data": trades})
    if step % 100 == 0:
        frames.append({"topic": f"tickers.{symbol}", "ts": ts, "type": "snapshot", "cs": seq,
                       "data": {"symbol": symbol, "lastPrice": fmt(max(bids)), "highPrice24h": "65282.3",
                                "lowPrice24h": "64694.4", "prevPrice24h": "65008.7", "volume24h": "17573.912",
                                "turnover24h": "1142118412.9021", "price24hPcnt": "0.0016", "usdIndexPrice": "65137.76"}})
        frames.append({"type": "snapshot", "topic": f"kline.1.{symbol}",
                       "data": [{"start": ts - ts % 60000, "end": ts - ts % 60000 + 59999, "interval": "1",
                                 "open": "65140", "close": fmt(max(bids)), "high": "65150.5", "low": "65130",
                                 "volume": "1.576", "turnover": "102627.995", "confirm": False, "timestamp": ts}],
                       "ts": ts})
with open("spot_capture_sample.frames.jsonl", "w") as f:
    for fr in frames:
        f.write(json.dumps(fr, separators=(",", ":")) + "\n")
print(json.dumps({"u": u, "bids": [level(p, bids[p]) for p in sorted(bids, reverse=True)][:3],
                  "asks": [level(p, asks[p]) for p in sorted(asks)][:3]}))
