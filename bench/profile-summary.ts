import { readdir, readFile } from "node:fs/promises";
import { SourceMap } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Summarises a `node --cpu-prof` profile of the API server (`BENCH_PROFILE=1 npm run bench`):
 * self time by package and by function, with the minified bundle mapped back to its sources
 * through dist/server/index.mjs.map. Usage: `tsx bench/profile-summary.ts [file.cpuprofile]`.
 */

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
};
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

const dir = "bench/results/profile";
const file =
  process.argv[2] ??
  join(
    dir,
    (await readdir(dir))
      .filter((name) => name.endsWith(".cpuprofile"))
      .sort()
      .at(-1)!,
  );
const profile = JSON.parse(await readFile(file, "utf8")) as Profile;

const maps = new Map<string, SourceMap | null>();
async function mapFor(url: string): Promise<SourceMap | null> {
  if (!maps.has(url)) {
    try {
      const path = fileURLToPath(url);
      maps.set(url, new SourceMap(JSON.parse(await readFile(`${path}.map`, "utf8"))));
    } catch {
      maps.set(url, null);
    }
  }
  return maps.get(url) ?? null;
}

const selfMs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
}

const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const ms = selfMs.get(node.id) ?? 0;
  if (ms === 0) continue;
  total += ms;
  const { functionName, url, lineNumber, columnNumber } = node.callFrame;
  let source = url || "(native)";
  let name = functionName || "(anonymous)";
  const map = url.startsWith("file:") ? await mapFor(url) : null;
  if (map) {
    const entry = map.findEntry(lineNumber, columnNumber) as {
      originalSource?: string;
      originalLine?: number;
      name?: string;
    };
    if (entry.originalSource) {
      source = entry.originalSource;
      name = `${entry.name ?? name} (${shortPath(source)}:${(entry.originalLine ?? 0) + 1})`;
    }
  } else if (!url) {
    name = functionName || "(program)";
  }
  const pkg = packageOf(source, functionName);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  byFunction.set(`${name}`, (byFunction.get(name) ?? 0) + ms);
}

function shortPath(source: string): string {
  const at = source.lastIndexOf("node_modules/");
  if (at >= 0) return source.slice(at + "node_modules/".length);
  const own = source.indexOf("packages/");
  return own >= 0 ? source.slice(own) : source.replace(/^.*\//, "");
}

function packageOf(source: string, functionName: string): string {
  if (source === "(native)")
    return ["(garbage collector)", "(idle)", "(program)"].includes(functionName)
      ? functionName
      : "(native / V8 builtins)";
  if (source.startsWith("node:")) return "node: core";
  const at = source.lastIndexOf("node_modules/");
  if (at >= 0) {
    const parts = source.slice(at + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const own = /packages\/([^/]+)\//.exec(source);
  return own ? `@dodeck/${own[1]}` : source;
}

const busy = total - (byPackage.get("(idle)") ?? 0);
const print = (title: string, entries: Map<string, number>, count: number) => {
  console.log(`\n${title}`);
  for (const [key, ms] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(
      `  ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${key}`,
    );
  }
};
console.log(`${file}: ${total.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms not idle`);
print("self time by package (% of non-idle)", byPackage, 25);
print("self time by function", byFunction, 40);
