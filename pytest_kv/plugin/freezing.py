"""freezegun's freeze without its per-test scan of every loaded module.

freezegun's ``start()`` walks every module in ``sys.modules`` (``dir()`` and a hash of
the names of each, milliseconds with some 700 modules loaded) to find the attributes
that hold the real ``time.time``, ``datetime.datetime`` and so on, and ``stop()`` walks
the modules imported since. The places are the same from one test to the next, so
pytest-kv finds them once per process (:func:`patch_sites`) and after that reads again
only the modules that are new, replaced, or have gained or lost attributes, which it
tells by an identity check and a dict length per module. When nothing changed, as
between most tests, that check is three list comparisons that run in C.

Everything else is freezegun's own: its fakes (``FakeDatetime``, ``fake_time``, ...)
and its stacks (``freeze_factories``, ``tz_offsets``, ``ignore_lists``,
``tick_flags``), so a ``freeze_time`` that the test starts inside ``kv_clock`` nests
as it would inside freezegun's own freeze. Those are freezegun internals (pinned
``freezegun>=1.5,<2``); when one is missing, :func:`start` returns ``None`` and the
caller uses freezegun's ``start()`` instead.

Monotonic clocks are never frozen here (``kv_clock`` keeps them real so event loops
can sleep), so neither are they patched, nor is the event loop's ``time()``.
"""

from __future__ import annotations

import copyreg
import datetime
import sys
import time
import uuid
import warnings
from collections.abc import Sequence
from functools import partial
from typing import Any, Final

__all__ = ["Frozen", "PatchSites", "patch_sites", "start"]

# What freezegun's start() replaces, by name in freezegun.api: (real, fake). The
# monotonic clocks are left out on purpose (see the module docstring).
_PAIRS: Final = (
    ("real_date", "FakeDate"),
    ("real_datetime", "FakeDatetime"),
    ("real_gmtime", "fake_gmtime"),
    ("real_localtime", "fake_localtime"),
    ("real_strftime", "fake_strftime"),
    ("real_time", "fake_time"),
    ("real_time_ns", "fake_time_ns"),
)
# Attributes of the time module itself, by the name of freezegun's real object.
_TIME_ATTRIBUTES: Final = {
    "real_time": "time",
    "real_time_ns": "time_ns",
    "real_gmtime": "gmtime",
    "real_localtime": "localtime",
    "real_strftime": "strftime",
}
# The other freezegun internals that a freeze touches.
_INTERNALS: Final = (
    "freeze_factories",
    "tz_offsets",
    "ignore_lists",
    "tick_flags",
    "FrozenDateTimeFactory",
    "pickle_fake_date",
    "pickle_fake_datetime",
    "uuid_generate_time_attr",
    "real_uuid_generate_time",
    "real_uuid_create",
)

# What start() reads of freezegun's freeze_time(...) object.
_FREEZER_ATTRIBUTES: Final = ("time_to_freeze", "tz_offset", "ignore", "tick", "auto_tick_seconds")

# One place that holds a real object: (module, attribute, real, fake).
_Site = tuple[Any, str, object, object]


def _api() -> Any:
    """freezegun.api if it has every internal used here, else None."""
    from freezegun import api

    names = [name for pair in _PAIRS for name in pair] + list(_INTERNALS)
    return api if all(hasattr(api, name) for name in names) else None


def _namespace(module: object) -> dict[str, Any] | None:
    """A module's ``__dict__``, whose length tells cheaply that its attributes changed.

    ``None`` for the odd object in ``sys.modules`` without a dict of its own (such as
    ``typing.io``): read once, then trusted while it is the same object.
    """
    try:
        namespace = getattr(module, "__dict__", None)
    except Exception:  # a lazy proxy that fails to load: nothing to read
        return None
    return namespace if type(namespace) is dict else None


# Stands in for the dict of an entry that has none, in refresh's quick comparison.
_NO_DICT: Final[dict[str, Any]] = {}

# What is known of one sys.modules entry: the object, its __dict__ (or None) and that
# dict's length when read, and its sites as (attribute, real object).
_Entry = tuple[object, "dict[str, Any] | None", int, "list[tuple[str, object]]"]


