"""The plugin's options: their names, how ini text becomes a value, who reads them.

Options reach fixtures from ini settings (suite-wide defaults, ``kv_<name>``), then
``@pytest.mark.kv(...)`` markers (the closest wins), then ``kv_factory(...)`` calls.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import iniconfig
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from pytest_kv.errors import did_you_mean
from pytest_kv.kv.listing import PageShape
from pytest_kv.kv.settings import EVENTUAL, STRONG, Consistency, consistency, flag, names_in

from .clock import to_epoch

# Options that only mean something when reads can be stale.
EVENTUAL_ONLY: Final = ("propagation", "cache_ttl", "list_lag")


def _instant(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return to_epoch(text)


def _names(text: str) -> tuple[str, ...]:
    return names_in(text)


def _propagation(text: str) -> object:
    """``60``, or ``lhr=5 syd=90 *=60`` for a delay per destination."""
    if "=" not in text:
        return float(text)
    delays: dict[str, float] = {}
    for pair in _names(text):
        location, _, seconds = pair.partition("=")
        delays[location] = float(seconds)
    return delays


def _flag(text: str) -> bool:
    try:
        return flag("value", text)
    except ValueError:
        raise ValueError(f"expected true or false, got {text!r}") from None


def _flag_or_count(text: str) -> bool | int:
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() else _flag(stripped)


def _not_in_ini(text: str) -> object:
    raise ValueError("this option can only be given in a marker")


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    help: str
    from_ini: Callable[[str], Any]
    # Who reads it: "namespace" (KVNamespace), "clock" (kv_clock) or "plugin" (fixtures).
    scope: str = "namespace"

    @property
    def ini_name(self) -> str:
        return f"kv_{self.name}"


OPTIONS: Final[dict[str, Option]] = {
    option.name: option
    for option in (
        Option(
            "locations",
            "edge locations, comma-separated; the first is where a namespace object "
            "reads and writes (default: local)",
            _names,
        ),
        Option("consistency", "strong or eventual (default: strong)", str.strip),
        Option(
            "propagation",
            "eventual: seconds until a write reaches other locations, or loc=seconds "
            "pairs with *=default (default: 60)",
            _propagation,
        ),
        Option("cache_ttl", "eventual: cacheTtl of reads that give none (default: 60)", int),
        Option(
            "list_lag", "eventual: seconds before a change shows in list() (default: 60)", float
        ),
        Option("page_size", "list(): at most this many keys a page (default: no cap)", int),
        Option(
            "log_limit",
            "how many calls ns.calls keeps, and history events in eventual mode, the newest "
            "ones; 0 keeps all (default: 100000)",
            int,
        ),
        Option("read_only", "any write is an error (default: false)", _flag),
        Option(
            "rate_limits",
            "production's limit of one write a second per key, as 429 errors (default: false)",
            _flag,
        ),
        Option(
            "empty_pages",
            "list(): where to insert empty pages: start, middle, end, every (default: none)",
            _names,
        ),
        Option(
            "clock_start",
            "where kv_clock freezes time: epoch seconds or ISO 8601 (UTC unless an "
            "offset is given); default: the current second",
            _instant,
            scope="clock",
        ),
        Option(
            "strict",
            "fail a test at teardown when its code swallowed a KV validation error (default: true)",
            _flag,
            scope="plugin",
        ),
        Option(
            "bindings",
            "kv_env: the KV binding names, instead of reading the wrangler config",
            _names,
            scope="plugin",
        ),
        Option(
            "seed_files",
            "marker only: {binding: path or [paths]} of wrangler bulk-put files to seed",
            _not_in_ini,
            scope="plugin",
        ),
        Option(
            "wrangler_config",
            "kv_env: the wrangler config file, relative to the rootdir (default: "
            "wrangler.toml, wrangler.json or wrangler.jsonc in the rootdir)",
            str.strip,
            scope="plugin",
        ),
        Option(
            "wrangler_env",
            "kv_env: the [env.<name>] section of the wrangler config to read",
            str.strip,
            scope="plugin",
        ),
        Option(
            "workers_stand_ins",
            "ini only: put pytest-kv's stand-ins for the workers, asgi, js and pyodide "
            "modules into sys.modules where the real ones cannot work (default: true)",
            _flag,
            scope="plugin",
        ),
        Option(
            "workers_sdk",
            "kv_worker: the SDK the Worker runs with: vendored (workers-runtime-sdk, "
            "KV bindings wrapped) or frozen (the built-in SDK, raw bindings) "
            "(default: vendored)",
            str.strip,
            scope="plugin",
        ),
        Option(
            "compatibility_date",
            "kv_worker: the compatibility date, instead of the wrangler config's",
            str.strip,
            scope="plugin",
        ),
        Option(
            "compatibility_flags",
            "kv_worker: the compatibility flags (ini: comma-separated), instead of the "
            "wrangler config's",
            _names,
            scope="plugin",
        ),
        Option(
            "api_token",
            "kv_api: accept only this API token (default: any credential)",
            str.strip,
            scope="plugin",
        ),
        Option(
            "api_account_id",
            "kv_api: the account id of the REST API (default: 023e105f4ecef8ad9ca31a8372d0c353)",
            str.strip,
            scope="plugin",
        ),
        Option(
            "api_rate_limits",
            "kv_api: the API's account-wide limit of 1,200 requests per 5 minutes, as 429 "
            "errors; true, or a number of requests per 5 minutes (default: false)",
            _flag_or_count,
            scope="plugin",
        ),
        Option(
            "api_retries",
            "kv_api: off (error answers tell the cloudflare SDK not to retry) or sdk (it "
            "retries as against production, without waiting) (default: off)",
            str.strip,
            scope="plugin",
        ),
    )
}


def unknown_names(names: Iterable[str], where: str) -> str:
    """What is wrong with the first unknown option name, with a hint, or ``""``."""
    for name in names:
        if name not in OPTIONS:
            return (
                f"{where}: unknown option {name!r}{did_you_mean(name, OPTIONS)} "
                f"The options are: {', '.join(OPTIONS)}."
            )
    return ""


def check_names(names: Iterable[str], where: str) -> None:
    """Reject an unknown option with a hint, since a typo would silently do nothing."""
    problem = unknown_names(names, where)
    if problem:
        raise TypeError(problem)


def merge(farther: Mapping[str, Any], closer: Mapping[str, Any]) -> dict[str, Any]:
    """``closer`` wins; choosing strong consistency drops farther eventual settings."""
    merged = dict(farther)
    if closer.get("consistency") == STRONG:
        for name in EVENTUAL_ONLY:
            merged.pop(name, None)
    merged.update(closer)
    return merged


def namespace_options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in options.items() if OPTIONS[name].scope == "namespace"}


def settings_of(options: Mapping[str, Any]) -> Consistency:
    """The consistency settings that namespace ``options`` ask for, checked."""
    return consistency(
        options.get("locations", ("local",)),
        options.get("consistency", STRONG),
        options.get("propagation"),
        options.get("cache_ttl"),
        options.get("list_lag"),
    )


# The ini defaults, read and checked once when pytest starts.
INI_DEFAULTS = pytest.StashKey[dict[str, Any]]()


_TEST_OPTIONS = pytest.StashKey[dict[str, Any]]()
# Whether a test's options are the ini defaults alone (it has no kv marker).
_INI_ALONE = pytest.StashKey[bool]()
# The ini file's eventual-only options, read once per run.
_EVENTUAL_DEFAULTS = pytest.StashKey[dict[str, Any]]()


def ini_alone(request: pytest.FixtureRequest) -> bool:
    """Whether the test's options are the ini defaults alone, the same for every test
    without a ``kv`` marker (so what is worked out from them can be shared)."""
    test_options(request)
    alone: bool = request.node.stash.get(_INI_ALONE, False)
    return alone


def test_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A test's options: ini defaults, then markers from the farthest to the closest.
    Worked out once per test, whichever of its fixtures asks first."""
    __tracebackhide__ = True
    stash = request.node.stash
    options: dict[str, Any] | None = stash.get(_TEST_OPTIONS, None)
    if options is None:
        options = stash[_TEST_OPTIONS] = _merged(request)
    return options


