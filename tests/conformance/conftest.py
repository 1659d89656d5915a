"""Conformance tests: pytest-kv against Miniflare, Cloudflare's own KV simulator.

Miniflare runs the real workerd runtime. ``oracle/oracle.mjs`` drives it from Node as
a JSON-lines server (see the comment at its top for the protocol); the fixtures here
start it once per session and run every operation on both sides:

- ``oracle`` (session): the running oracle, an :class:`Oracle`.
- ``both`` (function): a :class:`Both`, with the oracle's namespaces emptied, a fresh
  pair of pytest-kv namespaces, and both clocks at t = 1000 s, like Miniflare's own
  suite. ``both.run(...)`` runs one operation on each side and returns the two
  results in one normalized form (:class:`Outcome`), ready to compare with ``==``.

Without Node or the oracle's ``node_modules`` every conformance test is skipped,
except under ``CI=true``, where that is an error. Install the oracle with
``npm ci --prefix tests/conformance/oracle``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import selectors
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, NamedTuple

import pytest

from pytest_kv import KVError, KVNamespace, KVStream, KVSyntaxError, KVTypeError

HERE: Final = Path(__file__).parent
ORACLE_DIR: Final = HERE / "oracle"
INSTALL: Final = "npm ci --prefix tests/conformance/oracle"
START_TIME: Final = 1000.0  # seconds; Miniflare's suite starts its fake clock at 1_000_000 ms
TIMEOUT: Final = 120.0  # seconds to wait for one answer (a 25 MiB value takes a few)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "conformance: compares pytest-kv with Miniflare (needs Node and the oracle's "
        f"node_modules: {INSTALL})",
    )


_NOT_RUN = pytest.StashKey[tuple[int, str]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if HERE in item.path.parents]
    for item in ours:
        item.add_marker(pytest.mark.conformance)
    reason = missing_oracle()
    if ours and reason is not None and os.environ.get("CI") != "true":
        # One line in the summary instead of a skip line for every test.
        items[:] = [item for item in items if HERE not in item.path.parents]
        config.hook.pytest_deselected(items=ours)
        config.stash[_NOT_RUN] = (len(ours), reason)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if _NOT_RUN in config.stash:
        count, reason = config.stash[_NOT_RUN]
        terminalreporter.write_line(f"conformance: {count} tests not run: {reason}", yellow=True)


# -- normalized results ------------------------------------------------------------

VALUE_KINDS: Final = frozenset(
    {"undefined", "null", "string", "json", "object", "arrayBuffer", "stream", "map"}
)


class Outcome(NamedTuple):
    """One side's result of one operation, in a form both sides share.

    ``kind`` is the JavaScript type that came back, or the error's class:

    ============== =====================================================================
    kind           value
    ============== =====================================================================
    ``undefined``  ``None`` (what ``put`` and ``delete`` resolve to)
    ``null``       ``None``
    ``string``     the ``str``
    ``json``       a number, bool, or dict/list of JSON values (list and
                   ``getWithMetadata`` results are dicts: compared regardless of
                   property order; list ``cursor`` strings become ``"<cursor>"``)
    ``object``     a dict or list that holds a non-JSON value (say an ArrayBuffer,
                   from ``getWithMetadata(k, "arrayBuffer")``)
    ``arrayBuffer`` the ``bytes``
    ``stream``     every ``bytes`` the stream yields
    ``map``        a bulk read's ``Map`` as a list of ``(key, value)`` pairs, in order
    ``TypeError``, ``Error``, ``SyntaxError``, ...   the exact message
    ============== =====================================================================

    A non-JSON value nested in a dict, list or map is itself an ``Outcome``, e.g.
    ``Outcome("arrayBuffer", b"...")``. An outcome is a tuple, so tests can write
    ``assert result == ("TypeError", "Key name cannot be empty.")``.
    A Python exception other than pytest-kv's errors comes back as
    ``("python:<ExceptionClass>", message)``, so it shows up as a divergence.
    """

    kind: str
    value: Any

    @property
    def ok(self) -> bool:
        return self.kind in VALUE_KINDS


CURSOR_TEXT: Final = "<cursor>"


def _has_outcome(value: Any) -> bool:
    if isinstance(value, Outcome):
        return True
    if isinstance(value, dict):
        return any(_has_outcome(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_outcome(item) for item in value)
    return False


def _top(value: Any) -> Outcome:
    """The outcome for a normalized value (the same rule for both sides)."""
    if isinstance(value, Outcome):
        return value
    if value is None:
        return Outcome("null", None)
    if isinstance(value, str):
        return Outcome("string", value)
    return Outcome("object" if _has_outcome(value) else "json", value)


def _from_wire(encoded: dict[str, Any]) -> Any:
    """A value the oracle encoded (``{"type": ..., ...}``), normalized."""
    kind = encoded["type"]
    if kind == "undefined":
        return Outcome("undefined", None)
    if kind in ("null", "string", "json"):
        return encoded.get("value")
    if kind == "number":  # -0, NaN, Infinity, -Infinity, which JSON cannot carry
        return float(encoded["value"])
    if kind == "arrayBuffer":
        return Outcome("arrayBuffer", base64.b64decode(encoded["b64"]))
    if kind == "arrayBufferView":
        return Outcome(f"arrayBufferView:{encoded['class']}", base64.b64decode(encoded["b64"]))
    if kind == "stream":
        return Outcome("stream", base64.b64decode(encoded["b64"]))
    if kind == "map":
        return Outcome("map", [(key, _from_wire(item)) for key, item in encoded["pairs"]])
    if kind == "array":
        return [_from_wire(item) for item in encoded["items"]]
    if kind == "object":
        return {name: _from_wire(item) for name, item in encoded["entries"]}
    return Outcome(kind, encoded.get("repr"))


def _read_kv_stream(stream: KVStream) -> bytes:
    """Read a pytest-kv stream without an event loop (it never really suspends)."""
    coroutine = stream.read()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return bytes(done.value)
    coroutine.close()
    raise AssertionError("a KVStream suspended while being read")


def _from_fake(value: Any) -> Any:
    """A value pytest-kv returned, normalized like the oracle's."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Outcome("arrayBuffer", bytes(value))
    if isinstance(value, KVStream):
        return Outcome("stream", _read_kv_stream(value))
    if isinstance(value, dict):
        return {str(name): _from_fake(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_from_fake(item) for item in value]
    return Outcome(f"python:{type(value).__name__}", repr(value))


def _error_outcome(error: BaseException) -> Outcome:
    if isinstance(error, KVSyntaxError):
        return Outcome("SyntaxError", str(error))
    if isinstance(error, KVTypeError):
        return Outcome("TypeError", str(error))
    if isinstance(error, KVError):
        return Outcome("Error", str(error))
    return Outcome(f"python:{type(error).__name__}", str(error))


def _hide_cursor(outcome: Outcome) -> tuple[Outcome, str | None]:
    """A list result with its cursor text replaced (cursors differ by design)."""
    value = outcome.value
    if outcome.kind != "json" or not isinstance(value, dict) or "cursor" not in value:
        return outcome, None
    cursor = value["cursor"]
    if not isinstance(cursor, str) or cursor == "":
        return outcome, None
    return Outcome(outcome.kind, {**value, "cursor": CURSOR_TEXT}), cursor


# -- the oracle process -----------------------------------------------------------


class OracleError(RuntimeError):
    """The oracle process failed (not a KV error: those come back as outcomes)."""


def missing_oracle() -> str | None:
    """Why the oracle cannot run here, or ``None`` when it can."""
    if shutil.which("node") is None:
        return f"Miniflare oracle not installed: `node` is not on PATH (then run `{INSTALL}`)"
    if not (ORACLE_DIR / "node_modules" / "miniflare" / "package.json").is_file():
        return f"Miniflare oracle not installed: run `{INSTALL}`"
    return None


class Oracle:
    """``node oracle.mjs``, one JSON command per line in and one result per line out.

    ``call(command)`` sends a raw command dict and returns the raw answer dict;
    ``run(op, ...)`` returns an :class:`Outcome`. See ``oracle/oracle.mjs`` for the
    commands.
    """

    def __init__(self, log: IO[bytes]) -> None:
        node = shutil.which("node")
        assert node is not None
        self._log = log
        self._buffer = b""
        self._process = subprocess.Popen(
            [node, "oracle.mjs"],
            cwd=ORACLE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        try:
            self.versions: dict[str, str] = self.call({"op": "version"})["value"]
        except BaseException:
            self.close()
            raise

    def _log_tail(self) -> str:
        try:
            self._log.flush()
            with open(self._log.name, "rb") as log:
                data = log.read()
        except OSError:
            return ""
        text = data[-4000:].decode("utf-8", "replace").strip()
        return f"\n--- oracle stderr (tail) ---\n{text}" if text else ""

    def _read_line(self, timeout: float) -> bytes:
        stdout = self._process.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise OracleError(f"no answer from the oracle in {timeout} s{self._log_tail()}")
                chunk = os.read(stdout.fileno(), 1 << 20)
                if not chunk:
                    code = self._process.poll()
                    raise OracleError(f"the oracle exited (code {code}){self._log_tail()}")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def call(self, command: dict[str, Any], timeout: float = TIMEOUT) -> dict[str, Any]:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(command).encode("utf-8") + b"\n")
            stdin.flush()
        except (BrokenPipeError, ValueError) as error:
            raise OracleError(f"cannot write to the oracle: {error}{self._log_tail()}") from None
        answer: dict[str, Any] = json.loads(self._read_line(timeout))
        if not answer["ok"] and answer["name"] == "OracleError":
            raise OracleError(answer["message"])
        return answer

    def run(self, command: dict[str, Any]) -> Outcome:
        answer = self.call(command)
        if not answer["ok"]:
            return Outcome(answer["name"], answer["message"])
        return _top(_from_wire(answer))

    def reset(self, now_ms: int) -> None:
        """Delete every key of both namespaces; set the test namespace's clock."""
        self.call({"op": "reset", "time": now_ms})

    def set_time(self, ms: int) -> None:
        self.call({"op": "clock", "set": ms})

    def advance(self, ms: int) -> None:
        self.call({"op": "clock", "advance": ms})

    def close(self) -> None:
        """Ask the oracle to quit (it disposes Miniflare), then reap it."""
        process = self._process
        if process.poll() is None:
            with contextlib.suppress(OracleError, OSError, ValueError):
                self.call({"op": "quit"}, timeout=30)
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="session")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    """The Miniflare oracle, started once per session (skipped if not installed)."""
    reason = missing_oracle()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the conformance suite must run in CI)")
        pytest.skip(reason)
    log_path = tmp_path_factory.mktemp("oracle") / "oracle-stderr.log"
    with open(log_path, "wb") as log:
        process = Oracle(log)
        try:
            yield process
        finally:
            process.close()


