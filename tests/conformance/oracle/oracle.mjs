// The Miniflare oracle for pytest-kv's conformance tests.
//
// A JSON-lines server: read one JSON command per line on stdin, write one JSON
// result per line on stdout. Every KV call runs INSIDE a Worker (real workerd), so
// errors keep their real class and message; the Node-side binding proxy mangles
// some of them.
//
// Two bindings:
//   KV         namespace id "conformance". Its clock is Miniflare's fake clock,
//              driven by control ops; that puts this namespace's simulator object
//              in "test mode" (value limit 1024 bytes, bulk-read total 1024).
//   KV_LIMITS  namespace id "conformance-limits". Never receives a control op, so it
//              keeps production limits (25 MiB values and bulk reads) and the real
//              clock. Select it with "limits": true.
//
// Commands (fields not listed are ignored):
//   {"op": "get"|"getWithMetadata", "key": K, "options"?: O, "limits"?: bool}
//   {"op": "put", "key": K, <value>, "options"?: O, "limits"?: bool}
//       <value> is one of
//         "value": any JSON value, passed as is (a string, or a primitive to coerce)
//         "b64": base64 bytes, "as": "uint8array" (default) | "arrayBuffer" |
//                "stream" (a byte stream of unknown length) | "blobStream" |
//                "string" (the bytes decoded as UTF-8)
//         "junk": N, "as": ...      N bytes of "x", made inside the Worker
//       leaving every value field out calls put(key) with no value at all
//   {"op": "delete", "key": K, "limits"?: bool}
//   {"op": "list", "options"?: O, "limits"?: bool}
//       "options" left out means the argument is not passed at all (undefined);
//       null is passed as JavaScript null. K may be a string, an array (bulk get)
//       or any other JSON value (coerced by workerd).
//   {"op": "clock", "set": ms} / {"op": "clock", "advance": ms}   (KV only)
//   {"op": "reset", "time"?: ms}   delete every key of both namespaces, then set
//                                  KV's clock to "time" (default 1000000, t = 1000 s)
//   {"op": "version"}              miniflare and workerd versions
//   {"op": "quit"}                 answer, dispose Miniflare, exit
//
// Results:
//   {"ok": true, "type": T, ...}   T is the JavaScript type that came back:
//     "undefined" | "null"
//     "string"      with "value"
//     "json"        with "value": a number, boolean, or a plain object/array holding
//                   only JSON values (list and getWithMetadata results are "json")
//     "number"      with "value": the text of -0, NaN, Infinity or -Infinity
//     "arrayBuffer" with "b64"
//     "arrayBufferView" with "class" and "b64"
//     "stream"      with "b64": everything the ReadableStream yields
//     "map"         with "pairs": [[key, <encoded value>], ...] in Map order
//     "object"      with "class" and "entries": [[name, <encoded value>], ...] for an
//                   object holding non-JSON values (e.g. an ArrayBuffer)
//     "array"       with "items": [<encoded value>, ...], likewise
//   {"ok": false, "name": <error constructor name>, "message": <exact message>}
// <encoded value> is {"type": T, ...} as above, without "ok".

import { Miniflare, _enableControlEndpoints, KV_PLUGIN_NAME } from "miniflare";
import fs from "node:fs";
import readline from "node:readline";

const TEST_ID = "conformance";
const LIMITS_ID = "conformance-limits";

// Keep stdout for the protocol only: anything else that would print goes to stderr.
const protocol = process.stdout;
for (const name of ["log", "info", "debug", "warn"]) console[name] = console.error;

