"""Stand-ins for the Python Workers SDK modules (``workers``, ``workers.asgi``, ``js``,
``pyodide.ffi``) on CPython, and ``KVWorker``, which imports a Worker's main module and
calls it the way workerd does.

Worker code sees these modules exactly where production's cannot work: under CPython,
when no working ``workers`` module is importable. Inside Pyodide nothing is installed.
"""

from __future__ import annotations
