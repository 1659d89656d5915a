"""The plugin's options: their names, how ini text becomes a value, who reads them.

Options reach fixtures from ini settings (suite-wide defaults, ``kv_<name>``), then
``@pytest.mark.kv(...)`` markers (the closest wins), then ``kv_factory(...)`` calls.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import pytest

from pytest_kv.errors import did_you_mean
from pytest_kv.kv.settings import STRONG, Consistency, consistency

from .clock import to_epoch

# Options that only mean something when reads can be stale.
EVENTUAL_ONLY: Final = ("propagation", "cache_ttl", "list_lag")


def _instant(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return to_epoch(text)


def _names(text: str) -> tuple[str, ...]:
    return tuple(name for name in re.split(r"[\s,]+", text) if name)


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
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


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


def check_names(names: Iterable[str], where: str) -> None:
    """Reject an unknown option with a hint, since a typo would silently do nothing."""
    for name in names:
        if name not in OPTIONS:
            raise TypeError(
                f"{where}: unknown option {name!r}{did_you_mean(name, OPTIONS)} "
                f"The options are: {', '.join(OPTIONS)}."
            )


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


def test_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A test's options: ini defaults, then markers from the farthest to the closest."""
    __tracebackhide__ = True
    options = request.config.stash[INI_DEFAULTS]
    markers = list(request.node.iter_markers("kv"))  # the closest first
    for marker in reversed(markers):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.kv takes options by name only, got {marker.args!r}. "
                f"Options: {', '.join(OPTIONS)}",
                pytrace=False,
            )
        try:
            check_names(marker.kwargs, "@pytest.mark.kv")
        except TypeError as error:
            pytest.fail(str(error), pytrace=False)
        options = merge(options, marker.kwargs)
    return options
