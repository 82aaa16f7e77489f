#!/usr/bin/env node
// Regenerates the generated parts of the docs from the code's own tables:
//   docs/rpc.md            method reference, from the RPC registry + catalogue
//                          (between the BEGIN/END GENERATED markers; the rest is hand-written)
//   docs/configuration.md  the whole file, from the option table in src/node/config.ts
// Usage: node scripts/gen-docs.mjs [--dist <compiled output dir>] [--check]
// (build first: npx tsc -p . ; --dist defaults to dist). --check fails when a file is stale.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const distArg = args.indexOf('--dist');
const dist = resolve(root, distArg >= 0 ? args[distArg + 1] : 'dist');
const check = args.includes('--check');

async function load(rel) {
  const file = join(dist, rel);
  if (!existsSync(file)) {
    console.error(`${file} not found; build first (npx tsc -p .) or pass --dist <dir>`);
    process.exit(1);
  }
  return import(pathToFileURL(file).href);
}

const { Registry } = await load('src/rpc/registry.js');
const { METHOD_CATALOG } = await load('src/rpc/catalog.js');
const { CONFIG_OPTIONS } = await load('src/node/config.js');

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmtDefault = (v) => (v === undefined ? '' : Array.isArray(v) ? v.join(',') : typeof v === 'string' ? (v === '' ? '""' : v) : String(v));

// ---------------------------------------------------------------------------
// docs/rpc.md

function methodSection(m) {
  const lines = [`### ${m.name}`, ''];
  const tags = [];
  if (m.aliases?.length) tags.push(`aliases: ${m.aliases.map((a) => `\`${a}\``).join(', ')}`);
  if (m.adminOnly) tags.push('admin command (optional `ADMINNAME ADMINAUTH`, enforced only with `administrator_required`)');
  if (m.name === 'eth_submitHashrate') tags.push('extension, not in mvsd');
  lines.push(m.summary + (tags.length ? ` — ${tags.join('; ')}` : ''), '');
  const pos = m.params?.positional ?? [];
  const opts = (m.params?.options ?? []).filter((o) => o.long !== 'help');
  if (pos.length) {
    lines.push('| positional | type | required | default | description |', '|---|---|---|---|---|');
    for (const p of pos) lines.push(`| \`${p.name}${p.variadic ? '...' : ''}\` | ${p.type ?? 'string'} | ${p.required ? 'yes' : 'no'} | ${cell(fmtDefault(p.default))} | ${cell(p.description)} |`);
    lines.push('');
  }
  if (opts.length) {
    lines.push('| option | type | default | description |', '|---|---|---|---|');
    for (const o of opts) {
      const name = `${o.short ? `\`-${o.short}\`, ` : ''}\`--${o.long}\``;
      const type = o.flag ? 'flag' : `${o.type ?? 'string'}${o.list ? ' (repeatable)' : ''}`;
      lines.push(`| ${name} | ${type} | ${o.required ? '**required**' : cell(fmtDefault(o.default))} | ${cell(o.description)} |`);
    }
    lines.push('');
  }
  if (!pos.length && !opts.length) lines.push('No parameters.', '');
  return lines.join('\n');
}

