// Copy and bundle front-end packages from node_modules into static/vendor (git-ignored).
// Run by `make`; nothing is fetched at run time.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "static", "vendor");
mkdirSync(vendor, { recursive: true });

const copies = [["htmx.org/dist/htmx.min.js", "htmx.min.js"]];
for (const [from, to] of copies) {
  copyFileSync(join(root, "node_modules", from), join(vendor, to));
}
console.log(`static/vendor: ${copies.length} file(s) built`);
