/**
 * How many QR images are drawn, whoever asks: `running` at a time with `waiting` more in line,
 * and no more than `perSecond` a second (up to a fifth of a second's worth in a burst). Anyone
 * past those is told to come back (null). Drawing takes the event loop about half a millisecond,
 * so the pace is what bounds its share of the loop: a flood of requests from many addresses,
 * which no per-client limit stops, gets cheap refusals while redirects keep their pace.
 */
export type RenderGate = {
  /** A turn to draw: resolves when it is this caller's turn; null when the gate is full. */
  enter(): Promise<() => void> | null;
};

export type RenderGateLimits = { running: number; waiting: number; perSecond: number };

export function createRenderGate(
  limits: RenderGateLimits,
  now: () => number = () => performance.now(),
): RenderGate {
  let running = 0;
  const line: (() => void)[] = [];
  const burst = Math.max(1, limits.perSecond / 5);
  let tokens = burst;
  let filledAt = now();
  const takeToken = (): boolean => {
    const at = now();
    tokens = Math.min(burst, tokens + ((at - filledAt) * limits.perSecond) / 1000);
    filledAt = at;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
  const leave = () => {
    const next = line.shift();
    if (next) next();
    else running -= 1;
  };
  const turn = () => {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      leave();
    };
  };
  return {
    enter() {
      if (running >= limits.running && line.length >= limits.waiting) return null;
      if (!takeToken()) return null;
      if (running < limits.running) {
        running += 1;
        return Promise.resolve(turn());
      }
      return new Promise((resolve) => line.push(() => resolve(turn())));
    },
  };
}