class PatchSites:
    """The module attributes that hold the real time functions and date classes.

    Built on first use by one walk over ``sys.modules`` (what freezegun does on every
    ``start()``); after that :meth:`refresh` walks ``sys.modules`` comparing each
    entry's identity and attribute count with what it saw, and reads again only the
    modules that differ: new ones, replaced ones, and ones that gained or lost
    attributes. A site is checked again when it is patched, so an attribute rebound
    since is left alone.
    """

    def __init__(self, api: Any) -> None:
        #: freezegun.api, with every internal used here.
        self.api = api
        pairs = [(getattr(api, real), getattr(api, fake)) for real, fake in _PAIRS]
        # ids are safe keys: freezegun's module keeps every real and fake alive.
        self._fake_for: dict[int, object] = {id(real): fake for real, fake in pairs}
        self._real_for: dict[int, object] = {id(fake): real for real, fake in pairs}
        # freezegun never restores attributes named like its fakes (a module that
        # imported FakeDatetime on purpose); neither does this.
        self._fake_names = frozenset(fake.__name__ for _, fake in pairs)
        self._entries: dict[str, _Entry] = {}
        # The entries with sites, apart: a freeze walks only these.
        self._with_sites: dict[str, _Entry] = {}
        # The sites to patch for the last ignore list, rebuilt when either changes.
        self._sites: list[_Site] | None = None
        self._ignore: tuple[str, ...] | None = None
        # sys.modules as last read, for refresh's quick comparison (see _snapshot).
        self._names: list[str] = []
        self._modules: list[object] = []
        self._dicts: list[dict[str, Any]] = []
        self._lengths: list[int] = []

    def refresh(self, *, restore: bool = False) -> None:
        """Read again the modules that are new or changed since the last look.

        With ``restore``, a fake found in them (a module imported while time was
        frozen took it from ``datetime`` or ``time``) is first put back to the real
        object, as freezegun's ``stop()`` does for the modules imported since
        ``start()``.
        """
        modules = sys.modules
        # The common case, nothing imported or changed since the last look, told by
        # comparisons that run in C: the walk below costs about twice as much, and
        # it runs twice a test.
        names = list(modules)
        if (
            names == self._names
            and list(modules.values()) == self._modules
            and list(map(len, self._dicts)) == self._lengths
        ):
            return
        entries = self._entries
        stale = len(entries)  # known names not met in sys.modules
        changed: list[tuple[str, object]] = []
        # A copy: reading a module's attributes can import more modules, which the
        # next look then finds (the snapshot below is of this copy).
        seen = list(modules.items())
        for name, module in seen:
            entry = entries.get(name)
            if entry is not None:
                stale -= 1
                if entry[0] is module and (entry[1] is None or len(entry[1]) == entry[2]):
                    continue
            changed.append((name, module))
        if changed:
            with warnings.catch_warnings():
                # Reading attributes can warn (deprecated module attributes), and
                # the suite may turn warnings into errors; freezegun ignores them too.
                warnings.simplefilter("ignore")
                for name, found in changed:
                    self._forget(name)
                    if found is not None:  # None blocks an import: nothing to patch
                        self._remember(name, self._read(name, found, restore))
        if stale:  # modules gone from sys.modules (pytester removes some): forget them
            for name in [name for name in entries if name not in sys.modules]:
                self._forget(name)
        self._snapshot(seen)

    def _snapshot(self, seen: Sequence[tuple[str, object]]) -> None:
        """Remember ``seen`` (``sys.modules`` as just read) for the quick comparison:
        each entry's name and object, and its dict's length when it was read."""
        self._names = [name for name, _ in seen]
        self._modules = [module for _, module in seen]
        dicts: list[dict[str, Any]] = []
        lengths: list[int] = []
        for name, _ in seen:
            entry = self._entries.get(name)
            # An entry without a dict (or a None that blocks an import) is trusted
            # while it is the same object: an empty dict's length never changes.
            if entry is None or entry[1] is None:
                dicts.append(_NO_DICT)
                lengths.append(0)
            else:
                dicts.append(entry[1])
                lengths.append(entry[2])
        self._dicts = dicts
        self._lengths = lengths

    def _forget(self, name: str) -> None:
        self._entries.pop(name, None)
        if self._with_sites.pop(name, None) is not None:
            self._sites = None

    def _remember(self, name: str, entry: _Entry) -> None:
        self._entries[name] = entry
        if entry[3]:
            self._with_sites[name] = entry
            self._sites = None

    def _read(self, name: str, module: object, restore: bool) -> _Entry:
        found: list[tuple[str, object]] = []
        try:
            module_name = getattr(module, "__name__", None)
        except Exception:  # a lazy proxy that fails to load
            module_name = None
        if (
            name in ("freezegun.api", self.api.__name__)
            or name.endswith(".six.moves")
            or module_name in (None, "datetime", "time")
        ):
            namespace = _namespace(module)  # as freezegun: never patched
            return module, namespace, len(namespace or ()), found
        try:
            attributes = dir(module)
        except Exception:  # dir() of an odd sys.modules entry; freezegun skips it too
            attributes = []
        for attribute in attributes:
            try:
                value = getattr(module, attribute)
            except Exception:  # e.g. a lazy attribute whose import fails
                continue
            real = self._real_for.get(id(value))
            if real is not None and restore and attribute not in self._fake_names:
                try:
                    setattr(module, attribute, real)
                except Exception:  # a read-only attribute: nothing to patch either
                    continue
                value = real
            if id(value) in self._fake_for:
                found.append((attribute, value))
        # The length after restoring: setattr can add a lazy attribute to __dict__.
        namespace = _namespace(module)
        return module, namespace, len(namespace or ()), found

    def sites(self, ignore: tuple[str, ...]) -> list[_Site]:
        """Every site outside the ignored modules (names starting with ``ignore``)."""
        if self._sites is None or ignore != self._ignore:
            self._sites = [
                (module, attribute, real, self._fake_for[id(real)])
                for name, (module, _, _, found) in self._with_sites.items()
                if not name.startswith(ignore)
                for attribute, real in found
            ]
            self._ignore = ignore
        return self._sites


