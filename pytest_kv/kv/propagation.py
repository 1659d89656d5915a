"""How long a write takes to reach another location: the propagation models.

Every model is deterministic. A model answers, for one write, when it becomes
visible at one destination: after a delay in seconds, or after a number of reads
there. The writing location always sees its own write at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from pytest_kv.errors import shown

__all__ = ["AfterReads", "Fixed", "PerLocation", "Propagation", "RandomDelay"]


@runtime_checkable
class Propagation(Protocol):
    """A propagation model: the delay in seconds for one write to one destination.

    ``reads`` is the number of replica reads the destination needs instead, for
    models that count reads; delay models leave it at 0.
    """

    @property
    def reads(self) -> int: ...

    def delay(self, key: str, origin: str, destination: str, write: int) -> float: ...


def trusted(model: Propagation) -> bool:
    """Whether the model is one of pytest-kv's own, whose delays run no user code and
    can be worked out lazily, under the namespace's lock."""
    return type(model) in (Fixed, PerLocation, AfterReads, RandomDelay)


def per_write(model: Propagation) -> bool:
    """Whether two writes of a key from one place may get different delays. Models
    that say nothing are assumed to, which is always safe."""
    return bool(getattr(model, "per_write", True))


@dataclass(frozen=True)
class Fixed:
    """Every write reaches every other location ``seconds`` after it was made.

    Example: ``kv_factory(consistency="eventual", propagation=Fixed(5))`` (or just ``5``).
    """

    seconds: float
    reads: int = field(default=0, init=False)
    per_write: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        check_seconds(self.seconds, "Fixed(seconds)")

    def delay(self, key: str, origin: str, destination: str, write: int) -> float:
        return self.seconds


@dataclass(frozen=True)
class PerLocation:
    """A delay per destination, with ``default`` for the locations not named.

    Example: ``PerLocation({"lhr": 2, "syd": 90}, default=30)``, or as a plain mapping
    ``{"lhr": 2, "syd": 90, "*": 30}``.
    """

    seconds: Mapping[str, float]
    default: float | None = None
    reads: int = field(default=0, init=False)
    per_write: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.seconds, Mapping):
            raise TypeError(
                f"PerLocation takes a {{location: seconds}} mapping, got {self.seconds!r}"
            )
        for location, seconds in self.seconds.items():
            check_seconds(seconds, f"PerLocation[{location!r}]")
        if self.default is not None:
            check_seconds(self.default, "PerLocation(default)")
        # A copy, so that changing the caller's mapping later cannot change the delays.
        object.__setattr__(self, "seconds", MappingProxyType(dict(self.seconds)))

    def delay(self, key: str, origin: str, destination: str, write: int) -> float:
        seconds = self.seconds.get(destination, self.default)
        if seconds is None:  # checked against the locations when the namespace is made
            raise ValueError(f"PerLocation has no delay for {destination!r} and no default")
        return seconds


@dataclass(frozen=True)
class AfterReads:
    """A write becomes visible at another location after ``reads`` replica reads there.

    Time plays no part: the first ``reads`` reads of the key at a location that
    reach its replica (cache misses) still see the older value. Combine with
    ``cache_ttl=0`` so that every read reaches the replica.

    Example: ``kv_factory(consistency="eventual", propagation=AfterReads(2), cache_ttl=0)``.
    """

    reads: int

    def __post_init__(self) -> None:
        if type(self.reads) is not int or self.reads < 0:
            raise ValueError(f"AfterReads(reads) must be a whole number >= 0, got {self.reads!r}")

    def delay(self, key: str, origin: str, destination: str, write: int) -> float:
        return 0.0


@dataclass(frozen=True)
class RandomDelay:
    """A delay drawn between ``low`` and ``high`` seconds, repeatable from ``seed``.

    The draw depends only on the seed, the key, the two locations and which write
    it is, so the same test sees the same delays on every run.

    Example: ``RandomDelay(1, 60, seed=7)``.
    """

    low: float
    high: float
    seed: int | str
    reads: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        check_seconds(self.low, "RandomDelay(low)")
        check_seconds(self.high, "RandomDelay(high)")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, str)):
            # Only ints and strs seed the same draws on every run.
            raise TypeError(f"RandomDelay(seed) must be an int or a str, got {self.seed!r}")
        if self.high < self.low:
            raise ValueError(f"RandomDelay needs low <= high, got {self.low} > {self.high}")

    def delay(self, key: str, origin: str, destination: str, write: int) -> float:
        # A str seed goes through SHA-512 in random.seed, so it is the same on every run.
        draw = random.Random(f"{self.seed}\x00{key}\x00{origin}\x00{destination}\x00{write}")
        return draw.uniform(self.low, self.high)


@dataclass(frozen=True)
class _Callback:
    function: Callable[[str, str, str], float]
    reads: int = field(default=0, init=False)
    # The callable sees only the key and the two locations, so it is taken to give
    # every write of a key from one place the same delay.
    per_write: bool = field(default=False, init=False)

    def delay(self, key: str, origin: str, destination: str, write: int) -> float:
        seconds = self.function(key, origin, destination)
        check_seconds(seconds, f"propagation callable for {key!r} {origin}->{destination}")
        return float(seconds)


# The longest duration anything waits for: cacheTtl's int32 maximum, about 68 years,
# which a test clock can still move past.
MAX_SECONDS = 2_147_483_647


def check_seconds(seconds: object, what: str) -> None:
    """A duration option must be a finite number of seconds, from 0 to ``MAX_SECONDS``."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not 0 <= seconds <= MAX_SECONDS  # also false for NaN; no float() of a huge int
    ):
        raise ValueError(
            f"{what} must be a number of seconds from 0 to {MAX_SECONDS:,}, got {shown(seconds)}"
        )


def as_model(value: Any, locations: Sequence[str]) -> Propagation:
    """The model for the ``propagation`` option, checked against the locations.

    A number is ``Fixed``; a mapping is ``PerLocation`` (``"*"`` names the default);
    a callable ``(key, origin, destination) -> seconds`` is called for each write.
    """
    if isinstance(value, type):
        raise TypeError(
            f"propagation={value.__name__} is a class; pass a model made from it, such as "
            f"{value.__name__}(...)"
        )
    if isinstance(value, Propagation):
        model: Propagation = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        check_seconds(value, "propagation")
        model = Fixed(value)
    elif isinstance(value, Mapping):
        named = {str(k): v for k, v in value.items() if k != "*"}
        model = PerLocation(named, default=value.get("*"))
    elif callable(value):
        model = _Callback(value)
    else:
        raise TypeError(
            "propagation must be seconds, a {location: seconds} mapping, a callable "
            "(key, origin, destination) -> seconds, or a model such as Fixed(5), "
            f"PerLocation(...), AfterReads(2) or RandomDelay(1, 60, seed=0); got {value!r}"
        )
    if isinstance(model, PerLocation):
        unknown = sorted(set(model.seconds) - set(locations))
        if unknown:
            raise ValueError(
                f"propagation names unknown location(s) {', '.join(map(repr, unknown))}; "
                f"the locations are: {', '.join(locations)}"
            )
        # Every location can be a destination: writes may come from anywhere.
        missing = [loc for loc in locations if loc not in model.seconds]
        if missing and model.default is None and len(locations) > 1:
            raise ValueError(
                f"propagation has no delay for {', '.join(map(repr, missing))}; name them "
                'or give a default with "*" (or PerLocation(..., default=seconds))'
            )
    return model
