/**
 * Command parameters as mvsd parses them (mvs-rpc §1.3).
 *
 * Every mvsd RPC method is a CLI command: the JSON body becomes an argv
 * (`jsonToArgv`), which boost::program_options parses against the command's
 * positional arguments and named options (`parseArgv`). Both steps are
 * reproduced here, including boost's error texts (boost/program_options:
 * errors.cpp, cmdline.cpp, value_semantic.cpp), because wallets and the
 * reference's own test suites send options as plain tokens.
 */
import { invalidParams, commandParams, generic } from './errors.js';
import { isJsonObject, type JsonValue } from './json.js';

/** Value types of options and positionals (boost lexical_cast targets). */
export type ValueType = 'string' | 'u64' | 'u32' | 'u16' | 'i32' | 'i64' | 'bool';

export type ArgScalar = string | number | bigint | boolean;
export type ArgValue = ArgScalar | ArgScalar[];

export interface PositionalParam {
  /** Upper-case name as in the reference headers, e.g. ACCOUNTNAME. */
  name: string;
  type?: ValueType;
  required?: boolean;
  default?: ArgValue;
  /** Takes every remaining positional token (boost max_count -1); the value is an array. */
  variadic?: boolean;
  description: string;
}

export interface OptionParam {
  /** Long name without dashes, e.g. "fee". */
  long: string;
  /** One-letter short name without the dash, e.g. "f". */
  short?: string;
  type?: ValueType;
  /** Zero-token switch (boost bool_switch): present → true. */
  flag?: boolean;
  /** Repeatable; the value is an array of every occurrence in order. */
  list?: boolean;
  required?: boolean;
  default?: ArgValue;
  description: string;
}

export interface ParamSpec {
  positional?: PositionalParam[];
  options?: OptionParam[];
}

export interface ParsedArgs {
  /** Values by option long name / positional name; defaults filled in; flags false when absent. */
  values: Record<string, ArgValue | undefined>;
  /** Names given on the command line (positionally or as options). */
  given: Set<string>;
  /** `-h` / `--help` was given: the caller answers with the usage text. */
  help: boolean;
}

/** The help switch every mvsd command declares. */
export const HELP_OPTION: OptionParam = {
  long: 'help',
  short: 'h',
  flag: true,
  description: 'Get a description and instructions for this command.',
};

interface Descriptor {
  name: string;
  short?: string;
  type: ValueType;
  flag: boolean;
  /** Accumulates occurrences (list option or variadic positional). */
  multi: boolean;
  required: boolean;
  default?: ArgValue;
}

interface Occurrence {
  /** null for a positional token until positions are assigned. */
  desc: Descriptor | null;
  /** null for a flag. */
  value: string | null;
}

/** A spec compiled into lookup tables; compile once per method. */
export class CompiledSpec {
  readonly byLong = new Map<string, Descriptor>();
  readonly byShort = new Map<string, Descriptor>();
  readonly longNames: string[];
  readonly positional: Descriptor[];

  constructor(readonly spec: ParamSpec) {
    const options = [...(spec.options ?? [])];
    if (!options.some((o) => o.long === HELP_OPTION.long)) options.unshift(HELP_OPTION);
    for (const o of options) {
      if (this.byLong.has(o.long)) throw new Error(`duplicate option --${o.long}`);
      const d: Descriptor = {
        name: o.long,
        short: o.short,
        type: o.flag ? 'bool' : (o.type ?? 'string'),
        flag: !!o.flag,
        multi: !!o.list,
        required: !!o.required,
        default: o.default,
      };
      this.byLong.set(o.long, d);
      if (o.short) {
        if (o.short.length !== 1) throw new Error(`short option of --${o.long} must be one character`);
        if (this.byShort.has(o.short)) throw new Error(`duplicate short option -${o.short}`);
        this.byShort.set(o.short, d);
      }
    }
    // Positional names are also registered as long options (§1.3), so
    // {"ACCOUNTNAME": "x"} and --ACCOUNTNAME x work.
    this.positional = (spec.positional ?? []).map((p, i, all) => {
      if (p.variadic && i !== all.length - 1) throw new Error(`variadic positional ${p.name} must be last`);
      if (this.byLong.has(p.name)) throw new Error(`positional ${p.name} clashes with an option`);
      const d: Descriptor = {
        name: p.name,
        type: p.type ?? 'string',
        flag: false,
        multi: !!p.variadic,
        required: !!p.required,
        default: p.default,
      };
      this.byLong.set(p.name, d);
      return d;
    });
    this.longNames = [...this.byLong.keys()];
  }