class Frozen:
    """A freeze started by :func:`start`: its factory, and :meth:`stop`."""

    __slots__ = ("_sites", "_undo", "factory")

    def __init__(
        self, sites: PatchSites, factory: Any, undo: list[tuple[Any, str, object]]
    ) -> None:
        self._sites = sites
        #: freezegun's factory for this freeze (``tick()``, ``move_to()``, calling it).
        self.factory = factory
        self._undo = undo

    def stop(self) -> None:
        """Pop this freeze; if it was the last, put every real object back."""
        api = self._sites.api
        api.freeze_factories.pop()
        api.ignore_lists.pop()
        api.tick_flags.pop()
        api.tz_offsets.pop()
        if api.freeze_factories:
            return  # a freeze started inside this one was never stopped: as freezegun
        datetime.datetime = api.real_datetime  # type: ignore[misc]
        datetime.date = api.real_date  # type: ignore[misc]
        copyreg.dispatch_table.pop(api.real_datetime, None)
        copyreg.dispatch_table.pop(api.real_date, None)
        for real_name, attribute in _TIME_ATTRIBUTES.items():
            setattr(time, attribute, getattr(api, real_name))
        for module, attribute, original in self._undo:
            setattr(module, attribute, original)
        self._undo = []
        if api.uuid_generate_time_attr:
            setattr(uuid, api.uuid_generate_time_attr, api.real_uuid_generate_time)
        uuid._UuidCreate = api.real_uuid_create  # type: ignore[attr-defined]
        uuid._last_timestamp = None  # type: ignore[attr-defined]
        # Modules imported during the freeze took fakes: give them the reals, and
        # remember where they are for the next freeze.
        self._sites.refresh(restore=True)


# Found on first use, then kept for the process (each xdist worker has its own).
_api_found: Any = None
_patch_sites: PatchSites | None = None


def patch_sites() -> PatchSites | None:
    """The process's patch sites, or ``None`` if freezegun lacks an internal used here."""
    global _api_found, _patch_sites
    if _api_found is None:
        _api_found = _api() or False
    if _api_found is False:
        return None
    if _patch_sites is None:
        _patch_sites = PatchSites(_api_found)
    return _patch_sites


def start(freezer: Any) -> Frozen | None:
    """Start a freezegun ``freeze_time(...)`` object with the session's patch sites.

    Returns ``None``, having done nothing, when time is already frozen (the caller
    nests with ``freezer.start()``, which then patches nothing) or when freezegun
    lacks an internal used here. Wall time only: monotonic clocks stay real.
    """
    sites = patch_sites()
    if sites is None:
        return None
    api = sites.api
    if api.freeze_factories or not all(map(partial(hasattr, freezer), _FREEZER_ATTRIBUTES)):
        return None
    if freezer.tick or freezer.auto_tick_seconds:
        return None  # a ticking clock: freezegun's own factories do that
    sites.refresh()
    factory = api.FrozenDateTimeFactory(freezer.time_to_freeze)
    # freezegun's start(): the stacks its fakes read, in its order.
    api.freeze_factories.append(factory)
    api.tz_offsets.append(freezer.tz_offset)
    api.ignore_lists.append(freezer.ignore)
    api.tick_flags.append(False)
    datetime.datetime = api.FakeDatetime  # type: ignore[misc]
    datetime.date = api.FakeDate  # type: ignore[misc]
    for real_name, attribute in _TIME_ATTRIBUTES.items():
        setattr(time, attribute, getattr(api, "fake" + real_name[4:]))
    if api.uuid_generate_time_attr:
        setattr(uuid, api.uuid_generate_time_attr, None)
    uuid._UuidCreate = None  # type: ignore[attr-defined]
    uuid._last_timestamp = None  # type: ignore[attr-defined]
    copyreg.dispatch_table[api.real_datetime] = api.pickle_fake_datetime
    copyreg.dispatch_table[api.real_date] = api.pickle_fake_date
    undo: list[tuple[Any, str, object]] = []
    for module, attribute, real, fake in sites.sites(freezer.ignore):
        if getattr(module, attribute, None) is real:
            setattr(module, attribute, fake)
            undo.append((module, attribute, real))
    return Frozen(sites, factory, undo)
