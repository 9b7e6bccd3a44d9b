"""Pages: opaque cursors for the list endpoints (documents, quotes, speakers).

A cursor is the sort key of the last item of a page, base64url-encoded JSON tagged with
what it lists, so the next page starts after that item even when items were added or
removed in between (keyset pagination). Ranked lists (quotes with `q`) have no stable key:
their cursor is an offset into the ranking, valid while the index is unchanged.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from service.errors import ApiError

T = TypeVar("T")
Key = list[Any]


def encode_cursor(kind: str, key: Key) -> str:
    """An opaque cursor for the item with sort key `key` in a `kind` listing."""
    raw = json.dumps([kind, key], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid_cursor() -> ApiError:
    return ApiError(
        400,
        "invalid_cursor",
        "The cursor is not valid for this listing: pass the next_cursor of the previous "
        "page unchanged, or leave it out for the first page.",
        [{"field": "cursor", "message": "not a cursor of this listing"}],
    )


def decode_cursor(kind: str, cursor: str) -> Key:
    """The sort key in `cursor`; a 400 `invalid_cursor` when it is not one of ours for `kind`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if tag != kind or not isinstance(key, list):
            raise ValueError(tag)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid_cursor() from None
    return key


def page(
    items: Sequence[T], kind: str, key: Callable[[T], Key], limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """One page of `items` (sorted by `key`, ascending and unique) after `cursor`, and the
    cursor of the next page (None on the last page)."""
    start = 0
    if cursor is not None:
        after = decode_cursor(kind, cursor)
        start = _bisect_after(items, key, after)
    chosen = list(items[start : start + limit])
    more = start + limit < len(items)
    return chosen, encode_cursor(kind, key(chosen[-1])) if more and chosen else None


def _bisect_after(items: Sequence[T], key: Callable[[T], Key], after: Key) -> int:
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            before = key(items[mid]) <= after
        except TypeError:  # a key of another shape: a forged cursor
            raise invalid_cursor() from None
        if before:
            lo = mid + 1
        else:
            hi = mid
    return lo


def offset_page(
    items: Sequence[T], kind: str, limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """One page of a ranked list: the cursor holds the offset of the next page."""
    start = 0
    if cursor is not None:
        key = decode_cursor(kind, cursor)
        if len(key) != 1 or not isinstance(key[0], int) or key[0] < 0:
            raise invalid_cursor()
        start = key[0]
    more = start + limit < len(items)
    return list(items[start : start + limit]), (
        encode_cursor(kind, [start + limit]) if more else None
    )