  /** boost's find_nothrow with allow_guessing: exact long name, else a unique prefix. */
  findLong(name: string): Descriptor | 'ambiguous' | null {
    const exact = this.byLong.get(name);
    if (exact) return exact;
    if (name.length === 0) return null;
    const matches = this.longNames.filter((n) => n.startsWith(name));
    if (matches.length === 1) return this.byLong.get(matches[0])!;
    if (matches.length > 1) return 'ambiguous';
    return null;
  }

  private ambiguousMessage(token: string, name: string): string {
    // Alternatives are listed sorted, "'a', 'b', and 'c'" (errors.cpp ambiguous_option).
    const alts = [...new Set(this.longNames.filter((n) => n.startsWith(name)))].sort();
    const quoted = alts.map((a) => `'--${a}'`);
    const list = quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')}, and ${quoted[quoted.length - 1]}` : quoted.join('');
    return `option '${token}' is ambiguous and matches ${list}`;
  }

  resolveLong(name: string, token: string): Descriptor {
    const d = this.findLong(name);
    if (d === 'ambiguous') throw commandParams(this.ambiguousMessage(token, name));
    if (!d) throw commandParams(`unrecognised option '${token}'`);
    return d;
  }

  /**
   * Whether a token that follows a value-taking option names a known option,
   * in which case it is not consumed as the value (cmdline.cpp finish_option).
   */
  isKnownOptionToken(token: string): boolean {
    if (token.length >= 3 && token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = eq >= 0 ? token.slice(2, eq) : token.slice(2);
      const d = this.findLong(name);
      return d !== null && d !== 'ambiguous';
    }
    return token.length === 2 && token[0] === '-' && this.byShort.has(token[1]);
  }
}

const compiledCache = new WeakMap<ParamSpec, CompiledSpec>();

export function compileSpec(spec: ParamSpec): CompiledSpec {
  let c = compiledCache.get(spec);
  if (!c) compiledCache.set(spec, (c = new CompiledSpec(spec)));
  return c;
}

/** Longest argv accepted; mvsd truncates at a fixed max_paramters, we refuse instead. */
export const MAX_ARGV_TOKENS = 4096;

/**
 * Parse an argv (method name excluded) as boost::program_options does for an
 * mvsd command. Order of checks as in boost: token syntax and option names,
 * positional count, value conversion and repeats (in token order), then — unless
 * help was asked for — required arguments (alphabetically, boost keeps them in
 * a std::map). Throws RpcError 1021 with boost's message.
 */
export function parseArgv(spec: ParamSpec | CompiledSpec, tokens: readonly string[]): ParsedArgs {
  const c = spec instanceof CompiledSpec ? spec : compileSpec(spec);
  if (tokens.length > MAX_ARGV_TOKENS) throw commandParams(`too many arguments (more than ${MAX_ARGV_TOKENS})`);
  const occurrences: Occurrence[] = [];
  const positionalOccurrences: Occurrence[] = [];

  const takeValue = (d: Descriptor, i: number): number => {
    const next = tokens[i + 1];
    if (next === undefined || c.isKnownOptionToken(next)) {
      throw commandParams(`the required argument for option '--${d.name}' is missing`);
    }
    occurrences.push({ desc: d, value: next });
    return i + 1;
  };

  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (tok === '--') {
      // Everything after "--" is positional (cmdline.cpp parse_terminator).
      for (const rest of tokens.slice(i + 1)) {
        const occ: Occurrence = { desc: null, value: rest };
        occurrences.push(occ);
        positionalOccurrences.push(occ);
      }
      break;
    }
    if (tok.length >= 3 && tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      const adjacent = eq >= 0 ? tok.slice(eq + 1) : null;
      if (adjacent === '') throw commandParams(`the argument for option '--${name}' should follow immediately after the equal sign`);
      const d = c.resolveLong(name, tok);
      if (d.flag) {
        if (adjacent !== null) throw commandParams(`option '--${d.name}' does not take any arguments`);
        occurrences.push({ desc: d, value: null });
      } else if (adjacent !== null) {
        occurrences.push({ desc: d, value: adjacent });
      } else {
        i = takeValue(d, i);
      }
      continue;
    }
    if (tok.length >= 2 && tok[0] === '-' && tok[1] !== '-') {
      // Short options, possibly grouped ("-ab" = "-a -b" while they are switches)
      // and with a sticky value ("-f20000").
      for (let j = 1; j < tok.length; j++) {
        const d = c.byShort.get(tok[j]);
        if (!d) throw commandParams(`unrecognised option '${tok}'`);
        const rest = tok.slice(j + 1);
        if (d.flag) {
          occurrences.push({ desc: d, value: null });
          continue;
        }
        if (rest !== '') occurrences.push({ desc: d, value: rest });
        else i = takeValue(d, i);
        break;
      }
      continue;
    }
    const occ: Occurrence = { desc: null, value: tok };
    occurrences.push(occ);
    positionalOccurrences.push(occ);
  }

  // Assign positions (cmdline.cpp run: too_many_positional_options_error).
  const pos = c.positional;
  const capacity = pos.length > 0 && pos[pos.length - 1].multi ? Infinity : pos.length;
  if (positionalOccurrences.length > capacity) {
    throw commandParams('too many positional options have been specified on the command line');
  }
  positionalOccurrences.forEach((occ, k) => {
    occ.desc = pos[Math.min(k, pos.length - 1)];
  });

  // Store (variables_map store): convert values, refuse repeats of scalars.
  const values: Record<string, ArgValue | undefined> = {};
  const given = new Set<string>();
  for (const occ of occurrences) {
    const d = occ.desc!;
    const converted = d.flag ? true : convertValue(d, occ.value!);
    if (d.multi) {
      const list = (values[d.name] as ArgScalar[] | undefined) ?? [];
      list.push(converted);
      values[d.name] = list;
    } else {
      if (given.has(d.name)) throw commandParams(`option '--${d.name}' cannot be specified more than once`);
      values[d.name] = converted;
    }
    given.add(d.name);
  }

  const help = values[HELP_OPTION.long] === true;
  if (!help) {
    const missing = [...c.byLong.values()]
      .filter((d) => d.required && !given.has(d.name))
      .map((d) => d.name)
      .sort();
    if (missing.length > 0) throw commandParams(`the option '--${missing[0]}' is required but missing`);
  }

  for (const d of c.byLong.values()) {
    if (given.has(d.name)) continue;
    if (d.default !== undefined) values[d.name] = Array.isArray(d.default) ? [...d.default] : d.default;
    else if (d.flag) values[d.name] = false;
    else if (d.multi) values[d.name] = [];
  }
  return { values, given, help };
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const UNSIGNED_RE = /^\+?\d+$/;
const SIGNED_RE = /^[+-]?\d+$/;

