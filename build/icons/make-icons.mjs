#!/usr/bin/env node
// Draws the app and tray icons and writes them into build/ (committed, so a build never needs this):
//   build/icon.png (512×512), build/icon.ico (16…256), build/tray/tray{,-paused,-attention}.{png,ico}
// and build/icons/icon.svg, the same drawing as a vector for documentation.
//
// Node built-ins only (zlib for PNG): each shape is a signed distance function, every pixel is
// supersampled, so edges are anti-aliased at 16 px as well as at 512 px. Run: node build/icons/make-icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const BUILD = join(dirname(fileURLToPath(import.meta.url)), '..');

// ── The drawing, in a 0..1 square ──────────────────────────────────────────────────────────────
// A blue rounded tile; on it three "session rows" (log lines) flowing into a chevron: sessions
// pulled from PRA and shipped on.
const TILE = { inset: 0.04, radius: 0.2 };
const TOP = [0x2b, 0x88, 0xd8];
const BOTTOM = [0x0c, 0x4f, 0x94];
const WHITE = [0xff, 0xff, 0xff];
const ROWS = [
  { y: 0.34, x0: 0.2, x1: 0.5 },
  { y: 0.5, x0: 0.2, x1: 0.55 },
  { y: 0.66, x0: 0.2, x1: 0.5 },
];
const ROW_HALF_WIDTH = 0.045;
const CHEVRON = [
  [0.63, 0.3],
  [0.81, 0.5],
  [0.63, 0.7],
];
const CHEVRON_HALF_WIDTH = 0.06;
/** Tray badges: bottom-right disc. */
const BADGE = { cx: 0.76, cy: 0.76, r: 0.24, ring: 0.06 };
const AMBER = [0xf2, 0xa9, 0x00];
const RED = [0xd1, 0x34, 0x38];

function roundedBox(x, y, cx, cy, hw, hh, r) {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

function segment(x, y, [ax, ay], [bx, by]) {
  const px = x - ax;
  const py = y - ay;
  const dx = bx - ax;
  const dy = by - ay;
  const h = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * h, py - dy * h);
}

/** Glyph distance: rows and chevron as round-capped strokes. `weight` thickens strokes for tiny sizes. */
function glyph(x, y, weight) {
  let d = Infinity;
  for (const row of ROWS) d = Math.min(d, segment(x, y, [row.x0, row.y], [row.x1, row.y]) - ROW_HALF_WIDTH * weight);
  d = Math.min(d, segment(x, y, CHEVRON[0], CHEVRON[1]) - CHEVRON_HALF_WIDTH * weight);
  d = Math.min(d, segment(x, y, CHEVRON[1], CHEVRON[2]) - CHEVRON_HALF_WIDTH * weight);
  return d;
}

const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);

/**
 * The colour (RGBA 0..255, straight alpha) at a point, or null outside every shape.
 * variant: 'app' | 'tray' | 'tray-paused' | 'tray-attention'.
 */
function shade(x, y, variant, weight) {
  const tray = variant !== 'app';
  // Tray icons use the whole square: at 16 px every pixel counts.
  const inset = tray ? 0.0 : TILE.inset;
  const radius = tray ? 0.22 : TILE.radius;
  if (variant === 'tray-paused' || variant === 'tray-attention') {
    const b = Math.hypot(x - BADGE.cx, y - BADGE.cy);
    if (b <= BADGE.r) {
      if (variant === 'tray-paused') {
        // two white pause bars on amber
        const bar = (cx) => roundedBox(x, y, cx, BADGE.cy, 0.035, 0.1, 0.02);
        if (bar(BADGE.cx - 0.07) <= 0 || bar(BADGE.cx + 0.07) <= 0) return [...WHITE, 255];
        return [...AMBER, 255];
      }
      // a white exclamation mark on red
      if (roundedBox(x, y, BADGE.cx, BADGE.cy - 0.04, 0.035, 0.09, 0.03) <= 0 || Math.hypot(x - BADGE.cx, y - (BADGE.cy + 0.12)) <= 0.04) return [...WHITE, 255];
      return [...RED, 255];
    }
    // a transparent ring separates the badge from the tile
    if (b <= BADGE.r + BADGE.ring) return null;
  }
  const tile = roundedBox(x, y, 0.5, 0.5, 0.5 - inset, 0.5 - inset, radius);
  if (tile > 0) return null;
  if (glyph(x, y, weight) <= 0) return [...WHITE, 255];
  return [...mix(TOP, BOTTOM, Math.min(1, Math.max(0, (y - inset) / (1 - 2 * inset)))), 255];
}

