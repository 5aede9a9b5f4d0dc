// SVG work for benchmarks/zoo/build.py: DiceBear avatars and Iconify emoji rendered to PNG with resvg.
//
//   node render.mjs schema STYLE...   -> one JSON object: {style: {meta, properties}} (the style's own options)
//   node render.mjs dicebear < jobs   -> one JSON line per job: {png, visible: {task: 0|1}}
//   node render.mjs emoji < jobs      -> one JSON line per job: {png}
//
// Jobs are JSON lines. Nothing here is random: every choice was made by build.py with a seeded PRNG
// and arrives as explicit options, so a job always yields the same bytes.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { createAvatar } from '@dicebear/core';
import { getIconData, iconToHTML, iconToSVG } from '@iconify/utils';
import { Resvg } from '@resvg/resvg-js';

const require = createRequire(import.meta.url);
const STYLES = new Map();
const ICON_SETS = new Map();

async function style(name) {
  if (!STYLES.has(name)) STYLES.set(name, await import(`@dicebear/${name}`));
  return STYLES.get(name);
}

async function iconSet(name) {
  if (!ICON_SETS.has(name)) {
    const path = require.resolve(`@iconify-json/${name}/icons.json`);
    ICON_SETS.set(name, JSON.parse(await readFile(path, 'utf8')));
  }
  return ICON_SETS.get(name);
}

// The SVG drawn to a size x size RGBA image with a transparent background; system fonts are not
// loaded (none of these drawings has text), so the output does not depend on the machine.
function raster(svg, size) {
  const resvg = new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } });
  return resvg.render();
}

async function writePng(path, image) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, image.asPng());
}

async function avatarSvg(job, options) {
  return createAvatar(await style(job.style), { seed: job.seed, ...options }).toString();
}

// One avatar: the PNG at job.size, then one re-render per probe (a task set to another value) at
// job.probe_size; a task is visible when any of its probes changes a pixel.
async function dicebear(job) {
  await writePng(job.png, raster(await avatarSvg(job, job.options), job.size));
  const base = raster(await avatarSvg(job, job.options), job.probe_size).pixels;
  const visible = {};
  for (const [task, key, value] of job.probes) {
    if (visible[task]) continue;
    const probe = raster(await avatarSvg(job, { ...job.options, [key]: value }), job.probe_size).pixels;
    visible[task] = base.equals(probe) ? 0 : 1;
  }
  return { png: job.png, visible };
}

async function emoji(job) {
  const data = getIconData(await iconSet(job.set), job.icon);
  if (!data) throw new Error(`icon ${job.icon} is not in @iconify-json/${job.set}`);
  const svg = iconToSVG(data, { width: job.size, height: job.size });
  const html = iconToHTML(svg.body, { ...svg.attributes, xmlns: 'http://www.w3.org/2000/svg' });
  await writePng(job.png, raster(html, job.size));
  return { png: job.png };
}

async function schema(names) {
  const out = {};
  for (const name of names) {
    const mod = await style(name);
    out[name] = { meta: mod.meta, properties: mod.schema.properties };
  }
  return out;
}

async function serve(handler) {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim()) process.stdout.write(JSON.stringify(await handler(JSON.parse(line))) + '\n');
  }
}

const [command, ...args] = process.argv.slice(2);
const commands = {
  schema: async () => process.stdout.write(JSON.stringify(await schema(args)) + '\n'),
  dicebear: () => serve(dicebear),
  emoji: () => serve(emoji),
};
if (!commands[command]) {
  process.stderr.write(`render.mjs: unknown command ${JSON.stringify(command)}; expected one of ${Object.keys(commands).join(', ')}\n`);
  process.exit(2);
}
await commands[command]();
