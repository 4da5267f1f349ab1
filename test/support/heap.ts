import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A full garbage collection, so that `heapUsed` is what is still referenced rather than what
 * the collector has not got round to. Tests run without `--expose-gc`; the flag can be set at
 * run time, and a new context then sees the function.
 */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** The heap still referenced after a full collection, in bytes. */
export function retainedHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

export const megabytes = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
