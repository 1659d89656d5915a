from workers import WorkerEntrypoint, Response

import hashlib
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

# A link shortener on Workers KV: a FastAPI API under /api, redirects served directly.
# Links expire (expirationTtl), list page by page, and count their visits in a
# ctx.waitUntil task, after the redirect has been sent.

app = FastAPI()


class NewLink(BaseModel):
    url: str
    ttl: int | None = None


@app.post("/api/links", status_code=201)
async def create_link(link: NewLink, request: Request):
    env = request.scope["env"]
    if urlsplit(link.url).scheme not in ("http", "https"):
        raise HTTPException(422, "url must be an http or https URL")
    code = hashlib.sha256(link.url.encode()).hexdigest()[:8]
    ttl = link.ttl or int(env.DEFAULT_TTL)
    await env.LINKS.put(f"link:{code}", link.url, expirationTtl=ttl, metadata={"url": link.url})
    return {"code": code, "short": f"/r/{code}"}


@app.get("/api/links")
async def all_links(request: Request):
    keys = await list_links(request.scope["env"].LINKS)
    return {"links": {key["name"].removeprefix("link:"): key["metadata"]["url"] for key in keys}}


async def list_links(links):
    """Every link key, page by page: production may return empty pages before the end."""
    keys, cursor = [], None
    while True:
        page = await links.list(prefix="link:", cursor=cursor)
        keys.extend(page["keys"])
        if page["list_complete"]:
            return keys
        cursor = page["cursor"]


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlsplit(request.url).path
        if path.startswith("/r/"):
            return await self.follow(path.removeprefix("/r/"))
        from workers import asgi

        return await asgi.fetch(app, request.js_object, self.env)

    async def follow(self, code):
        url = await self.env.LINKS.get(f"link:{code}")
        if url is None:
            return Response("no such link", status=404)
        self.ctx.waitUntil(self.count_visit(code))
        return Response.redirect(url, 302)

    async def count_visit(self, code):
        visits = int(await self.env.VISITS.get(code) or 0) + 1
        await self.env.VISITS.put(code, str(visits))