function rpcMethods() {
  const reg = new Registry();
  for (const info of Object.values(METHOD_CATALOG)) reg.implement(info, () => null);
  const methods = reg.methods();
  const byCategory = new Map();
  for (const m of methods) {
    const c = m.category ?? 'Other';
    if (!byCategory.has(c)) byCategory.set(c, []);
    byCategory.get(c).push(m);
  }
  const order = ['Node', 'Chain', 'Raw transactions', 'Accounts', 'ETP', 'Assets', 'Certificates', 'MIT', 'DID', 'Multisig', 'Mining'];
  const cats = [...byCategory.keys()].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const out = [
    `${methods.length} methods (${methods.length - 2} reference commands, the built-in \`help\`, and the \`eth_submitHashrate\` extension); every one also answers \`-h\` / \`--help\` with its usage text.`,
    '',
  ];
  for (const c of cats) out.push(`- **${c}**: ${byCategory.get(c).map((m) => `[${m.name}](#${m.name.toLowerCase()})`).join(', ')}`);
  out.push('');
  for (const c of cats) {
    out.push(`## ${c}`, '');
    for (const m of byCategory.get(c)) out.push(methodSection(m));
  }
  return out.join('\n').trimEnd();
}

function replaceGenerated(path, marker, body) {
  const text = readFileSync(path, 'utf8');
  const begin = `<!-- BEGIN GENERATED: ${marker} (scripts/gen-docs.mjs) -->`;
  const end = `<!-- END GENERATED: ${marker} -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${path}: markers for '${marker}' not found`);
  return text.slice(0, i + begin.length) + '\n\n' + body + '\n\n' + text.slice(j);
}

// ---------------------------------------------------------------------------
// docs/configuration.md

function configurationDoc() {
  const rows = CONFIG_OPTIONS.map((o) => {
    const flag = o.kind === 'bool' ? (o.negatable ? `\`--${o.flag}\` / \`--no-${o.flag}\`` : `\`--${o.flag}\``) : `\`--${o.flag} <${o.valueName}>\``;
    const file = [o.file ? `\`${o.file}\`` : '—', ...(o.fileAliases ?? []).map((a) => `\`${a}\` (mvs.conf)`)].join('<br>');
    return `| ${cell(flag)} | ${o.env ? `\`${o.env}\`` : '—'} | ${file} | ${cell(o.defaultText)} | ${cell(o.description)} |`;
  });
  return [
    '# Configuration',
    '',
    '<!-- Generated by scripts/gen-docs.mjs from CONFIG_OPTIONS in src/node/config.ts; do not edit by hand. -->',
    '',
    'Every setting comes from one table and can be given four ways. The first that sets it wins:',
    '',
    '1. the command line (`mvsd --rpc-bind 0.0.0.0:8820`),',
    '2. the environment (`MVSD_RPC_BIND=0.0.0.0:8820`; lists comma-separated, booleans `true`/`false`),',
    '3. the INI file named by `--config <path>` (or `MVSD_CONFIG`),',
    '4. the default.',
    '',
    'The data of each network lives in its own subfolder: `<datadir>/main`, `<datadir>/test`, `<datadir>/regtest`.',
    'Invalid values stop the node with a message naming the option and where the value came from, e.g.',
    "`invalid value 'x' for --port (from environment MVSD_PORT): expected a port number 0..65535`.",
    '',
    '| option | environment | config file key | default | description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    '## Config file',
    '',
    'The file is read like the reference\'s `mvs.conf` (boost program_options config files): `[section]` headers,',
    '`key = value` lines, `#` starts a comment anywhere on a line. A key inside a section is `section.key`; keys before',
    'the first section have no prefix. Repeatable options (`connect`, `addnode`) may appear several times; any other key',
    'may appear once (through its own name or one alias). Keys of the reference\'s `mvs.conf` that have an equivalent',
    'here (marked "mvs.conf" above) are read as that option; the other reference keys are reported as warnings and ignored,',
    'so an existing `mvs.conf` can be used as it is.',
    '',
    '```ini',
    '# mvs-node example',
    'network = main',
    'datadir = /var/lib/mvs-node',
    '',
    '[network]',
    'port = 5251',
    'addnode = seed.getmvs.org:5251',
    'maxpeers = 64',
    '',
    '[server]',
    'rpc_bind = 127.0.0.1:8820',
    'ws_bind = 127.0.0.1:8821',
    'rpc_max_body = 1MiB',
    '',
    '[log]',
    'level = info,p2p=warn',
    'format = json',
    '```',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------

const outputs = [
  [join(root, 'docs', 'rpc.md'), replaceGenerated(join(root, 'docs', 'rpc.md'), 'methods', rpcMethods())],
  [join(root, 'docs', 'configuration.md'), configurationDoc()],
];
let stale = false;
for (const [path, text] of outputs) {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (current === text) continue;
  if (check) {
    console.error(`${path} is out of date; run node scripts/gen-docs.mjs`);
    stale = true;
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale ? 1 : 0);
