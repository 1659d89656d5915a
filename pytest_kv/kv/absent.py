"""The in-flight keys that ``list()`` may show although the truth has no entry for
them: keys whose newest write is a delete, or an entry that may expire before
``list()`` reflects that write.

The store keeps each key's newest write, so every other in-flight key is in the
truth, and a page finds it there. A key whose newest entry expires at or after the
moment ``list()`` reflects the write needs no place here either: by the time the
truth has dropped it, ``list()`` shows that same expired entry, which is to say
nothing. That holds while the clock only moves on: the truth drops an expired entry
for good, so once a test moves the clock back, an in-flight key the truth has
dropped joins this index too (the store tells the edge what it drops). So this index
holds the few keys the truth may lack (most workloads delete far less than they
put), in order, brought up to date when a page needs it.
"""

from __future__ import annotations

import sys

from sortedcontainers import SortedList


class AbsentKeys:
    """The in-flight keys that may be missing from the truth, kept in order lazily:
    keys added (``_joined``) or dropped (``_left``) since the last page cost a set
    operation each, and one that comes and goes between pages costs nothing more."""

    __slots__ = ("_index", "_joined", "_left")

    def __init__(self) -> None:
        self._index: SortedList = SortedList()
        self._joined: set[bytes] = set()  # members, not yet in the index
        self._left: set[bytes] = set()  # in the index, no longer members

    def add(self, key: bytes) -> None:
        """Make ``key`` a member (it is not one)."""
        if key in self._left:
            self._left.remove(key)  # still in the sorted index
        else:
            self._joined.add(key)

    def discard(self, key: bytes) -> None:
        """Take ``key`` out (it is a member)."""
        if key in self._joined:
            self._joined.remove(key)  # never made it to the index
        else:
            self._left.add(key)

    def ordered(self) -> SortedList:
        """The members in order, brought up to date."""
        joined, left, index = self._joined, self._left, self._index
        if not joined and not left:
            return index
        if len(left) * 4 > len(index):
            # Most of the index has gone: building it afresh is the cheaper way.
            members = [key for key in index if key not in left]
            members.extend(joined)
            index = self._index = SortedList(members)
        else:
            for key in left:
                index.remove(key)
            index.update(joined)
        # ``clear`` gives back a set's room, which deletions never do.
        joined.clear()
        left.clear()
        return index

    def compact(self) -> None:
        """Give back the room of deleted set entries, once most have gone."""
        self._joined = _shrunk(self._joined)
        self._left = _shrunk(self._left)


def _shrunk(keys: set[bytes]) -> set[bytes]:
    """``keys``, or a fresh copy once most of it has been deleted (as
    ``caches.compacted`` does for dicts)."""
    if sys.getsizeof(keys) <= 1024 + 256 * len(keys):
        return keys
    return set(keys)
