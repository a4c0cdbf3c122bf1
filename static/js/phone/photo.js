// Photos on the phone: scaled to about 1600 px on the long side, JPEG, named by SHA-256.
// Kept as ArrayBuffer + MIME (Safari loses Blobs stored in IndexedDB).
const MAX_SIDE = 1600;
const QUALITY = 0.82;

async function decode(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    // Older Safari: through an <img>.
    const url = URL.createObjectURL(file);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return img;
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}

function toJpeg(canvas) {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no jpeg"))), "image/jpeg", QUALITY),
  );
}

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A camera file as the photo the phone keeps: {sha256, mime, data, width, height, size}. */
export async function preparePhoto(file) {
  const image = await decode(file);
  const width = image.width;
  const height = image.height;
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
  image.close?.();
  const blob = await toJpeg(canvas);
  const data = await blob.arrayBuffer();
  return {
    sha256: await sha256Hex(data),
    mime: "image/jpeg",
    data,
    width: canvas.width,
    height: canvas.height,
    size: data.byteLength,
    uploaded: false,
    created_at: Date.now(),
  };
}

/** A random UUID, made once per op and reused on every retry. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
