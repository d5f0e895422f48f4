"""Reading one HTTP/1.1 request on the server side, for the small scripted servers of the tests."""

from __future__ import annotations

import asyncio


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes] | None:
    """(request line, body) of the next request, or None when the client has closed."""
    line = await reader.readline()
    if not line:
        return None
    length = 0
    while (header := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = header.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return line, await reader.readexactly(length)
