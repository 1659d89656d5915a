"""An admin service (Flask) that manages feature flags through the Cloudflare REST API
with the official ``cloudflare`` SDK; Workers read the flags through their binding
(``flag_worker.py``). Nothing here knows about tests: the SDK client is built from
the environment, as in production."""

from __future__ import annotations

import json
import os
from typing import Any

import cloudflare
from cloudflare import Cloudflare
from flask import Flask, jsonify, request


def kv() -> Any:
    """The SDK's KV namespaces resource, from the environment (as deployed)."""
    return Cloudflare(api_token=os.environ["CLOUDFLARE_API_TOKEN"]).kv.namespaces


def where() -> dict[str, str]:
    return {
        "account_id": os.environ["CLOUDFLARE_ACCOUNT_ID"],
        "namespace_id": os.environ["FLAGS_NAMESPACE_ID"],
    }


def create_app() -> Flask:
    app = Flask(__name__)

    @app.put("/flags/<name>")
    def set_flag(name: str) -> Any:
        body = request.get_json(force=True)
        ttl = request.args.get("ttl", type=int)
        try:
            kv().values.update(
                f"flag:{name}",
                value=json.dumps(body).encode(),
                metadata={"owner": request.headers.get("x-user", "unknown")},
                **({"expiration_ttl": ttl} if ttl is not None else {}),
                **where(),
            )
        except cloudflare.BadRequestError as error:
            # The API refused the request itself (a TTL under 60 s, say): tell the caller.
            return jsonify(error=error.errors[0].message), 400
        except cloudflare.APIStatusError as error:
            return jsonify(
                error="KV is unavailable, try again"
            ), 503 if error.status_code >= 500 else 502
        return "", 204

    @app.get("/flags")
    def list_flags() -> Any:
        ids = where()
        # The SDK follows the cursor page by page.
        keys = kv().keys.list(ids["namespace_id"], account_id=ids["account_id"], prefix="flag:")
        return jsonify(sorted(key.name.removeprefix("flag:") for key in keys))

    @app.delete("/flags/<name>")
    def delete_flag(name: str) -> Any:
        kv().values.delete(f"flag:{name}", **where())
        return "", 204

    return app