# -- running one operation on both sides ---------------------------------------------


class ManualClock:
    """The fake's clock: epoch seconds, set and moved by hand (``now()``/``advance()``)."""

    def __init__(self, now: float) -> None:
        self.time = now

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> float:
        self.time += seconds
        return self.time


class _Absent:
    """An argument left out (JavaScript ``undefined``), unlike ``None`` (``null``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


class _Follow:
    """Placeholder for a list cursor: each side uses the cursor of its own last list."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FOLLOW"


FOLLOW: Final = _Follow()

REPRESENTATIONS: Final = ("uint8array", "arrayBuffer", "stream", "blobStream", "string")


@dataclass(frozen=True)
class Payload:
    """A binary ``put`` value and how to pass it.

    ``as_`` is ``"uint8array"`` (the fake gets ``bytes``), ``"arrayBuffer"`` (the fake
    gets a ``memoryview``), ``"stream"`` (a byte stream of unknown length; the fake
    gets an async iterator of ``bytes``), ``"blobStream"`` (``new Blob([...]).stream()``;
    the fake gets an async iterator too) or ``"string"`` (the bytes decoded as UTF-8).
    ``junk=True`` means ``data`` is ignored and ``size`` bytes of ``x`` are made on
    each side (so 25 MiB never crosses the pipe).
    """

    data: bytes = b""
    as_: str = "uint8array"
    junk: bool = False
    size: int = 0

    def __post_init__(self) -> None:
        if self.as_ not in REPRESENTATIONS:
            raise ValueError(f"as_ must be one of {REPRESENTATIONS}, got {self.as_!r}")

    def wire(self) -> dict[str, Any]:
        if self.junk:
            return {"junk": self.size, "as": self.as_}
        return {"b64": base64.b64encode(self.data).decode("ascii"), "as": self.as_}

    def for_fake(self) -> Any:
        data = b"x" * self.size if self.junk else self.data
        if self.as_ == "uint8array":
            return data
        if self.as_ == "arrayBuffer":
            return memoryview(data)
        if self.as_ == "string":
            return data.decode("utf-8", "replace")
        return _chunks(data)


