import { pino, type Logger } from 'pino';

/**
 * JSON lines for machines (Fly's log shipping), pretty lines for a person at a terminal.
 * pino-pretty is a development dependency, so production images never load it.
 */
export function createLogger(options: { level: string; pretty: boolean }): Logger {
  return pino({
    level: options.level,
    ...(options.pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true } } }
      : {}),
  });
}
