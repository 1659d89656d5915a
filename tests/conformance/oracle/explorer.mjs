// The REST oracle for pytest-kv's conformance tests: Miniflare's local explorer, a
// Cloudflare-written look-alike of the KV REST API (/cdn-cgi/explorer/api).
//
// It starts Miniflare with the explorer on and three namespaces (the ids and titles
// of Miniflare's own explorer tests), prints one JSON line on stdout,
//   {"url": "http://127.0.0.1:PORT/cdn-cgi/explorer/api", "miniflare": "...", "workerd": "..."}
// and then serves HTTP until stdin closes. The Python side sends REST requests to
// that URL itself; every KV call behind them runs in real workerd.

import { Miniflare } from "miniflare";
import fs from "node:fs";

for (const name of ["log", "info", "debug", "warn"]) console[name] = console.error;

function packageVersion(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(fs.readFileSync(url, "utf8")).version;
}

const mf = new Miniflare({
  modules: true,
  script: "export default { fetch() { return new Response('explorer oracle'); } };",
  compatibilityDate: "2025-05-01",
  host: "127.0.0.1",
  port: 0,
  unsafeLocalExplorer: true,
  kvNamespaces: { TEST_KV: "test-kv-id", ANOTHER_KV: "another-kv-id", ZEBRA_KV: "zebra-kv-id" },
  handleRuntimeStdio(stdout, stderr) {
    stdout.pipe(process.stderr);
    stderr.pipe(process.stderr);
  },
});

const url = await mf.ready;
const base = new URL("/cdn-cgi/explorer/api", url).href;
process.stdout.write(
  JSON.stringify({ url: base, miniflare: packageVersion("miniflare"), workerd: packageVersion("workerd") }) +
    "\n",
);

process.stdin.resume();
process.stdin.on("end", async () => {
  await mf.dispose();
  process.exit(0);
});
