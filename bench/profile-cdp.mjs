// `make profile`'s inspector client: records a CPU profile of the Worker's isolate
// under `wrangler dev` over the Chrome DevTools Protocol.
//
//   node profile-cdp.mjs INSPECTOR_PORT OUT.cpuprofile [SAMPLING_INTERVAL_US] [allocations]
//
// Prints `started` once the profiler runs, stops it when a line (or the end of
// input) arrives on stdin, writes the profile to OUT.cpuprofile and the profiled
// scripts' sources to OUT.sources.json, and prints `stopped`. With `allocations`, V8's
// sampling heap profiler runs too, counting what the collector has freed since, and
// its profile goes to OUT.heapprofile (DevTools' Memory panel opens it). Node 22's own
// WebSocket; no package.
import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline";

const [port, out, intervalArg, allocationsArg] = process.argv.slice(2);
const allocations = allocationsArg === "allocations";
if (!port || !out || (allocationsArg !== undefined && !allocations)) {
  console.error(
    "usage: profile-cdp.mjs INSPECTOR_PORT OUT.cpuprofile [SAMPLING_INTERVAL_US] [allocations]",
  );
  process.exit(2);
}
const interval = Number(intervalArg ?? 100);
const base = `127.0.0.1:${port}`;

// One entry per Worker; the call objects run in their script's isolate, so the
// Worker's entry is the one to profile.
const targets = await (await fetch(`http://${base}/json/list`)).json();
if (targets.length === 0) throw new Error("the inspector lists no Worker");
if (targets.length > 1) {
  console.error(`profile-cdp: ${targets.length} inspector targets, profiling the first:`, targets);
}
let finished = false;
// Miniflare's inspector proxy takes a loopback Origin (and one client at a time).
const socket = new WebSocket(targets[0].webSocketDebuggerUrl, {
  headers: { origin: `http://${base}` },
});
await new Promise((resolve, reject) => {
  socket.addEventListener("open", resolve, { once: true });
  socket.addEventListener("error", () => reject(new Error("inspector connection failed")), {
    once: true,
  });
});
socket.addEventListener("close", (event) => {
  if (!finished) {
    console.error(`profile-cdp: the inspector closed the connection (${event.code} ${event.reason})`);
    process.exit(1);
  }
});

let nextId = 1;
const pending = new Map();
let onEvent = () => {};
socket.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  if (message.method !== undefined) onEvent(message);
  const waiting = message.id !== undefined && pending.get(message.id);
  if (!waiting) return;
  pending.delete(message.id);
  if (message.error) waiting.reject(new Error(`${waiting.method}: ${message.error.message}`));
  else waiting.resolve(message.result);
});

function send(method, params = {}) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { method, resolve, reject });
    socket.send(JSON.stringify({ id, method, params }));
  });
}

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval });
await send("Profiler.start");
if (allocations) {
  await send("HeapProfiler.enable");
  // Every 4 KiB allocated on average; the objects already collected count too.
  await send("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
console.log("started");

await new Promise((resolve) => {
  const input = createInterface({ input: process.stdin });
  input.once("line", resolve);
  input.once("close", resolve);
});

if (allocations) {
  const sampled = await send("HeapProfiler.stopSampling");
  await send("HeapProfiler.disable");
  writeFileSync(out.replace(/\.cpuprofile$/, "") + ".heapprofile", JSON.stringify(sampled.profile));
}
const { profile } = await send("Profiler.stop");
await send("Profiler.disable");
writeFileSync(out, JSON.stringify(profile));

// The sources of the profiled JavaScript, which wrangler bundles again: its glue
// functions are mostly anonymous, and their text says which import each one is.
// Read after the profile, so that the debugger costs it nothing.
const profiled = new Set(
  profile.nodes
    .map((node) => node.callFrame)
    .filter((frame) => frame.url !== "" && !frame.url.startsWith("wasm://"))
    .map((frame) => frame.scriptId),
);
const scripts = new Map();
onEvent = (message) => {
  if (message.method === "Debugger.scriptParsed" && profiled.has(message.params.scriptId)) {
    scripts.set(message.params.scriptId, message.params.url);
  }
};
await send("Debugger.enable");
const sources = {};
for (const [scriptId, url] of scripts) {
  const { scriptSource } = await send("Debugger.getScriptSource", { scriptId });
  sources[scriptId] = { url, source: scriptSource };
}
await send("Debugger.disable");
finished = true;
writeFileSync(out.replace(/\.cpuprofile$/, "") + ".sources.json", JSON.stringify(sources));
console.log("stopped");
socket.close();
process.exit(0);
