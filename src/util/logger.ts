import { pino, type Logger, type LevelWithSilent } from 'pino';

/**
 * One root pino logger; each module takes a child with `module` set
 * (`logger('chain')`). Per-module levels come from a spec such as
 * "info,chain=debug,p2p=warn" (the --log-level option).
 */
export type { Logger };

let root: Logger = pino({ level: process.env.MVS_LOG_LEVEL ?? 'silent', base: undefined });
let moduleLevels = new Map<string, LevelWithSilent>();
const children = new Map<string, Logger>();

export interface LogOptions {
  /** "info" or "info,chain=debug,p2p=warn". */
  level?: string;
  /** Human-readable lines instead of JSON. */
  pretty?: boolean;
  /** Destination file descriptor or path (default stdout). */
  destination?: number | string;
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export function parseLevelSpec(spec: string): { base: LevelWithSilent; modules: Map<string, LevelWithSilent> } {
  let base: LevelWithSilent = 'info';
  const modules = new Map<string, LevelWithSilent>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (!LEVELS.has(part)) throw new Error(`unknown log level '${part}'`);
      base = part as LevelWithSilent;
    } else {
      const mod = part.slice(0, eq).trim();
      const lvl = part.slice(eq + 1).trim();
      if (!LEVELS.has(lvl)) throw new Error(`unknown log level '${lvl}' for module '${mod}'`);
      modules.set(mod, lvl as LevelWithSilent);
    }
  }
  return { base, modules };
}

/** Configure the root logger; existing module loggers are re-created on next use. */
export function configureLogging(opts: LogOptions): Logger {
  const { base, modules } = parseLevelSpec(opts.level ?? 'info');
  const levels = [base, ...modules.values()];
  const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  const lowest = levels.reduce((a, b) => (order.indexOf(a) <= order.indexOf(b) ? a : b));
  const dest = pino.destination({ dest: opts.destination ?? 1, sync: true });
  const options = {
    level: lowest,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  root = opts.pretty ? pino(options, prettyStream(dest)) : pino(options, dest);
  root.level = lowest;
  moduleLevels = modules;
  children.clear();
  baseLevel = base;
  return root;
}

let baseLevel: LevelWithSilent = (process.env.MVS_LOG_LEVEL as LevelWithSilent) ?? 'silent';

/** A child logger for one module. */
export function logger(module: string): Logger {
  let child = children.get(module);
  if (!child) {
    child = root.child({ module });
    child.level = moduleLevels.get(module) ?? baseLevel;
    children.set(module, child);
  }
  return child;
}

/** Minimal human-readable formatter: "time LEVEL [module] msg key=value …". */
function prettyStream(dest: { write(s: string): unknown }) {
  const names: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  return {
    write(line: string) {
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        const { time, level, module, msg, ...rest } = o;
        const extras = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        dest.write(`${time} ${names[level as number] ?? level} [${module ?? 'node'}] ${msg ?? ''}${extras ? ' ' + extras : ''}\n`);
      } catch {
        dest.write(line);
      }
    },
  };
}
