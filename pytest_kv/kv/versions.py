"""The keys in flight: for each key that some location (or ``list()``) may still see
differently from the truth, its versions since every location last agreed, and what
each location's replica has of them.

A key that every location agrees on has no state here at all: it reads as the truth.
So the cost of eventual consistency follows the changes still on their way, not the
number of keys.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from .store import Entry

# When a version reaches a location: ``arrival(version, location)``.
Arrival = Callable[["Version", str], float]
# How many live versions a key may have before reads keep a view per location.
_VIEW_AFTER = 8
# The base version's write time, and a state's ``due`` before it is queued.
_NEVER = -math.inf
_FOREVER = math.inf


@dataclass(slots=True, eq=False)
class Version:
    """One write (or delete, when ``entry`` is ``None``) of one key."""

    name: str  # the key's name, which propagation models see
    entry: Entry | None
    written_at: float
    origin: str
    # The order writes were made in, which decides which one wins (also when a test
    # moved the clock back between them, or two threads read it out of order).
    seq: int
    # The value every location had before the key went in flight (or a god-view
    # seed): visible everywhere, in list() too, from the start.
    seeded: bool = False
    # When it reaches each location, filled as needed (or at once, for user models).
    arrivals: dict[str, float] | None = None
    # For read-counting models: each location's replica-read count at write time.
    read_base: dict[str, int] | None = None


class View:
    """One location's replica of an in-flight key: the newest version that has
    arrived, and the versions still on their way, by arrival time."""

    __slots__ = ("pending", "shown", "time")

    def __init__(self, shown: Version) -> None:
        self.shown = shown
        self.pending: list[tuple[float, int, Version]] = []
        self.time = -math.inf  # the latest instant it was brought up to

    def add(self, version: Version, at: float) -> None:
        heapq.heappush(self.pending, (at, version.seq, version))

    def advance(self, now: float) -> Version:
        pending = self.pending
        while pending and pending[0][0] <= now:
            version = heapq.heappop(pending)[2]
            if version.seq > self.shown.seq:
                self.shown = version
        self.time = now
        return self.shown


class KeyState:
    """An in-flight key: ``versions`` from ``lo`` on, oldest first; the first of them
    is the version every location had before (or has passed since)."""

    __slots__ = (
        "absent",
        "due",
        "key",
        "lo",
        "monotone",
        "name",
        "queued",
        "reads",
        "versions",
        "views",
    )

    def __init__(self, key: bytes, name: str, truth: Entry | None) -> None:
        self.key = key
        self.name = name
        # The base: the truth's entry, which every location shares (and list() shows)
        # from the start.
        self.versions = [Version("", truth, _NEVER, "", 0, True)]
        self.lo = 0
        self.views: dict[str, View] | None = None  # made for locations that read
        self.reads: dict[str, int] | None = None  # replica reads, for AfterReads
        self.queued = 0  # entries for it in the edge's settling queue
        self.due = _FOREVER  # when its newest version reaches everyone (time models)
        self.monotone = True  # write times rise with write order (the clock never went back)
        # In the edge's index of keys the truth may lack (``absent.AbsentKeys``).
        self.absent = False

    @property
    def newest(self) -> Version:
        return self.versions[-1]

    @property
    def live_versions(self) -> list[Version]:
        return self.versions[self.lo :]

    def insert(self, version: Version) -> int:
        """Add the newest write; return its index."""
        versions = self.versions
        if version.written_at < versions[-1].written_at:
            self.monotone = False
        versions.append(version)
        return len(versions) - 1

    def listed_version(self, now: float, lag: float) -> Version:
        """The version ``list()`` reflects: the newest at least ``lag`` old. The sum
        is the one ``settle_time`` uses, so floating point cannot split them."""
        versions = self.versions
        if self.monotone:
            index = bisect_right(versions, now, lo=self.lo + 1, key=lambda v: v.written_at + lag)
            return versions[index - 1]
        for index in range(len(versions) - 1, self.lo, -1):
            if versions[index].written_at + lag <= now:
                return versions[index]
        return versions[self.lo]

    def shown_at(self, location: str, now: float, arrival: Arrival) -> Version:
        """The newest version that has reached ``location`` by ``now``. A key with
        many versions on their way keeps a view per location that reads it, so that
        a hot key costs the same per read however often it is written."""
        if len(self.versions) - self.lo <= _VIEW_AFTER and not self.views:
            return self.peek_shown(location, now, arrival)
        views = self.views
        view = None if views is None else views.get(location)
        if view is None:
            if views is None:
                views = self.views = {}
            view = views[location] = View(self.versions[self.lo])
            for version in self.versions[self.lo + 1 :]:
                view.add(version, arrival(version, location))
        elif now < view.time:  # the clock went back: replay from the start
            fresh = View(self.versions[self.lo])
            for version in self.versions[self.lo + 1 :]:
                fresh.add(version, arrival(version, location))
            view = views[location] = fresh  # type: ignore[index]
        return view.advance(now)

    def peek_shown(self, location: str, now: float, arrival: Arrival) -> Version:
        """``shown_at`` without making a view: a walk back from the newest version."""
        views = self.views
        view = None if views is None else views.get(location)
        if view is not None and now >= view.time:
            return view.advance(now)
        versions = self.versions
        best = versions[self.lo]
        for index in range(len(versions) - 1, self.lo, -1):
            version = versions[index]
            if arrival(version, location) <= now:
                best = version
                break
        # Walking back from the newest, the first version that has arrived is the
        # newest that has, whatever order per-write delays brought them in.
        return best

    def added(self, version: Version, arrival: Arrival) -> None:
        """Tell every replica view that ``version`` is on its way."""
        if self.views:
            for location, view in self.views.items():
                view.add(version, arrival(version, location))

    def drop_before(self, index: int) -> None:
        """Forget the versions before ``index``: every location has passed them."""
        self.lo = index
        if index > 32 and index * 2 > len(self.versions):
            del self.versions[:index]
            self.lo = 0


def live(version: Version | None, now: float) -> Entry | None:
    if version is None or version.entry is None or version.entry.expired(now):
        return None
    return version.entry
