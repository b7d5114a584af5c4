"""The book logic and the checksum, without a network."""

from __future__ import annotations

import os
import sys
import unittest
from decimal import Decimal

sys.path.insert(0, os.path.dirname(__file__))
try:
    import mdgate
except ImportError:  # not installed: test the working tree's
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    import mdgate  # noqa: E402
from mdgate.book import Book, LocalBook, book_checksum, checksum_string  # noqa: E402

from fake_gateway import BookFeed, reference_checksum  # noqa: E402


def crc32_bitwise(data: bytes) -> int:
    """CRC-32 with the IEEE polynomial (reflected 0xEDB88320), bit by bit."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def make_book(local: LocalBook) -> Book:
    return Book(
        channel="book.50.linear.BTCUSDT",
        category="linear",
        symbol="BTCUSDT",
        depth=local.depth,
        u=1,
        seq=1,
        state="live",
        checksum=local.checksum(),
        ts_exchange=1,
        ts_recv=2,
        kind="snapshot",
        conflated=False,
        bids=local.bids.raw(),
        asks=local.asks.raw(),
    )


class ChecksumTest(unittest.TestCase):
    def test_example_of_the_documentation(self) -> None:
        bids = [["3366.1", "7"], ["3366", "6"]]
        asks = [["3366.8", "9"]]
        self.assertEqual(checksum_string(bids, asks), "3366.1:7:3366.8:9:3366:6")
        self.assertEqual(book_checksum(bids, asks), 1164732920)
        self.assertEqual(crc32_bitwise(b"3366.1:7:3366.8:9:3366:6"), 1164732920)
        self.assertEqual(reference_checksum(bids, asks), 1164732920)

    def test_empty_book_is_zero(self) -> None:
        self.assertEqual(checksum_string([], []), "")
        self.assertEqual(book_checksum([], []), 0)
        self.assertEqual(LocalBook(50).checksum(), 0)

    def test_one_sided_and_unequal_sides(self) -> None:
        self.assertEqual(checksum_string([["1", "2"]], []), "1:2")
        self.assertEqual(checksum_string([], [["3", "4"], ["5", "6"]]), "3:4:5:6")
        self.assertEqual(
            checksum_string([["9", "1"], ["8", "1"], ["7", "1"]], [["10", "2"]]),
            "9:1:10:2:8:1:7:1",
        )

    def test_only_25_levels_per_side(self) -> None:
        bids = [[str(1000 - i), "1"] for i in range(30)]
        asks = [[str(2000 + i), "2"] for i in range(30)]
        s = checksum_string(bids, asks)
        self.assertEqual(len(s.split(":")), 25 * 4)
        self.assertTrue(s.endswith("976:1:2024:2"))
        self.assertEqual(book_checksum(bids, asks), book_checksum(bids[:25], asks[:25]))
        self.assertNotEqual(book_checksum(bids, asks), book_checksum(bids[:24], asks[:25]))

    def test_unsigned(self) -> None:
        # A string whose CRC has the top bit set stays positive.
        for i in range(200):
            v = book_checksum([[str(i), "1"]], [])
            self.assertGreaterEqual(v, 0)
            self.assertLess(v, 2**32)
            self.assertEqual(v, crc32_bitwise(f"{i}:1".encode()))

    def test_strings_as_received(self) -> None:
        # Different text for the same number gives a different checksum: no reformatting.
        self.assertNotEqual(book_checksum([["1.50", "1"]], []), book_checksum([["1.5", "1"]], []))


class LocalBookTest(unittest.TestCase):
    def test_snapshot_and_order(self) -> None:
        b = LocalBook(50)
        b.apply_snapshot([["3366", "6"], ["3366.1", "7"]], [["3367", "1"], ["3366.8", "9"]])
        self.assertEqual(b.bids.raw(), (("3366.1", "7"), ("3366", "6")))
        self.assertEqual(b.asks.raw(), (("3366.8", "9"), ("3367", "1")))
        self.assertEqual(b.checksum(), book_checksum([["3366.1", "7"], ["3366", "6"]], [["3366.8", "9"], ["3367", "1"]]))

    def test_delta_sets_and_deletes(self) -> None:
        b = LocalBook(50)
        b.apply_snapshot([["100", "1"], ["99", "2"]], [["101", "3"]])
        b.apply_delta([["100", "0"], ["98.5", "4"], ["99", "2.5"]], [["102", "1"], ["101", "0"]])
        self.assertEqual(b.bids.raw(), (("99", "2.5"), ("98.5", "4")))
        self.assertEqual(b.asks.raw(), (("102", "1"),))
        # Deleting a price that is not there is harmless; "0.000" deletes too.
        b.apply_delta([["50", "0"], ["98.5", "0.000"]], [])
        self.assertEqual(b.bids.raw(), (("99", "2.5"),))

    def test_prices_compare_as_decimals_strings_are_kept(self) -> None:
        b = LocalBook(50)
        b.apply_snapshot([["65000.1", "1"]], [])
        b.apply_delta([["65000.10", "2"]], [])
        self.assertEqual(b.bids.raw(), (("65000.10", "2"),))
        b.apply_delta([["65000.100", "0"]], [])
        self.assertEqual(b.bids.raw(), ())

    def test_snapshot_replaces(self) -> None:
        b = LocalBook(50)
        b.apply_snapshot([["1", "1"], ["2", "1"]], [["3", "1"]])
        b.apply_snapshot([["5", "1"]], [])
        self.assertEqual(b.bids.raw(), (("5", "1"),))
        self.assertEqual(b.asks.raw(), ())

    def test_cut_to_depth(self) -> None:
        b = LocalBook(3)
        b.apply_snapshot([["10", "1"], ["9", "1"], ["8", "1"]], [["11", "1"], ["12", "1"], ["13", "1"]])
        # A better level pushes the worst out without a "0" for it.
        b.apply_delta([["10.5", "2"]], [["10.9", "2"]])
        self.assertEqual([p for p, _ in b.bids.raw()], ["10.5", "10", "9"])
        self.assertEqual([p for p, _ in b.asks.raw()], ["10.9", "11", "12"])
        # The pushed-out level is gone: deleting a level does not bring it back.
        b.apply_delta([["10.5", "0"]], [])
        self.assertEqual([p for p, _ in b.bids.raw()], ["10", "9"])
        # ...the gateway sends it when it comes back into view.
        b.apply_delta([["8", "1"]], [])
        self.assertEqual([p for p, _ in b.bids.raw()], ["10", "9", "8"])

    def test_malformed_numbers_raise(self) -> None:
        b = LocalBook(5)
        for bad in (["x", "1"], ["1", "y"], ["NaN", "1"], ["1", "-1"], ["Infinity", "1"]):
            with self.assertRaises((ValueError, ArithmeticError)):
                b.apply_delta([bad], [])
        with self.assertRaises(TypeError):
            b.apply_delta([[1, "1"]], [])

    def test_random_diffs_match_the_truth(self) -> None:
        # The fake gateway's feed: diffs of the top levels, deletes of pushed-out levels left
        # out at random. Applying them must give exactly the truth, at every version.
        for depth, seed in ((1, 3), (5, 1), (25, 2), (50, 4)):
            feed = BookFeed(depth, seed=seed)
            b = LocalBook(depth)
            snap = feed.snapshot_msg()
            b.apply_snapshot(snap["bids"], snap["asks"])
            for _ in range(1500 if depth < 50 else 400):
                before = feed.view()
                feed.step()
                msg = feed.delta_msg(before)
                b.apply_delta(msg["bids"], msg["asks"])
                bids, asks = feed.view()
                self.assertEqual([list(x) for x in b.bids.raw()], bids)
                self.assertEqual([list(x) for x in b.asks.raw()], asks)
                self.assertEqual(b.checksum(), msg["checksum"])


class BookTest(unittest.TestCase):
    def setUp(self) -> None:
        local = LocalBook(50)
        local.apply_snapshot([["3366.1", "7"], ["3366", "6"]], [["3366.8", "9"], ["3367.5", "0.25"]])
        self.book = make_book(local)

    def test_best(self) -> None:
        self.assertEqual(self.book.best_bid(), (Decimal("3366.1"), Decimal("7")))
        self.assertEqual(self.book.best_ask(), (Decimal("3366.8"), Decimal("9")))
        self.assertEqual(self.book.spread(), Decimal("0.7"))
        self.assertTrue(self.book.live)

    def test_levels(self) -> None:
        self.assertEqual(self.book.levels("bids"), [(Decimal("3366.1"), Decimal("7")), (Decimal("3366"), Decimal("6"))])
        self.assertEqual(self.book.levels("asks", 1), [(Decimal("3366.8"), Decimal("9"))])
        both = self.book.levels()
        assert isinstance(both, dict)
        self.assertEqual(both["asks"][1], (Decimal("3367.5"), Decimal("0.25")))
        with self.assertRaises(ValueError):
            self.book.levels("bid")

    def test_raw(self) -> None:
        self.assertEqual(self.book.raw_bids(), [["3366.1", "7"], ["3366", "6"]])
        self.assertEqual(self.book.raw_asks(), [["3366.8", "9"], ["3367.5", "0.25"]])
        self.assertEqual(self.book.to_dict()["bids"], self.book.raw_bids())

    def test_empty(self) -> None:
        b = make_book(LocalBook(5))
        self.assertIsNone(b.best_bid())
        self.assertIsNone(b.best_ask())
        self.assertIsNone(b.spread())
        self.assertEqual(b.levels(), {"bids": [], "asks": []})

    def test_immutable_copy(self) -> None:
        local = LocalBook(5)
        local.apply_snapshot([["1", "1"]], [])
        b = make_book(local)
        local.apply_delta([["1", "0"], ["2", "1"]], [])
        self.assertEqual(b.raw_bids(), [["1", "1"]])


class PackageTest(unittest.TestCase):
    def test_exports(self) -> None:
        for name in ("connect", "Client", "Book", "ApiError", "SubscriptionError", "StreamClosed", "Gap", "Event", "Stats"):
            self.assertTrue(hasattr(mdgate, name), name)
        self.assertTrue(issubclass(mdgate.SubscriptionError, mdgate.MdgateError))
        self.assertTrue(issubclass(mdgate.ApiError, mdgate.MdgateError))


if __name__ == "__main__":
    unittest.main()
