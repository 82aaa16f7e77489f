#!/usr/bin/env node
/**
 * mvsd: the MVS full node daemon. `mvsd [options]` runs a node (mainnet by
 * default); `mvsd devnet [options]` starts a local regtest network;
 * `mvsd check-store [options]` reads every page of a stopped node's stores.
 * SIGINT/SIGTERM close everything in order and exit 0; a second signal forces
 * exit; a fatal error stops the node with a clear message and exit code 1.
 */
import { loadConfig, ConfigError, ConfigHelpRequested } from '../node/config.js';
import { FullNode } from '../node/full-node.js';
import { configureLogging, logger } from '../util/logger.js';
import { StoreError } from '../chain/store.js';

async function runNode(argv: string[]): Promise<number> {
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (err) {
    if (err instanceof ConfigHelpRequested) {
      process.stdout.write(err.message);
      return 0;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`mvsd: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  configureLogging({ level: config.logLevel, pretty: config.logFormat === 'human' });
  const log = logger('mvsd');
  for (const w of config.warnings) log.warn(w);

  const node = new FullNode(config);
  let stopping: Promise<void> | null = null;
  let exitCode = 0;
  const stop = (reason: string, code = 0) => {
    if (stopping) {
      log.warn({ reason }, 'second stop request: forcing exit');
      process.exit(code || 1);
    }
    exitCode = code;
    log.info({ reason }, 'shutting down');
    stopping = node.close();
    return stopping;
  };
  node.onShutdownRequest((reason, code) => void stop(reason, code));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const fatal = (err: unknown) => {
    const e = err as Error;
    log.fatal({ err: e }, e instanceof StoreError ? `fatal store error: ${e.message}` : `fatal error: ${e?.message ?? e}`);
    void stop('fatal error', 1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);

  try {
    await node.open();
  } catch (err) {
    const e = err as Error;
    log.fatal({ err: e }, `cannot start: ${e.message}`);
    process.stderr.write(`mvsd: cannot start: ${e.message}\n`);
    await node.close();
    return 1;
  }
  // Keep running until a stop request completes.
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (stopping) {
        clearInterval(check);
        void stopping.then(() => resolve());
      }
    }, 100);
  });
  return exitCode;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'check-store') {
    const { runCheckStore } = await import('../node/check-store.js');
    process.exitCode = await runCheckStore(argv.slice(1));
    return;
  }
  if (argv[0] === 'devnet') {
    const { runDevnet } = await import('../node/devnet.js');
    process.exitCode = await runDevnet(argv.slice(1));
    return;
  }
  process.exitCode = await runNode(argv);
}

main().catch((err) => {
  process.stderr.write(`mvsd: ${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
