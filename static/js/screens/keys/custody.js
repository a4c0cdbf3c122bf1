// Key custody on the phone, pure (no DOM, no store; tested with node --test): what a waiting
// entry does to a key as the phone shows it, and the stocktake's comparison.

/** What an op does to a key's custody. */
export function applyOp(key, entry) {
  const p = entry.payload;
  if (entry.type === "key.lend") return { ...key, status: "out", holder: { name: p.borrower_name, type: p.borrower_type }, due_back: p.due_back || null };
  if (entry.type === "key.return") return { ...key, status: "in", holder: null, due_back: null };
  if (entry.type === "key.issue") return { ...key, status: "issued", holder: { name: p.owner_name, type: "owner" }, due_back: null };
  return key;
}

/**
 * The stocktake rule of webapp/keys/stocktake.py on the phone: `missing` = the register says
 * in the cabinet, not scanned; `unexpected` = scanned, but recorded out, issued or disputed.
 */
export function compare(keys, scannedCodes) {
  const scanned = new Set(scannedCodes);
  const missing = keys.filter((k) => k.status === "in" && !scanned.has(k.code));
  const unexpected = keys.filter((k) => k.status !== "in" && scanned.has(k.code));
  return { missing, unexpected };
}