/** RGBA pixels (straight alpha), supersampled n×n per pixel. */
function render(size, variant) {
  const n = size <= 32 ? 8 : size <= 64 ? 6 : size <= 256 ? 4 : 3;
  // Thin strokes vanish at 16 px: thicken them as the icon shrinks.
  const weight = size <= 16 ? 1.35 : size <= 24 ? 1.2 : size <= 32 ? 1.1 : 1;
  const out = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const c = shade((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size, variant, weight);
          if (!c) continue;
          const alpha = c[3] / 255;
          r += c[0] * alpha;
          g += c[1] * alpha;
          b += c[2] * alpha;
          a += alpha;
        }
      }
      const i = (py * size + px) * 4;
      const samples = n * n;
      out[i] = a ? Math.round(r / a) : 0;
      out[i + 1] = a ? Math.round(g / a) : 0;
      out[i + 2] = a ? Math.round(b / a) : 0;
      out[i + 3] = Math.round((a / samples) * 255);
    }
  }
  return out;
}

// ── PNG ─────────────────────────────────────────────────────────────────────────────────────────
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ── ICO: classic 32-bit DIB entries below 256 px (what every Windows tool and NSIS read), PNG at 256 ──
function dib(size, rgba) {
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // XOR + AND masks
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = (y * size + x) * 4;
      const d = ((size - 1 - y) * size + x) * 4; // bottom-up, BGRA
      pixels[d] = rgba[s + 2];
      pixels[d + 1] = rgba[s + 1];
      pixels[d + 2] = rgba[s];
      pixels[d + 3] = rgba[s + 3];
    }
  }
  const maskRow = Math.ceil(size / 32) * 4;
  const mask = Buffer.alloc(maskRow * size); // all 0: alpha channel decides
  return Buffer.concat([header, pixels, mask]);
}
function ico(images) {
  const dir = Buffer.alloc(6 + images.length * 16);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2);
  dir.writeUInt16LE(images.length, 4);
  let offset = dir.length;
  const bodies = images.map(({ size, rgba }, i) => {
    const body = size >= 256 ? png(size, rgba) : dib(size, rgba);
    const e = 6 + i * 16;
    dir[e] = size >= 256 ? 0 : size;
    dir[e + 1] = size >= 256 ? 0 : size;
    dir.writeUInt16LE(1, e + 4); // planes
    dir.writeUInt16LE(32, e + 6); // bpp
    dir.writeUInt32LE(body.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += body.length;
    return body;
  });
  return Buffer.concat([dir, ...bodies]);
}

function svg() {
  const row = (r) => `<line x1="${r.x0 * 512}" y1="${r.y * 512}" x2="${r.x1 * 512}" y2="${r.y * 512}"/>`;
  const s = TILE.inset * 512;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <!-- Generated by build/icons/make-icons.mjs: the PNG and ICO files are rendered from the same shapes. -->
  <defs>
    <linearGradient id="tile" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="rgb(${TOP.join(',')})"/>
      <stop offset="1" stop-color="rgb(${BOTTOM.join(',')})"/>
    </linearGradient>
  </defs>
  <rect x="${s}" y="${s}" width="${512 - 2 * s}" height="${512 - 2 * s}" rx="${TILE.radius * 512}" fill="url(#tile)"/>
  <g stroke="#fff" stroke-linecap="round" stroke-linejoin="round" fill="none">
    <g stroke-width="${ROW_HALF_WIDTH * 2 * 512}">${ROWS.map(row).join('')}</g>
    <polyline stroke-width="${CHEVRON_HALF_WIDTH * 2 * 512}" points="${CHEVRON.map(([x, y]) => `${x * 512},${y * 512}`).join(' ')}"/>
  </g>
</svg>
`;
}

function write(rel, data) {
  const file = join(BUILD, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, data);
  console.log(`wrote build/${rel} (${data.length} bytes)`);
}

write('icon.png', png(512, render(512, 'app')));
write('icon.ico', ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, rgba: render(size, 'app') }))));
write('icons/icon.svg', svg());
for (const variant of ['tray', 'tray-paused', 'tray-attention']) {
  write(`tray/${variant}.png`, png(32, render(32, variant)));
  write(`tray/${variant}.ico`, ico([16, 20, 24, 32, 40, 48].map((size) => ({ size, rgba: render(size, variant) }))));
}
