/**
 * The method registry: one table of commands (name, aliases, parameters,
 * handler) that the HTTP server dispatches to, `help` lists, `-h` prints usage
 * for, and scripts/gen-docs.mjs turns into docs/rpc.md.
 *
 * A handler receives the parsed arguments (by option long name / positional
 * name, defaults applied), the node context the lead wires in (generic here),
 * and the call metadata (API version and path, mvs-rpc §1.2).
 */
import { RpcError, toRpcError, unknownCommand } from './errors.js';
import { compileSpec, parseArgv, usageText, type ApiVersion, type ArgValue, type CompiledSpec, type ParamSpec } from './params.js';

export interface CallMeta {
  /** 1 = /rpc, 2 = /rpc/v2, 3 = /rpc/v3 (from the URL only, §1.2). */
  apiVersion: ApiVersion;
  /** Request path as received, e.g. "/rpc/v3". */
  path: string;
  /** The method name as called (may be an alias such as `eth_getWork`). */
  calledAs: string;
  /** Peer address of the HTTP client, when known. */
  remoteAddress?: string;
}

export type MethodArgs = Record<string, ArgValue | undefined>;
export type MethodHandler<Ctx> = (args: MethodArgs, ctx: Ctx, meta: CallMeta) => unknown | Promise<unknown>;

/** Everything about a method except its implementation (see catalog.ts). */
export interface MethodInfo {
  name: string;
  aliases?: string[];
  summary: string;
  params?: ParamSpec;
  /** The reference's "admin" commands (§1.6: optional ADMINNAME ADMINAUTH, enforced only when administrator_required). */
  adminOnly?: boolean;
  /** Free-form grouping for the docs (e.g. "Chain", "Mining"). */
  category?: string;
}

export interface MethodDefinition<Ctx> extends MethodInfo {
  handler: MethodHandler<Ctx>;
}

export interface RegisteredMethod<Ctx> extends MethodDefinition<Ctx> {
  compiled: CompiledSpec;
}

export interface RegistryOptions {
  /** Program name shown in usage texts. */
  program?: string;
  /** Register the built-in `help [COMMAND]` (default true). */
  builtinHelp?: boolean;
}

export class Registry<Ctx = unknown> {
  private readonly byName = new Map<string, RegisteredMethod<Ctx>>();
  private readonly byAlias = new Map<string, RegisteredMethod<Ctx>>();
  readonly program: string;

  constructor(options: RegistryOptions = {}) {
    this.program = options.program ?? 'mvs-cli';
    if (options.builtinHelp !== false) {
      this.add({
        name: 'help',
        summary: 'Get a list of commands, or the usage of one command.',
        category: 'Node',
        params: { positional: [{ name: 'COMMAND', description: 'The command to describe.' }] },
        handler: (args) => this.helpText(args.COMMAND as string | undefined),
      });
    }
  }

  add(def: MethodDefinition<Ctx>): this {
    if (!/^[A-Za-z0-9_.-]+$/.test(def.name)) throw new Error(`invalid method name '${def.name}'`);
    for (const n of [def.name, ...(def.aliases ?? [])]) {
      if (this.byName.has(n) || this.byAlias.has(n)) throw new Error(`method name '${n}' is already registered`);
    }
    const entry: RegisteredMethod<Ctx> = { ...def, compiled: compileSpec(def.params ?? {}) };
    this.byName.set(def.name, entry);
    for (const a of def.aliases ?? []) this.byAlias.set(a, entry);
    return this;
  }

  /** Register `info` (usually from METHOD_CATALOG) with an implementation. */
  implement(info: MethodInfo, handler: MethodHandler<Ctx>): this {
    return this.add({ ...info, handler });
  }

  /** Replace an existing method's handler (e.g. a richer `help`). */
  replaceHandler(name: string, handler: MethodHandler<Ctx>): this {
    const m = this.byName.get(name);
    if (!m) throw new Error(`no method '${name}'`);
    m.handler = handler;
    return this;
  }

  /** Lookup by canonical name or alias (case-sensitive, as mvsd). */
  get(name: string): RegisteredMethod<Ctx> | undefined {
    return this.byName.get(name) ?? this.byAlias.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Canonical methods sorted by name. */
  methods(): RegisteredMethod<Ctx>[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  usage(name: string): string {
    const m = this.get(name);
    if (!m) throw unknownCommand(name);
    return usageText(m.name, m.summary, m.params ?? {}, this.program);
  }

  /** `help` with no command: the command list; with one: its usage. */
  helpText(command?: string): string {
    if (command !== undefined && command !== '') return this.usage(command);
    const list = this.methods();
    const width = Math.max(...list.map((m) => m.name.length)) + 2;
    const lines = list.map((m) => {
      const aliases = m.aliases && m.aliases.length > 0 ? ` (aliases: ${m.aliases.join(', ')})` : '';
      return `${m.name.padEnd(width)}${m.summary}${aliases}`;
    });
    return [`Usage: ${this.program} COMMAND [--help]`, '', 'Info: The commands are:', '', ...lines, ''].join('\n');
  }

  /**
   * Run a method from its argv tokens (method name excluded): unknown → 1020,
   * argv errors → 1021, `-h` → the usage text, handler errors → their RpcError
   * or 1000 with the message.
   */
  async invoke(method: string, tokens: readonly string[], ctx: Ctx, meta: Omit<CallMeta, 'calledAs'> & { calledAs?: string }): Promise<unknown> {
    const m = this.get(method);
    if (!m) throw unknownCommand(method);
    const parsed = parseArgv(m.compiled, tokens);
    if (parsed.help) return usageText(m.name, m.summary, m.params ?? {}, this.program);
    try {
      const result = await m.handler(parsed.values, ctx, { ...meta, calledAs: meta.calledAs ?? method });
      return result === undefined ? null : result;
    } catch (err) {
      throw err instanceof RpcError ? err : toRpcError(err);
    }
  }
}
