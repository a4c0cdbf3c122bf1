// Build the front end from node_modules and static/js into static/vendor and static/build
// (both git-ignored). Run by `make`; nothing is fetched at run time.
//
//   static/vendor/  files copied as published (htmx)
//   static/build/   our ES modules bundled by esbuild (the scanner is a lazily loaded chunk),
//                   the zxing .wasm, and sw.js: static/sw/sw.js bundled with Workbox and given
//                   the precache manifest of every static file the app shell needs.
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { injectManifest } from "workbox-build";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nm = join(root, "node_modules");
const staticDir = join(root, "static");
const vendor = join(staticDir, "vendor");
const out = join(staticDir, "build");
const tmp = join(root, "build", "sw");

mkdirSync(vendor, { recursive: true });
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync(tmp, { recursive: true });

const copies = [
  ["htmx.org/dist/htmx.min.js", join(vendor, "htmx.min.js")],
  // The scanner's decoder; barcode-detector is pinned to this zxing-wasm version.
  ["zxing-wasm/dist/reader/zxing_reader.wasm", join(out, "zxing_reader.wasm")],
];
for (const [from, to] of copies) {
  copyFileSync(join(nm, from), to);
}

// Every *.js directly in static/js is an entry point (a page's script); modules they import
// are bundled in, shared code goes to chunks, and `import()` makes a lazily loaded chunk.
const entries = readdirSync(join(staticDir, "js"))
  .filter((name) => name.endsWith(".js") && !name.startsWith("_"))
  .map((name) => join(staticDir, "js", name));

await build({
  entryPoints: entries,
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  minify: true,
  target: ["es2020", "safari15"],
  chunkNames: "chunk-[hash]",
  legalComments: "none",
  logLevel: "warning",
});

await build({
  entryPoints: [join(staticDir, "sw", "sw.js")],
  outfile: join(tmp, "sw.js"),
  bundle: true,
  format: "iife",
  minify: true,
  target: ["es2020", "safari15"],
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "none",
  logLevel: "warning",
});

const { count, size, warnings } = await injectManifest({
  swSrc: join(tmp, "sw.js"),
  swDest: join(out, "sw.js"),
  globDirectory: staticDir,
  globPatterns: [
    "css/*.css",
    "vendor/*.js",
    "build/*.js",
    "build/*.wasm",
    "icons/*.png",
  ],
  globIgnores: ["build/sw.js"],
  modifyURLPrefix: { "": "/static/" },
  maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
});
for (const warning of warnings) console.warn(warning);

const files = readdirSync(out).length;
const kb = (statSync(join(out, "sw.js")).size / 1024).toFixed(1);
console.log(
  `static/vendor: ${copies.length - 1} file(s); static/build: ${files} file(s); ` +
    `sw.js ${kb} KB precaching ${count} files (${(size / 1024).toFixed(0)} KB)`,
);
