"""Helpers for the listing code users get wrong most: pagination loops.

All of them work from sync and async tests (none needs ``await``), read the god
view without touching caches, and say in a failure what they found and what to check.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, Final

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.binding.results import list_result
from pytest_kv.errors import GET
from pytest_kv.js.text import encode_text
from pytest_kv.kv.faults import RunawayListingError
from pytest_kv.kv.limits import check_prefix
from pytest_kv.kv.listing import PageShape, list_page
from pytest_kv.kv.namespace import TRIAL, Trial
from pytest_kv.suspension import stepping

from .arguments import key_name, limit_of, names_of, namespace_of, prefix_of

__all__ = ["assert_keys", "assert_paginates", "assert_pagination", "list_all"]

_MAX_PAGES: Final = 1_000_000


def _walk(ns: KVNamespace, prefix: str | None, limit: int) -> list[dict[str, Any]]:
    """Every page ``list()`` at ``ns``'s location returns now, following cursors.

    The pages come from the service as the binding's would (lag and page shapes
    included), but the walk is the test's: no injected failure fires, no invocation
    counts it, and the call log does not show it.
    """
    shared, now = ns._shared, ns._now()
    encoded = encode_text(prefix) if prefix else b""
    check_prefix(GET, encoded)
    pages: list[dict[str, Any]] = []
    cursor = None
    for _ in range(_MAX_PAGES):
        entries, cursor = list_page(ns._backend, limit, encoded, cursor, now, shared.shape)
        page = list_result(entries, cursor)
        pages.append(page)
        if cursor is None:
            return pages
    raise AssertionError(f"list() never completed after {_MAX_PAGES} pages")


def list_all(ns: KVNamespace, prefix: str | None = None, *, limit: int = 1000) -> list[str]:
    """Every key name ``list()`` returns, following the cursor page by page.

    It sees what ``ns``'s location sees (lag and page shapes included), without the
    side effects of a call: no injected failure fires, and the call log does not
    show it. ``ns`` may be a namespace or its ``.sync``.

    Example: ``assert list_all(kv, "user:") == ["user:1", "user:2"]``.
    """
    __tracebackhide__ = True
    ns = namespace_of(ns, "list_all")
    prefix = prefix_of(prefix, "list_all")
    pages = _walk(ns, prefix, limit_of(limit, "list_all"))
    return [item["name"] for page in pages for item in page["keys"]]


def _diff(found: Sequence[str], expected: Iterable[str]) -> tuple[list[str], list[str]]:
    wanted = set(expected)
    return sorted(wanted - set(found)), sorted(set(found) - wanted)


def assert_keys(ns: KVNamespace, expected: Iterable[str], *, prefix: str | None = None) -> None:
    """The live keys (the truth, under ``prefix``) are exactly ``expected``.

    Example: ``assert_keys(kv, ["session:ada"], prefix="session:")``.
    """
    __tracebackhide__ = True
    ns = namespace_of(ns, "assert_keys")
    expected = names_of(expected, "assert_keys", "expected")
    found = ns.keys(prefix_of(prefix, "assert_keys"))
    missing, unexpected = _diff(found, expected)
    if missing or unexpected:
        where = f" under prefix {prefix!r}" if prefix else ""
        lines = [f"assert_keys: the live keys{where} differ from the expected ones."]
        if missing:
            lines.append(f"  missing ({len(missing)}): {missing!r}")
        if unexpected:
            lines.append(f"  unexpected ({len(unexpected)}): {unexpected!r}")
        lines.append(
            "Check the keys your code writes and deletes, and expirations that have passed."
        )
        raise AssertionError("\n".join(lines))


def assert_pagination(ns: KVNamespace, *, prefix: str | None = None, limit: int = 1000) -> None:
    """Walk every page and check what production guarantees: names sorted by UTF-8 bytes
    across pages, no name twice, at most ``limit`` keys a page, ``cursor`` present
    exactly when ``list_complete`` is false, and together every live key under
    ``prefix``. (In eventual mode ``list()`` lags: ``settle()`` first.)

    Example: ``assert_pagination(kv, prefix="user:", limit=10)``.
    """
    __tracebackhide__ = True
    ns = namespace_of(ns, "assert_pagination")
    prefix = prefix_of(prefix, "assert_pagination")
    limit = limit_of(limit, "assert_pagination")
    pages = _walk(ns, prefix, limit)
    problems = page_problems(pages, limit, ns.keys(prefix))
    if problems:
        raise AssertionError(
            f"assert_pagination ({len(pages)} pages, prefix={prefix!r}, limit={limit}):\n  "
            + "\n  ".join(problems)
        )


def page_problems(pages: list[dict[str, Any]], limit: int, live: list[str]) -> list[str]:
    """Where a walk's pages break production's rules, with ``live`` the keys they
    should hold together."""
    problems: list[str] = []
    names: list[str] = []
    for number, page in enumerate(pages, 1):
        keys = [item["name"] for item in page["keys"]]
        if len(keys) > limit:
            problems.append(f"page {number} has {len(keys)} keys, more than limit={limit}")
        if ("cursor" in page) == page["list_complete"]:
            problems.append(
                f"page {number}: list_complete is {page['list_complete']} but cursor is "
                + ("present" if "cursor" in page else "missing")
            )
        names.extend(keys)
    encoded = [encode_text(name) for name in names]
    if encoded != sorted(encoded):
        problems.append("the names are not in UTF-8 byte order across pages")
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        problems.append(f"names returned more than once: {repeated!r}")
    missing, unexpected = _diff(names, live)
    if missing:
        problems.append(f"live keys never listed: {missing!r}")
    if unexpected:
        problems.append(f"listed keys that are not live: {unexpected!r}")
    return problems


# The shapes assert_paginates tries: a name, what it makes of n keys, and the bug it
# exposes when a listing function fails under it.
_SHAPES: Final[list[tuple[str, Callable[[int], PageShape | None], str]]] = [
    (
        "one key a page",
        lambda n: PageShape(1),
        "it probably reads only the first page, or stops when a page is smaller than "
        "`limit`; follow result['cursor'] until result['list_complete'] is true",
    ),
    (
        "an empty page first",
        lambda n: PageShape(None, frozenset({"start"})),
        "it probably stops when a page's keys are empty; production returns empty pages "
        "with list_complete false while it walks past deleted keys",
    ),
    (
        "an empty page in the middle",
        lambda n: PageShape(max(1, n // 2), frozenset({"middle"})),
        "it probably stops when a page's keys are empty; loop on list_complete instead",
    ),
    (
        "an empty page at the end",
        lambda n: PageShape(None, frozenset({"end"})),
        "it probably treats a short or final-looking page as the last; only "
        "list_complete says the listing is done",
    ),
    (
        "exactly 1000 keys a page",
        lambda n: PageShape(1000),
        "it probably mishandles full pages of 1000 keys",
    ),
]


def _names(returned: object) -> list[str]:
    if returned is None:
        return []
    if not isinstance(returned, Iterable) or isinstance(returned, (str, bytes)):
        raise TypeError(
            f"assert_paginates: the listing function must return key names (or key "
            f"dicts with 'name'), got {type(returned).__name__}"
        )
    return [key_name(item, "assert_paginates") for item in returned]


def _what_went_wrong(names: list[str], wanted: list[str], hint: str) -> str | None:
    """What a listing function returned wrong under one shape, and the likely bug."""
    missing, unexpected = _diff(names, wanted)
    counts = Counter(names)
    repeated = sorted(key for key, count in counts.items() if count > 1)
    if not (missing or unexpected or repeated):
        return None
    if repeated:
        found = [
            f"returned {len(names)} names for {len(wanted)} keys, "
            f"{len(repeated)} of them more than once ({_some(repeated)})"
        ]
        hint = "it probably re-reads a page, or reuses an old cursor"
    else:
        found = [f"returned {len(set(names) - set(unexpected))} of {len(wanted)} keys"]
    if missing:
        found.append(f"missing {_some(missing)}")
    if unexpected:
        found.append(f"unexpected {_some(unexpected)}")
        stripped = _stripped_prefix(unexpected, wanted)
        if stripped is not None:
            hint = (
                f"the names it returns differ from the keys by a prefix ({stripped!r}); if "
                "it returns names without their prefix on purpose, pass expected= with "
                "the names it should return"
            )
        else:
            hint = (
                "it returned keys outside the expected ones; pass the same prefix with every cursor"
            )
    return f"{', '.join(found)}; {hint}"


def _some(names: list[str]) -> str:
    return repr(names[:5])[:-1] + (", ...]" if len(names) > 5 else "]")


def _stripped_prefix(unexpected: list[str], wanted: list[str]) -> str | None:
    """The prefix that turns every unexpected name into an expected key, if one does."""
    if not wanted:
        return None
    for key in wanted:
        if key.endswith(unexpected[0]) and key != unexpected[0]:
            prefix = key[: len(key) - len(unexpected[0])]
            expected = set(wanted)
            if all(prefix + name in expected for name in unexpected):
                return prefix
    return None


def _takes_arguments(fn: Callable[..., Any]) -> bool:
    try:
        return bool(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # a builtin without a signature: give it ns
        return True


def _run(fn: Callable[..., Any], ns: KVNamespace) -> object:
    with stepping():
        # KV calls do not suspend in here, even inside an async test: the fake never
        # awaits anything real, so the coroutine runs to the end at once.
        call = fn(ns) if _takes_arguments(fn) else fn()
        if not inspect.isawaitable(call):
            return call
        coroutine: Coroutine[Any, Any, Any] = call  # type: ignore[assignment]
        try:
            coroutine.send(None)
        except StopIteration as done:
            return done.value
        coroutine.close()
    raise TypeError(
        "assert_paginates: the listing function awaited real I/O; it must only await the namespace"
    )


def assert_paginates(
    fn: Callable[..., Any],
    ns: KVNamespace,
    *,
    prefix: str | None = None,
    expected: Iterable[str] | None = None,
) -> None:
    """Run a listing function under every production-legal page shape and check that
    it returns each expected key exactly once.

    ``fn`` is sync or async and takes ``ns`` (or nothing); it returns key names (or
    the key dicts of ``list()``). ``expected`` defaults to the live keys under
    ``prefix``. The shapes: one key a page, an empty page first, in the middle and
    at the end, and exactly 1000 keys a page. The failure names the shape that broke
    the function and the likely bug.

    Example::

        async def all_users(kv):
            ...  # the code under test: list(prefix="user:") page by page
        assert_paginates(all_users, kv, prefix="user:")
    """
    __tracebackhide__ = True
    ns = namespace_of(ns, "assert_paginates")
    if not callable(fn):
        raise TypeError(f"assert_paginates: the listing function must be callable, got {fn!r}")
    prefix = prefix_of(prefix, "assert_paginates")
    if expected is None:
        wanted = sorted(ns.keys(prefix))
    else:
        wanted = sorted(names_of(expected, "assert_paginates", "expected"))
    shared = ns._shared
    failures: list[str] = []
    for name, make, hint in _SHAPES:
        # Every page a correct loop needs, with room for empty pages and retries.
        token = TRIAL.set(Trial(shared, make(len(wanted)), 3 * (len(wanted) + 5)))
        try:
            names = _names(_run(fn, ns))
        except RunawayListingError as runaway:
            failures.append(f"{name}: {runaway}")
            continue
        finally:
            TRIAL.reset(token)
        problem = _what_went_wrong(names, wanted, hint)
        if problem:
            failures.append(f"{name}: {problem}")
    if failures:
        raise AssertionError(
            f"assert_paginates: {getattr(fn, '__name__', 'the listing function')} fails "
            f"under {len(failures)} of {len(_SHAPES)} page shapes:\n  " + "\n  ".join(failures)
        )
