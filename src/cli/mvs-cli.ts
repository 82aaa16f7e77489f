#!/usr/bin/env node
/**
 * mvs-cli: call one JSON-RPC method of a running node, as the reference's
 * mvs-cli does — `mvs-cli <method> [args…]` posts
 * {"jsonrpc":"2.0","id":1,"method":…,"params":[args as strings]} to /rpc/v3;
 * the node parses the strings as a command line (mvs-rpc §1.3), so options
 * pass straight through: `mvs-cli send alice pw MXYZ… 100000 -f 20000`.
 *
 * Prints the result (strings as text, everything else as pretty BigInt-safe
 * JSON). Exit codes: 0 success, 1 RPC error (code and message on stderr), 2
 * node unreachable, 64 usage error.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { parseJson, stringifyJson, isJsonObject } from '../rpc/json.js';

export const DEFAULT_RPC_URL = 'http://127.0.0.1:8820/rpc/v3';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function networkErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Run mvs-cli with the arguments after the program name; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = new Command('mvs-cli')
    .description('Call a JSON-RPC method of a Metaverse (MVS) node.')
    .argument('<method>', 'method name (mvs-cli help lists them)')
    .argument('[args...]', 'arguments and options of the method, passed on as strings')
    .option('--rpc <url>', 'JSON-RPC endpoint', DEFAULT_RPC_URL)
    .option('--timeout <ms>', 'give up after this many milliseconds', '60000')
    .passThroughOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 64;
    throw e;
  }
  const [method, args] = program.processedArgs as [string, string[]];
  const { rpc, timeout } = program.opts<{ rpc: string; timeout: string }>();
  let url: URL;
  try {
    url = new URL(rpc);
  } catch {
    io.stderr(`mvs-cli: invalid --rpc URL '${rpc}'\n`);
    return 64;
  }
  const timeoutMs = Number(timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    io.stderr(`mvs-cli: invalid --timeout '${timeout}'\n`);
    return 64;
  }
  const body = stringifyJson({ jsonrpc: '2.0', id: 1, method, params: args ?? [] });

  let status: number;
  let text: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    const code = networkErrorCode(err);
    if (code === 'ECONNREFUSED') io.stderr(`mvs-cli: cannot connect to ${url.href}: connection refused (is mvsd running?)\n`);
    else if ((err as Error).name === 'TimeoutError') io.stderr(`mvs-cli: no answer from ${url.href} within ${timeoutMs} ms\n`);
    else io.stderr(`mvs-cli: cannot reach ${url.href}: ${code ?? (err as Error).message}\n`);
    return 2;
  }

  let reply: unknown;
  try {
    reply = parseJson(text);
  } catch {
    io.stderr(`mvs-cli: HTTP ${status}: the node did not answer JSON:\n${text.slice(0, 2000)}\n`);
    return 1;
  }
  if (isJsonObject(reply) && isJsonObject(reply.error)) {
    const { code, message } = reply.error;
    io.stderr(`error ${String(code)}: ${String(message)}\n`);
    return 1;
  }
  if (status !== 200 || !isJsonObject(reply) || !('result' in reply)) {
    io.stderr(`mvs-cli: HTTP ${status}: unexpected answer:\n${text.slice(0, 2000)}\n`);
    return 1;
  }
  const result = reply.result;
  if (typeof result === 'string') io.stdout(result.endsWith('\n') ? result : result + '\n');
  else io.stdout(stringifyJson(result, 4) + '\n');
  return 0;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`mvs-cli: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
