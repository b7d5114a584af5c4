"""Books: the checksum of docs/api.md, the local book kept from a stream, and ``Book``.

Prices and sizes stay the strings the gateway sent (the checksum is computed over them);
``Decimal`` values are made from those strings only when asked for, never floats.
"""

from __future__ import annotations

import bisect
import zlib
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

#: Levels of each side that enter the checksum.
CHECKSUM_LEVELS = 25

RawLevel = Tuple[str, str]
Level = Tuple[Decimal, Decimal]


def checksum_string(
    bids: Sequence[Sequence[str]], asks: Sequence[Sequence[str]], levels: int = CHECKSUM_LEVELS
) -> str:
    """The string the book checksum is computed over.

    ``bids`` and ``asks`` are ``[price, size]`` string pairs, best first. For ``i`` from 0 to
    ``levels - 1``: bid ``i``'s price and size if it exists, then ask ``i``'s if it exists,
    every piece joined with ``:``.

    >>> checksum_string([["3366.1", "7"], ["3366", "6"]], [["3366.8", "9"]])
    '3366.1:7:3366.8:9:3366:6'
    """
    parts: List[str] = []
    for i in range(levels):
        if i < len(bids):
            parts.append(bids[i][0])
            parts.append(bids[i][1])
        if i < len(asks):
            parts.append(asks[i][0])
            parts.append(asks[i][1])
    return ":".join(parts)


def book_checksum(bids: Sequence[Sequence[str]], asks: Sequence[Sequence[str]]) -> int:
    """CRC-32 (``zlib.crc32``) of :func:`checksum_string`, an unsigned 32-bit integer.

    An empty book gives 0.
    """
    return zlib.crc32(checksum_string(bids, asks).encode("ascii")) & 0xFFFFFFFF


class _Side:
    """One side of a local book: levels keyed by price, kept sorted best first."""

    __slots__ = ("_sign", "_keys", "_levels")

    def __init__(self, bids: bool) -> None:
        # The sort key is -price for bids and price for asks, so ascending keys = best first.
        self._sign = -1 if bids else 1
        self._keys: List[Decimal] = []
        self._levels: dict[Decimal, RawLevel] = {}

    def clear(self) -> None:
        self._keys.clear()
        self._levels.clear()

    def set(self, price: str, size: str) -> None:
        """Sets a price's size; a zero size deletes the price. Raises on a malformed number."""
        if not isinstance(price, str) or not isinstance(size, str):
            raise TypeError("price and size must be strings")
        key = Decimal(price) * self._sign
        if not key.is_finite():
            raise ValueError(f"price {price!r} is not finite")
        qty = Decimal(size)
        if not qty.is_finite() or qty < 0:
            raise ValueError(f"size {size!r} is not a size")
        if qty == 0:
            if key in self._levels:
                del self._levels[key]
                del self._keys[bisect.bisect_left(self._keys, key)]
            return
        if key not in self._levels:
            bisect.insort(self._keys, key)
        self._levels[key] = (price, size)

    def cut(self, depth: int) -> None:
        """Drops every level beyond the ``depth`` best."""
        if len(self._keys) > depth:
            for key in self._keys[depth:]:
                del self._levels[key]
            del self._keys[depth:]

    def raw(self, n: Optional[int] = None) -> Tuple[RawLevel, ...]:
        keys = self._keys if n is None else self._keys[:n]
        levels = self._levels
        return tuple(levels[k] for k in keys)

    def __len__(self) -> int:
        return len(self._keys)


class LocalBook:
    """A book kept from snapshots and deltas as docs/api.md says.

    A snapshot replaces the book; a delta's levels set a price's size (size ``"0"`` deletes
    the price); after either, the book is cut to ``depth`` levels per side. Prices are
    compared as decimals, so ``"65000.10"`` and ``"65000.1"`` are one price, but the strings
    kept (and checksummed) are the ones last received.
    """

    def __init__(self, depth: int) -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self.depth = depth
        self.bids = _Side(bids=True)
        self.asks = _Side(bids=False)

    def apply_snapshot(
        self, bids: Iterable[Sequence[str]], asks: Iterable[Sequence[str]]
    ) -> None:
        self.bids.clear()
        self.asks.clear()
        self.apply_delta(bids, asks)

    def apply_delta(self, bids: Iterable[Sequence[str]], asks: Iterable[Sequence[str]]) -> None:
        for price, size in bids:
            self.bids.set(price, size)
        for price, size in asks:
            self.asks.set(price, size)
        self.bids.cut(self.depth)
        self.asks.cut(self.depth)

    def checksum(self) -> int:
        """The checksum of the book as it is now."""
        return book_checksum(self.bids.raw(CHECKSUM_LEVELS), self.asks.raw(CHECKSUM_LEVELS))


