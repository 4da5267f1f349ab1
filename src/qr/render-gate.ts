/**
 * How many QR images are drawn at once, whoever asks: `running` at a time, `waiting` more in
 * line, and anyone after that is told to come back (null). Drawing is short (about a
 * millisecond), so a short line costs a caller little, while a flood of requests from many
 * addresses, which no per-client limit stops, can never occupy more than `running` draws.
 */
export type RenderGate = {
  /** A turn to draw: resolves when it is this caller's turn; null when the line is full. */
  enter(): Promise<() => void> | null;
};

export function createRenderGate(limits: { running: number; waiting: number }): RenderGate {
  let running = 0;
  const line: (() => void)[] = [];
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
      if (running < limits.running) {
        running += 1;
        return Promise.resolve(turn());
      }
      if (line.length >= limits.waiting) return null;
      return new Promise((resolve) => line.push(() => resolve(turn())));
    },
  };
}