/**
 * boost lexical_cast of one token. Deliberate deviation: boost accepts "-1" for
 * unsigned types and wraps it to the maximum value; we refuse negative values
 * for unsigned types (an accidental `-n -1` should not mean 2^64-1).
 */
function convertValue(d: Descriptor, raw: string): ArgScalar {
  const invalid = () => commandParams(`the argument ('${raw}') for option '--${d.name}' is invalid`);
  switch (d.type) {
    case 'string':
      return raw;
    case 'bool': {
      // validators.cpp validate(bool): case-insensitive; an empty value means true.
      const s = raw.toLowerCase();
      if (s === '' || s === 'on' || s === 'yes' || s === '1' || s === 'true') return true;
      if (s === 'off' || s === 'no' || s === '0' || s === 'false') return false;
      throw commandParams(`the argument ('${s}') for option '--${d.name}' is invalid. Valid choices are 'on|off', 'yes|no', '1|0' and 'true|false'`);
    }
    case 'u64': {
      if (!UNSIGNED_RE.test(raw)) throw invalid();
      const v = BigInt(raw);
      if (v > U64_MAX) throw invalid();
      return v;
    }
    case 'i64': {
      if (!SIGNED_RE.test(raw)) throw invalid();
      const v = BigInt(raw);
      if (v < I64_MIN || v > I64_MAX) throw invalid();
      return v;
    }
    case 'u32':
    case 'u16': {
      if (!UNSIGNED_RE.test(raw)) throw invalid();
      const v = BigInt(raw);
      if (v > (d.type === 'u32' ? 0xffffffffn : 0xffffn)) throw invalid();
      return Number(v);
    }
    case 'i32': {
      if (!SIGNED_RE.test(raw)) throw invalid();
      const v = BigInt(raw);
      if (v < -0x80000000n || v > 0x7fffffffn) throw invalid();
      return Number(v);
    }
  }
}

// ---------------------------------------------------------------------------
// Usage text (the string `-h` returns and `help <command>` prints).

function typeLabel(t: ValueType): string {
  return t === 'string' ? 'arg' : t;
}

function formatDefault(v: ArgValue): string {
  if (Array.isArray(v)) return v.map(formatDefault).join(',');
  return String(v);
}