const WORKER = String.raw`
const B64_CHUNK = 0x8000;

function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += B64_CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + B64_CHUNK));
  }
  return btoa(binary);
}

function fromBase64(b64) {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function unknownLengthStream(bytes) {
  // A byte stream whose length workerd cannot know in advance, like Miniflare's
  // own test helper createJunkStream().
  let offset = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      const end = Math.min(offset + 65536, bytes.length);
      controller.enqueue(bytes.slice(offset, end));
      offset = end;
    },
  });
}

function makeValue(cmd) {
  let bytes;
  if ("b64" in cmd) bytes = fromBase64(cmd.b64);
  else if ("junk" in cmd) bytes = new Uint8Array(cmd.junk).fill(0x78);
  else return { given: "value" in cmd, value: cmd.value };
  switch (cmd.as ?? "uint8array") {
    case "uint8array": return { given: true, value: bytes };
    case "arrayBuffer": return { given: true, value: bytes.buffer };
    case "stream": return { given: true, value: unknownLengthStream(bytes) };
    case "blobStream": return { given: true, value: new Blob([bytes]).stream() };
    case "string": return { given: true, value: new TextDecoder().decode(bytes) };
    default: throw new OracleError("unknown value representation " + JSON.stringify(cmd.as));
  }
}

class OracleError extends Error {}

function isPlain(v) {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isJson(v) {
  if (v === null) return true;
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0);
    case "object":
      break;
    default:
      return false;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v) || !isJson(v[i])) return false;
    return true;
  }
  if (!isPlain(v)) return false;
  return Object.keys(v).every((k) => isJson(v[k]));
}

async function encode(v) {
  if (v === undefined) return { type: "undefined" };
  if (v === null) return { type: "null" };
  if (typeof v === "string") return { type: "string", value: v };
  // JSON cannot carry these numbers: send their text ("-0", "Infinity", "NaN").
  if (typeof v === "number" && !isJson(v)) return { type: "number", value: Object.is(v, -0) ? "-0" : String(v) };
  if (v instanceof ArrayBuffer) return { type: "arrayBuffer", b64: toBase64(new Uint8Array(v)) };
  if (ArrayBuffer.isView(v)) {
    const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    return { type: "arrayBufferView", class: v.constructor.name, b64: toBase64(bytes) };
  }
  if (v instanceof ReadableStream) {
    const bytes = new Uint8Array(await new Response(v).arrayBuffer());
    return { type: "stream", b64: toBase64(bytes) };
  }
  if (v instanceof Map) {
    const pairs = [];
    for (const [key, value] of v) pairs.push([key, await encode(value)]);
    return { type: "map", pairs };
  }
  if (isJson(v)) return { type: "json", value: v };
  if (Array.isArray(v)) {
    const items = [];
    for (const item of v) items.push(await encode(item));
    return { type: "array", items };
  }
  if (typeof v === "object") {
    const entries = [];
    for (const key of Object.keys(v)) entries.push([key, await encode(v[key])]);
    return { type: "object", class: v.constructor?.name ?? null, entries };
  }
  return { type: typeof v, repr: String(v) };
}

async function wipe(kv) {
  let deleted = 0;
  let cursor;
  for (;;) {
    const page = await kv.list(cursor === undefined ? {} : { cursor });
    for (const { name } of page.keys) {
      await kv.delete(name);
      deleted++;
    }
    if (page.list_complete) return deleted;
    cursor = page.cursor;
  }
}

async function run(cmd, env) {
  const kv = cmd.limits ? env.KV_LIMITS : env.KV;
  const withOptions = "options" in cmd;
  switch (cmd.op) {
    case "get":
    case "getWithMetadata":
      return withOptions ? kv[cmd.op](cmd.key, cmd.options) : kv[cmd.op](cmd.key);
    case "put": {
      const { given, value } = makeValue(cmd);
      if (withOptions) return kv.put(cmd.key, value, cmd.options);
      return given ? kv.put(cmd.key, value) : kv.put(cmd.key);
    }
    case "delete":
      return kv.delete(cmd.key);
    case "list":
      return withOptions ? kv.list(cmd.options) : kv.list();
    case "wipe":
      return (await wipe(env.KV)) + (await wipe(env.KV_LIMITS));
    default:
      throw new OracleError("unknown op " + JSON.stringify(cmd.op));
  }
}

export default {
  async fetch(request, env) {
    const cmd = await request.json();
    try {
      // run() is called inside the try, so a synchronous throw from the binding is
      // caught exactly like a rejected promise.
      const result = await run(cmd, env);
      return Response.json({ ok: true, ...(await encode(result)) });
    } catch (e) {
      const name = e instanceof OracleError ? "OracleError" : (e?.constructor?.name ?? typeof e);
      return Response.json({ ok: false, name, message: String(e?.message ?? e) });
    }
  },
};
`;

function packageVersion(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(fs.readFileSync(url, "utf8")).version;
}

_enableControlEndpoints(); // must come before new Miniflare()
const mf = new Miniflare({
  modules: true,
  script: WORKER,
  compatibilityDate: "2025-05-01",
  kvNamespaces: { KV: TEST_ID, KV_LIMITS: LIMITS_ID },
  handleRuntimeStdio(stdout, stderr) {
    stdout.pipe(process.stderr);
    stderr.pipe(process.stderr);
  },
});

let disposed = false;
async function dispose() {
  if (disposed) return;
  disposed = true;
  await mf.dispose();
}

let controlStub;
async function control(name, ...args) {
  // Only KV (id TEST_ID) ever gets control ops; KV_LIMITS keeps production limits.
  if (controlStub === undefined) {
    const ns = await mf._getInternalDurableObjectNamespace(
      KV_PLUGIN_NAME,
      "kv:ns",
      "KVNamespaceObject",
    );
    controlStub = ns.get(ns.idFromName(TEST_ID));
  }
  const response = await controlStub.fetch("http://placeholder/", {
    cf: { miniflare: { controlOp: { name, args } } },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`control op ${name} failed: ${response.status} ${text}`);
  return text;
}

async function inWorker(cmd) {
  const response = await mf.dispatchFetch("http://oracle/", {
    method: "POST",
    body: JSON.stringify(cmd),
  });
  return response.json();
}

async function handle(cmd) {
  switch (cmd.op) {
    case "clock":
      if (cmd.set !== undefined) await control("enableFakeTimers", cmd.set);
      if (cmd.advance !== undefined) await control("advanceFakeTime", cmd.advance);
      return { ok: true, type: "undefined" };
    case "reset": {
      // At t = 1 ms every stored row is live (expirations are whole seconds, at
      // least 60 s in), so list() shows, and wipe deletes, rows that expired but
      // were never purged.
      await control("enableFakeTimers", 1);
      const wiped = await inWorker({ op: "wipe" });
      if (!wiped.ok) return wiped;
      await control("enableFakeTimers", cmd.time ?? 1_000_000);
      return { ok: true, type: "undefined", deleted: wiped.value };
    }
    case "version":
      return {
        ok: true,
        type: "json",
        value: {
          miniflare: packageVersion("miniflare"),
          workerd: packageVersion("workerd"),
          node: process.versions.node,
        },
      };
    default:
      return inWorker(cmd);
  }
}

await mf.ready;
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
try {
  for await (const line of lines) {
    if (!line.trim()) continue;
    let out;
    let cmd;
    try {
      cmd = JSON.parse(line);
      out = cmd.op === "quit" ? { ok: true, type: "undefined" } : await handle(cmd);
    } catch (e) {
      out = { ok: false, name: "OracleError", message: String(e?.stack ?? e) };
    }
    protocol.write(JSON.stringify(out) + "\n");
    if (cmd?.op === "quit") break;
  }
} finally {
  lines.close();
  await dispose();
}
await new Promise((resolve) => protocol.write("", resolve));
process.exit(0);