def _decimal_levels(raw: Sequence[RawLevel], n: Optional[int]) -> List[Level]:
    part = raw if n is None else raw[:n]
    return [(Decimal(p), Decimal(s)) for p, s in part]


class Book:
    """One verified version of a book, as yielded by :meth:`mdgate.Client.book`.

    Immutable: a later message makes a new ``Book``; this one keeps its levels.

    Attributes: ``channel`` (``book.50.linear.BTCUSDT``), ``category``, ``symbol``, ``depth``,
    ``u`` (the venue's update id of this version), ``seq`` (the stream's sequence number of
    the message), ``cross_seq`` (the venue's cross sequence, when the message has one),
    ``state`` (``syncing``, ``live``, ``stale``, ``resyncing``), ``checksum``
    (verified against the local levels), ``ts_exchange`` and ``ts_recv`` (microseconds since
    the Unix epoch), ``kind`` (``"snapshot"`` or ``"delta"``: the message that made it) and
    ``conflated`` (the snapshot replaced book messages a slow reader missed).
    """

    __slots__ = (
        "channel",
        "category",
        "symbol",
        "depth",
        "u",
        "seq",
        "cross_seq",
        "state",
        "checksum",
        "ts_exchange",
        "ts_recv",
        "kind",
        "conflated",
        "_bids",
        "_asks",
    )

    def __init__(
        self,
        *,
        channel: str,
        category: str,
        symbol: str,
        depth: int,
        u: int,
        seq: int,
        state: str,
        cross_seq: Optional[int] = None,
        checksum: int,
        ts_exchange: Optional[int],
        ts_recv: Optional[int],
        kind: str,
        conflated: bool,
        bids: Tuple[RawLevel, ...],
        asks: Tuple[RawLevel, ...],
    ) -> None:
        self.channel = channel
        self.category = category
        self.symbol = symbol
        self.depth = depth
        self.u = u
        self.seq = seq
        self.cross_seq = cross_seq
        self.state = state
        self.checksum = checksum
        self.ts_exchange = ts_exchange
        self.ts_recv = ts_recv
        self.kind = kind
        self.conflated = conflated
        self._bids = bids
        self._asks = asks

    @property
    def live(self) -> bool:
        """True when ``state == "live"`` (a book that is not live must not be traded on)."""
        return self.state == "live"

    def best_bid(self) -> Optional[Level]:
        """``(price, size)`` of the highest bid, or None when there is no bid."""
        if not self._bids:
            return None
        p, s = self._bids[0]
        return Decimal(p), Decimal(s)

    def best_ask(self) -> Optional[Level]:
        """``(price, size)`` of the lowest ask, or None when there is no ask."""
        if not self._asks:
            return None
        p, s = self._asks[0]
        return Decimal(p), Decimal(s)

    def spread(self) -> Optional[Decimal]:
        """Best ask minus best bid, or None when a side is empty."""
        bid, ask = self.best_bid(), self.best_ask()
        if bid is None or ask is None:
            return None
        return ask[0] - bid[0]

    def levels(
        self, side: Optional[str] = None, n: Optional[int] = None
    ) -> Union[List[Level], dict[str, List[Level]]]:
        """Levels as ``(Decimal price, Decimal size)``, best first, at most ``n`` per side.

        ``side="bids"`` or ``"asks"`` gives that side's list; ``side=None`` gives
        ``{"bids": [...], "asks": [...]}``.
        """
        if side == "bids":
            return _decimal_levels(self._bids, n)
        if side == "asks":
            return _decimal_levels(self._asks, n)
        if side is None:
            return {"bids": _decimal_levels(self._bids, n), "asks": _decimal_levels(self._asks, n)}
        raise ValueError('side must be None, "bids" or "asks"')

    def raw_bids(self) -> List[List[str]]:
        """Bids as ``[price, size]`` strings exactly as received, best (highest) first."""
        return [[p, s] for p, s in self._bids]

    def raw_asks(self) -> List[List[str]]:
        """Asks as ``[price, size]`` strings exactly as received, best (lowest) first."""
        return [[p, s] for p, s in self._asks]

    def to_dict(self) -> Dict[str, Any]:
        """The book in the shape of ``GET /v1/book`` (``bids``/``asks`` as strings)."""
        return {
            "channel": self.channel,
            "category": self.category,
            "symbol": self.symbol,
            "depth": self.depth,
            "u": self.u,
            "seq": self.seq,
            "cross_seq": self.cross_seq,
            "state": self.state,
            "ts_exchange": self.ts_exchange,
            "ts_recv": self.ts_recv,
            "bids": self.raw_bids(),
            "asks": self.raw_asks(),
            "checksum": self.checksum,
        }

    def __repr__(self) -> str:
        return (
            f"Book({self.channel} u={self.u} seq={self.seq} state={self.state} "
            f"bid={self._bids[0] if self._bids else None} "
            f"ask={self._asks[0] if self._asks else None})"
        )