def check_ini_defaults(defaults: Mapping[str, Any]) -> str:
    """What is wrong with the ini file's namespace options taken together, or ``""``.

    The eventual-only options are checked as an eventual namespace would take them:
    in the ini file they are defaults for the eventual namespaces of the suite.
    """
    ini = {name: value for name, value in defaults.items() if OPTIONS[name].scope == "namespace"}
    eventual = any(name in ini for name in EVENTUAL_ONLY)
    try:
        settings_of({**ini, "consistency": EVENTUAL} if eventual else ini)
        PageShape.of(ini.get("page_size"), ini.get("empty_pages", ()))
    except (TypeError, ValueError) as error:
        names = ", ".join(OPTIONS[name].ini_name for name in ini)
        return f"ini options ({names}): {error}"
    return ""


def eventual_defaults(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The ini file's eventual-only options (``kv_cache_ttl`` ...): defaults for the
    test's eventual namespaces, which strong namespaces ignore."""
    stash = request.config.stash
    defaults: dict[str, Any] | None = stash.get(_EVENTUAL_DEFAULTS, None)
    if defaults is None:
        ini = stash[INI_DEFAULTS]
        defaults = {name: ini[name] for name in EVENTUAL_ONLY if name in ini}
        stash[_EVENTUAL_DEFAULTS] = defaults
    return defaults


def kv_markers(node: Any) -> list[Any]:
    """The node's ``kv`` markers, the closest first: ``node.iter_markers("kv")``,
    walked directly (that walk runs a generator per node, for every test)."""
    found = []
    while node is not None:
        for mark in node.own_markers:
            if getattr(mark, "name", None) == "kv":
                found.append(mark)
        node = node.parent
    return found


# The options of the tests without a kv marker: the ini defaults alone, the same
# dict for all of them (read, never changed).
_INI_OPTIONS = pytest.StashKey[dict[str, Any]]()


def _merged(request: pytest.FixtureRequest) -> dict[str, Any]:
    __tracebackhide__ = True
    markers = kv_markers(request.node)  # the closest first
    request.node.stash[_INI_ALONE] = not markers
    if not markers:
        shared: dict[str, Any] | None = request.config.stash.get(_INI_OPTIONS, None)
        if shared is None:
            shared = request.config.stash[_INI_OPTIONS] = _ini_options(request)
        return shared
    options = _ini_options(request)
    for marker in reversed(markers):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.kv takes options by name only, got {marker.args!r}. "
                f"Options: {', '.join(OPTIONS)}",
                pytrace=False,
            )
        problem = unknown_names(marker.kwargs, "@pytest.mark.kv")
        if problem:
            pytest.fail(problem, pytrace=False)
        options = merge(options, marker.kwargs)
    return options


def _ini_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    ini = request.config.stash[INI_DEFAULTS]
    # Eventual-only defaults join later, and only for eventual namespaces.
    return {name: value for name, value in ini.items() if name not in EVENTUAL_ONLY}


def ini_keys(config: pytest.Config) -> list[str]:
    """Every key of the run's ini file and ``-o`` overrides. pytest offers no public
    way to list them, so the file is read again here (it is small)."""
    keys = [item.partition("=")[0].strip() for item in config.getoption("override_ini") or ()]
    path = config.inipath
    if path is None or not path.is_file():
        return keys
    try:
        if path.suffix == ".toml":
            tool = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
            section = tool.get("pytest", {}) if isinstance(tool, dict) else {}
            if isinstance(section, dict):
                keys.extend(section)
                legacy = section.get("ini_options", {})
                keys.extend(legacy if isinstance(legacy, dict) else ())
        else:
            parsed = iniconfig.IniConfig(str(path))
            for name in ("pytest", "tool:pytest"):
                if name in parsed:
                    keys.extend(parsed[name])
    except (OSError, ValueError, iniconfig.ParseError):
        pass  # pytest itself reports an unreadable ini file
    return keys