async def _chunks(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


OPS: Final = ("get", "getWithMetadata", "put", "delete", "list")


class Both:
    """pytest-kv and Miniflare side by side, on the same clock, emptied for each test.

    ``both.run(op, key, value, options, *, limits=False, keywords=False)`` runs one
    binding operation on both and returns ``(fake, oracle)``, two :class:`Outcome`
    values in the same normalized form, so a differential test is just::

        fake, real = both.run("put", "k", "v", {"expirationTtl": 30})
        assert fake == real

    Arguments:

    - ``op``: ``"get"``, ``"getWithMetadata"``, ``"put"``, ``"delete"`` or ``"list"``.
    - ``key``: a ``str``, a list of keys (bulk read) or any JSON value (coerced on the
      Miniflare side; pytest-kv may refuse it, on purpose). Ignored by ``list``.
    - ``value`` (``put``): a ``str``, ``bytes`` (a ``Uint8Array``), a :class:`Payload`
      from ``both.payload()`` / ``both.junk()``, or another JSON value. ``ABSENT``
      (the default) leaves the argument out.
    - ``options``: a type string, an options dict, ``None`` (JavaScript ``null``) or
      ``ABSENT`` (the default: the argument is not passed). For ``list`` it is the
      only argument. In a list's options, ``"cursor": FOLLOW`` (``both.FOLLOW``) makes
      each side use the cursor of its own previous list, since cursor texts differ
      by design: list results show every non-empty cursor as ``"<cursor>"``.
    - ``limits=True``: use the second namespace pair, whose Miniflare side never gets
      a control op and so keeps production limits (25 MiB values) but the real
      clock; its pytest-kv twin uses the real clock too.
    - ``keywords=True``: pass a dict of options to pytest-kv as keyword arguments
      (``get(k, type="json")``) instead of one positional dict.

    ``both.check(op, ..., expect=...)`` asserts that Miniflare gives ``expect`` (when
    given) and that pytest-kv gives the same, and returns Miniflare's outcome.
    ``both.set_time(seconds)`` / ``both.advance(seconds)`` move both clocks;
    ``both.fake`` / ``both.fake_limits`` are the pytest-kv namespaces and
    ``both.oracle`` the :class:`Oracle`.
    """

    ABSENT: Final = ABSENT
    FOLLOW: Final = FOLLOW
    CURSOR_TEXT: Final = CURSOR_TEXT

    def __init__(self, oracle: Oracle, now: float = START_TIME) -> None:
        self.oracle = oracle
        self.clock = ManualClock(now)
        self.fake = KVNamespace("KV", clock=self.clock)
        self.fake_limits = KVNamespace("KV_LIMITS")
        self._cursors: dict[tuple[str, bool], str | None] = {}
        oracle.reset(round(now * 1000))

    # -- clocks ---------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.now()

    def set_time(self, seconds: float) -> None:
        self.clock.time = seconds
        self.oracle.set_time(round(seconds * 1000))

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.oracle.advance(round(seconds * 1000))

    # -- values ---------------------------------------------------------------------

    @staticmethod
    def payload(data: bytes, as_: str = "uint8array") -> Payload:
        return Payload(data, as_)

    @staticmethod
    def junk(size: int, as_: str = "stream") -> Payload:
        """``size`` bytes of ``x``, like Miniflare's ``createJunkStream(size)``."""
        return Payload(as_=as_, junk=True, size=size)

    # -- operations -----------------------------------------------------------------

    def run(
        self,
        op: str,
        key: Any = ABSENT,
        value: Any = ABSENT,
        options: Any = ABSENT,
        *,
        limits: bool = False,
        keywords: bool = False,
    ) -> tuple[Outcome, Outcome]:
        """Run one operation on pytest-kv and on Miniflare: ``(fake, oracle)``."""
        if op not in OPS:
            raise ValueError(f"op must be one of {OPS}, got {op!r}")
        fake_options = self._follow(options, "fake", limits)
        oracle_options = self._follow(options, "oracle", limits)
        fake = self._run_fake(op, key, value, fake_options, limits, keywords)
        real = self._run_oracle(op, key, value, oracle_options, limits)
        if op == "list":
            fake, fake_cursor = _hide_cursor(fake)
            real, real_cursor = _hide_cursor(real)
            self._cursors[("fake", limits)] = fake_cursor
            self._cursors[("oracle", limits)] = real_cursor
        return fake, real

    def check(
        self,
        op: str,
        key: Any = ABSENT,
        value: Any = ABSENT,
        options: Any = ABSENT,
        *,
        expect: Any = ABSENT,
        limits: bool = False,
        keywords: bool = False,
    ) -> Outcome:
        """``run``, then assert Miniflare gave ``expect`` and pytest-kv the same."""
        __tracebackhide__ = True
        fake, real = self.run(op, key, value, options, limits=limits, keywords=keywords)
        call = _describe(op, key, value, options, limits)
        if expect is not ABSENT:
            assert real == expect, f"Miniflare: {call} -> {real!r}, expected {expect!r}"
        assert fake == real, (
            f"pytest-kv diverges: {call}\n  pytest-kv: {fake!r}\n  Miniflare: {real!r}"
        )
        return real

    def _follow(self, options: Any, side: str, limits: bool) -> Any:
        """``options`` with ``"cursor": FOLLOW`` replaced by ``side``'s last cursor."""
        if not isinstance(options, dict) or options.get("cursor") is not FOLLOW:
            return options
        cursor = self._cursors.get((side, limits))
        if cursor is None:
            raise AssertionError("cursor=FOLLOW, but the previous list returned no cursor")
        return {**options, "cursor": cursor}

    def _run_oracle(self, op: str, key: Any, value: Any, options: Any, limits: bool) -> Outcome:
        command: dict[str, Any] = {"op": op}
        if op != "list" and key is not ABSENT:
            command["key"] = key
        if op == "put" and value is not ABSENT:
            if isinstance(value, Payload):
                command.update(value.wire())
            elif isinstance(value, (bytes, bytearray, memoryview)):
                command.update(Payload(bytes(value)).wire())
            else:
                command["value"] = value
        if options is not ABSENT:
            command["options"] = options
        if limits:
            command["limits"] = True
        return self.oracle.run(command)

    def _run_fake(
        self, op: str, key: Any, value: Any, options: Any, limits: bool, keywords: bool
    ) -> Outcome:
        ns = (self.fake_limits if limits else self.fake).sync
        args: list[Any] = []
        if op != "list" and key is not ABSENT:
            args.append(key)
        if op == "put" and value is not ABSENT:
            args.append(value.for_fake() if isinstance(value, Payload) else value)
        kwargs: dict[str, Any] = {}
        if options is not ABSENT:
            if keywords and isinstance(options, dict):
                kwargs = dict(options)
            else:
                args.append(options)
        try:
            result = getattr(ns, op)(*args, **kwargs)
        except Exception as error:
            return _error_outcome(error)
        if op in ("put", "delete") and result is None:
            return Outcome("undefined", None)
        if op in ("get", "getWithMetadata") and isinstance(key, list) and isinstance(result, dict):
            return Outcome("map", [(str(k), _from_fake(v)) for k, v in result.items()])
        return _top(_from_fake(result))


def _describe(op: str, key: Any, value: Any, options: Any, limits: bool) -> str:
    def short(item: Any) -> str:
        text = repr(item)
        return text if len(text) <= 80 else f"{text[:60]}...<{len(text)} chars>"

    parts = [] if op == "list" else [short(key)]
    if value is not ABSENT:
        parts.append(short(value))
    if options is not ABSENT:
        parts.append(short(options))
    where = " [production-limits namespace]" if limits else ""
    return f"{op}({', '.join(parts)}){where}"


@pytest.fixture
def both(oracle: Oracle) -> Both:
    """pytest-kv and Miniflare side by side, emptied, both clocks at t = 1000 s."""
    return Both(oracle)


# -- the REST oracle (Miniflare's local explorer) -----------------------------------


@pytest.fixture(scope="session")
def explorer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Miniflare's local explorer, started once per session (skipped if not installed)."""
    from explorer_support import Explorer

    reason = missing_oracle()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the conformance suite must run in CI)")
        pytest.skip(reason)
    log_path = tmp_path_factory.mktemp("explorer") / "explorer-stderr.log"
    with open(log_path, "wb") as log:
        process = Explorer(log)
        try:
            yield process
        finally:
            process.close()


@pytest.fixture
def rest_both(explorer: Any) -> Any:
    """pytest-kv's REST API and the explorer side by side, emptied."""
    from explorer_support import RestBoth

    return RestBoth(explorer)
