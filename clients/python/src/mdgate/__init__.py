"""mdgate: a Python client of the mdgate market-data gateway (docs/api.md).

::

    import asyncio, mdgate

    async def main():
        async with mdgate.connect("ws://127.0.0.1:8080", token="...") as c:
            async for book in c.book("linear", "BTCUSDT", depth=50):
                print(book.best_bid(), book.best_ask(), book.u, book.state)

    asyncio.run(main())
"""

from .book import CHECKSUM_LEVELS, Book, LocalBook, book_checksum, checksum_string
from .client import BookStream, Client, Event, EventStream, Gap, Stats, book_channel, connect
from .errors import (
    ApiError,
    MdgateError,
    RequestError,
    StreamClosed,
    SubscriptionError,
    TransportError,
)

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "Book",
    "BookStream",
    "CHECKSUM_LEVELS",
    "Client",
    "Event",
    "EventStream",
    "Gap",
    "LocalBook",
    "MdgateError",
    "RequestError",
    "Stats",
    "StreamClosed",
    "SubscriptionError",
    "TransportError",
    "book_channel",
    "book_checksum",
    "checksum_string",
    "connect",
    "__version__",
]
