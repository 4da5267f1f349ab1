// First: the same Node.js version check as every other entry.
import '../scripts/check-node.mjs';
import { runIfEntryPoint, type CliOutput } from './cli.js';
import { ConfigError, loadConfig, requireSqliteFile } from './config.js';
import { litestreamConfig, s3Settings } from './replication/litestream-config.js';

/**
 * `node dist/litestream.js`: prints Litestream's configuration for the settings in `env`, for
 * scripts/launch.sh (which hands it to `litestream restore` and `litestream replicate` on their
 * standard input) and for an operator's restore drill (docs/replication.md). The settings are
 * read by the server's own loadConfig, so a wrong LITESTREAM_REPLICA_URL stops the start here
 * with the server's message, before Litestream runs.
 */
export function runLitestreamConfig(
  env: Record<string, string | undefined>,
  output: CliOutput,
  cwd: string = process.cwd(),
): number {
  try {
    const config = loadConfig(env, cwd);
    if (config.litestream === null) {
      throw new ConfigError('LITESTREAM_REPLICA_URL is not set: there is nothing to replicate to');
    }
    output.out(
      litestreamConfig({
        databaseFile: requireSqliteFile(config),
        replicaUrl: config.litestream.replicaUrl,
        metricsPort: config.litestream.metricsPort,
        logLevel: config.logLevel,
        ...s3Settings(env),
      }).trimEnd(),
    );
    return 0;
  } catch (error) {
    output.err(`snip: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

await runIfEntryPoint(import.meta.url, process.env, async (output) =>
  runLitestreamConfig(process.env, output),
);
