#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { VERSION } from '@tollgate/gateway';
import { createLogger, loadConfigOrExit, resolveConfigFile } from './config-loading.js';
import { startControlPlane } from './commands/control-plane.js';
import { startGateway } from './commands/gateway.js';
import { up } from './commands/up.js';

const program = new Command('tollgate').version(VERSION).description('An API gateway that speaks Tyk\'s formats');

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
};

program.command('control-plane')
  .description('admin API (Tyk Gateway API) on control_api_port; loads app_path; publishes changes')
  .option('-c, --config <file>', 'tollgate.json (tyk.conf key names)')
  .action(async (opts: { config?: string }) => {
    const config = loadConfigOrExit(resolveConfigFile(opts.config));
    const logger = createLogger(config, 'control-plane');
    const cp = await startControlPlane(config, logger).catch((err: Error) => {
      logger.fatal(err.message);
      process.exit(1);
    });
    const stop = (): void => void cp.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

program.command('gateway')
  .description('data plane: a cluster primary and N uWebSockets.js workers on listen_port')
  .option('-c, --config <file>', 'tollgate.json (tyk.conf key names)')
  .option('-w, --workers <n>', 'worker processes (0 = one per core)', integer)
  .action((opts: { config?: string; workers?: number }) => {
    const config = loadConfigOrExit(resolveConfigFile(opts.config));
    const logger = createLogger(config, 'gateway');
    const gateway = startGateway(config, opts.workers ?? config.workers ?? 0, logger);
    const stop = (): void => void gateway.shutdown().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

program.command('up')
  .description('the whole stack with a demo API: control plane, a gateway with 2 workers, a demo upstream')
  .option('-c, --config <file>', 'tollgate.json (tyk.conf key names)')
  .option('-w, --workers <n>', 'gateway workers', integer, 2)
  .option('--demo-port <port>', 'port of the demo upstream (0 = any free port)', integer, 0)
  .action((opts: { config?: string; workers: number; demoPort: number }) =>
    up({ configFile: resolveConfigFile(opts.config), workers: opts.workers, demoPort: opts.demoPort }));

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`tollgate: ${(err as Error).message}\n`);
  process.exit(1);
});