/** Usage text of a method in the layout of libbitcoin-explorer's help printer. */
export function usageText(method: string, summary: string, spec: ParamSpec, program = 'mvs-cli'): string {
  const c = compileSpec(spec);
  const options = [HELP_OPTION, ...(spec.options ?? []).filter((o) => o.long !== HELP_OPTION.long)];
  const synopsis: string[] = [];
  for (const o of options) {
    const name = o.short ? `-${o.short}` : `--${o.long}`;
    synopsis.push(o.flag ? `[${name}]` : `[${name} ${o.type && o.type !== 'string' ? o.type : 'value'}]`);
  }
  for (const p of c.spec.positional ?? []) {
    const n = p.variadic ? `${p.name}...` : p.name;
    synopsis.push(p.required ? n : `[${n}]`);
  }
  const rows = (list: Array<[string, string]>) => {
    const width = Math.min(32, Math.max(0, ...list.map(([l]) => l.length)) + 2);
    return list.map(([l, d]) => (l.length + 2 > width ? `${l}\n${' '.repeat(width)}${d}` : l.padEnd(width) + d)).join('\n');
  };
  const optionRows: Array<[string, string]> = options.map((o) => {
    let left = o.short ? `-${o.short} [ --${o.long} ]` : `--${o.long}`;
    if (!o.flag) left += ` ${typeLabel(o.type ?? 'string')}`;
    if (o.default !== undefined && !o.flag) left += ` (=${formatDefault(o.default)})`;
    let desc = o.description;
    if (o.required) desc += ' (required)';
    if (o.list) desc += ' (repeatable)';
    return [left, desc];
  });
  const argRows: Array<[string, string]> = (c.spec.positional ?? []).map((p) => {
    let left = p.name;
    if (p.type && p.type !== 'string') left += ` ${p.type}`;
    if (p.default !== undefined) left += ` (=${formatDefault(p.default)})`;
    let desc = p.description;
    if (p.required) desc += ' (required)';
    return [left, desc];
  });
  const parts = [`Usage: ${program} ${method} ${synopsis.join(' ')}`.trimEnd(), '', `Info: ${summary}`, '', 'Options (named):', '', rows(optionRows)];
  if (argRows.length > 0) parts.push('', 'Arguments (positional):', '', rows(argRows));
  return parts.join('\n') + '\n';
}

// ---------------------------------------------------------------------------
// JSON params → argv (src/mvsd/mgbubble/Mongoose.cpp HttpMessage::data_to_arg).

export type ApiVersion = 1 | 2 | 3;

/**
 * jsoncpp Value::asString of one element: strings as-is, integers in decimal,
 * reals as "%.17g", booleans as true/false, null as "". Arrays and objects are
 * not convertible (jsoncpp throws; mvsd answers 1000).
 */
export function jsonScalarToToken(v: JsonValue): string {
  if (v === null) return '';
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatG17(v);
  }
  throw generic('Type is not convertible to string');
}

/** C's printf("%.17g"), which jsoncpp uses for reals (integers below 1e17 print exactly). */
export function formatG17(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, expText] = x.toExponential(16).split('e');
  const exp = Number(expText);
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 17) {
    const e = Math.abs(exp);
    return `${strip(mantissa)}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' + e : e}`;
  }
  return strip(x.toFixed(16 - exp));
}

/**
 * The argv tokens (method excluded) mvsd builds from a request's `params`
 * (§1.3). v1: every non-object element, stringified, in order. v2/v3: the
 * first object element expanded into options — keys in jsoncpp's (sorted)
 * member order; null / [] / {} → bare `--key`; an array → `--key v` per
 * element; anything else → `--key <value>` — then every non-object element.
 * Arrays in positional position and nested non-empty objects → 1000.
 */
export function jsonToArgv(apiVersion: ApiVersion, params: JsonValue | undefined): string[] {
  if (params === undefined) return [];
  if (!Array.isArray(params)) throw invalidParams('params must be an array');
  const tokens: string[] = [];
  if (apiVersion >= 2) {
    const first = params.find(isJsonObject);
    if (first) {
      for (const key of Object.keys(first).sort()) {
        const v = first[key];
        const option = `--${key}`;
        if (v === null || (Array.isArray(v) && v.length === 0) || (isJsonObject(v) && Object.keys(v).length === 0)) {
          tokens.push(option);
        } else if (Array.isArray(v)) {
          for (const item of v) tokens.push(option, jsonScalarToToken(item));
        } else if (isJsonObject(v)) {
          throw generic('Type is not convertible to string');
        } else {
          tokens.push(option, jsonScalarToToken(v));
        }
      }
    }
  }
  for (const p of params) {
    if (isJsonObject(p)) continue;
    tokens.push(jsonScalarToToken(p));
  }
  if (tokens.length > MAX_ARGV_TOKENS) throw commandParams(`too many arguments (more than ${MAX_ARGV_TOKENS})`);
  return tokens;
}
