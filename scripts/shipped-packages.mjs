// Print, as JSON, the npm packages whose code or files are shipped in static/, each as the
// lock's key (e.g. "node_modules/zxing-wasm") with how: "bundled" (esbuild, from the same
// entry points as scripts/build-static.mjs) and/or "copied" (as published). THIRD_PARTY_LICENSES.md is
// generated from this list (scripts/third-party-licenses.py) and a test keeps them equal.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const staticDir = join(root, "static");
const PACKAGE = /((?:node_modules\/(?:@[^/]+\/)?[^/]+\/)+)/;

function packageOf(path) {
  const match = PACKAGE.exec(path.replaceAll("\\", "/"));
  return match ? match[1].slice(match[1].indexOf("node_modules/"), -1) : null;
}

const shipped = new Map();
const add = (name, how) => shipped.set(name, [...new Set([...(shipped.get(name) ?? []), how])].sort());
const pages = readdirSync(join(staticDir, "js"))
  .filter((name) => name.endsWith(".js") && !name.startsWith("_"))
  .map((name) => join(staticDir, "js", name));
const bundles = [
  { entryPoints: pages, splitting: true, format: "esm", outdir: join(root, "build", "probe") },
  { entryPoints: [join(staticDir, "sw", "sw.js")], format: "iife", outdir: join(root, "build", "probe") },
];
for (const options of bundles) {
  const result = await build({
    ...options,
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    minify: true,
    target: ["es2020", "safari15"],
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  });
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      if (name && bytesInOutput > 0) add(name, "bundled"); // not a module tree-shaken away
    }
  }
}

// Files the build copies as published: ["<package>/<path>", destination] in its `copies`.
const source = readFileSync(join(root, "scripts", "build-static.mjs"), "utf8");
const copies = source.slice(source.indexOf("const copies"), source.indexOf("];", source.indexOf("const copies")));
for (const [, from] of copies.matchAll(/\[\s*"([^"]+)"/g)) {
  const parts = from.split("/");
  add(`node_modules/${parts.slice(0, from.startsWith("@") ? 2 : 1).join("/")}`, "copied");
}

console.log(JSON.stringify(Object.fromEntries([...shipped].sort()), null, 1));
