"""A namespace's consistency settings: its locations, the mode, and, for eventual
consistency, propagation, the default ``cacheTtl`` and the list lag, checked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from pytest_kv.errors import did_you_mean, shown

from .edge import CENTRAL
from .limits import MIN_CACHE_TTL
from .propagation import Propagation, as_model, check_seconds

STRONG: Final = "strong"
EVENTUAL: Final = "eventual"


@dataclass(frozen=True, slots=True)
class Consistency:
    """A namespace's consistency settings, checked."""

    locations: tuple[str, ...]
    eventual: bool
    propagation: Propagation | None
    cache_ttl: int
    list_lag: float


def consistency(
    locations: Sequence[str] | str,
    mode: str,
    propagation: object,
    cache_ttl: object,
    list_lag: object,
) -> Consistency:
    if isinstance(locations, str):
        locations = names_in(locations)  # "lhr, syd", as the ini file spells it
    if not isinstance(locations, (list, tuple)):
        # A set would pick the namespace's own location by hash order, differently
        # on every run.
        raise TypeError(f"locations must be a list of names, got {shown(locations)}")
    given_names: tuple[object, ...] = tuple(locations)
    if not given_names or any(not isinstance(name, str) or not name for name in given_names):
        raise ValueError(f"locations must be non-empty names, got {shown(locations)}")
    names = tuple(str(name) for name in given_names)
    if CENTRAL in names:
        raise ValueError(
            f"{CENTRAL!r} cannot be a location: it names KV's central storage, where the "
            "REST API reads and writes; choose another name"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"locations must be distinct, got {names!r}")
    if mode not in (STRONG, EVENTUAL):
        raise ValueError(
            f"consistency must be 'strong' or 'eventual', got {mode!r}"
            f"{did_you_mean(str(mode), (STRONG, EVENTUAL))}"
        )
    given = {"propagation": propagation, "cache_ttl": cache_ttl, "list_lag": list_lag}
    if mode == STRONG:
        extra = [name for name, value in given.items() if value is not None]
        if extra:
            raise ValueError(
                f"{', '.join(extra)} need consistency='eventual': a strongly consistent "
                "namespace has no propagation delay, no read cache and no list lag"
            )
        return Consistency(names, False, None, 0, 0.0)
    ttl = _seconds("cache_ttl", 60 if cache_ttl is None else cache_ttl, whole=True)
    if 0 < ttl < MIN_CACHE_TTL:
        # Every read would use a cacheTtl that production refuses.
        raise ValueError(
            f"cache_ttl must be 0 (no caching) or at least {MIN_CACHE_TTL}, as production's "
            f"cacheTtl must be; got {cache_ttl!r}"
        )
    return Consistency(
        names,
        True,
        as_model(60 if propagation is None else propagation, names),
        ttl,
        _seconds("list_lag", 60 if list_lag is None else list_lag, whole=False),
    )


def names_in(text: str) -> tuple[str, ...]:
    """Names as an ini file or a one-string option lists them: commas or spaces."""
    return tuple(name for name in re.split(r"[\s,]+", text) if name)


def _seconds(name: str, value: object, *, whole: bool) -> Any:
    check_seconds(value, name)
    assert isinstance(value, (int, float))
    if whole and value != int(value):
        raise ValueError(f"{name} must be a whole number of seconds, got {value!r}")
    return int(value) if whole else float(value)


_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})


def flag(name: str, value: object) -> bool:
    """A yes/no option: a bool, or text as ini files spell it (``"false"``, ``"no"``,
    ``"0"`` ...), never the truthiness of any object (``bool("false")`` is True)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{name} must be true or false, got {value!r}")
    raise TypeError(f"{name} must be a bool (or 'true'/'false'), got {value!r}")
