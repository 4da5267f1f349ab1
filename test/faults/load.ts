import { badInput, judgeBadInput } from './bad-inputs.js';
import { describeOutcome, STACK_TRACE, type Answer, type Outcome } from './http-outcome.js';

/**
 * Counts what a load of requests got: answers (right or wrong), and the ways a request can fail
 * to be answered. A wrong answer is an error; whether an unanswered request is one depends on
 * the fault (a kill leaves requests unanswered by design, a graceful stop must not).
 */
export type Tally = {
  answered: number;
  refused: number;
  unanswered: number;
  cut: number;
  hung: number;
  /** Answers with the wrong status or a broken page, and requests cut mid-response. */
  errors: number;
  badInputs: number;
  /** The first few errors, for the failure message. */
  examples: string[];
};

export function createTally(): Tally {
  return {
    answered: 0,
    refused: 0,
    unanswered: 0,
    cut: 0,
    hung: 0,
    errors: 0,
    badInputs: 0,
    examples: [],
  };
}

function noteError(tally: Tally, message: string): void {
  tally.errors += 1;
  if (tally.examples.length < 10) tally.examples.push(message);
}

/**
 * Records an outcome. `check` judges an answer (null when it is right); a cut or hung request
 * is always an error. Answers the answer when there was one.
 */
export function record(
  tally: Tally,
  what: string,
  outcome: Outcome,
  check: (answer: Answer) => string | null,
): Answer | null {
  switch (outcome.kind) {
    case 'answered': {
      tally.answered += 1;
      const problem =
        check(outcome) ??
        (outcome.status >= 500 && outcome.status !== 503 ? `${outcome.status}` : null) ??
        (STACK_TRACE.test(outcome.body) ? 'a stack trace in the page' : null);
      if (problem !== null) noteError(tally, `${what}: ${problem}`);
      return outcome;
    }
    case 'cut':
      tally.cut += 1;
      noteError(tally, `${what}: ${describeOutcome(outcome)}`);
      return null;
    case 'hung':
      tally.hung += 1;
      noteError(tally, `${what}: ${describeOutcome(outcome)}`);
      return null;
    case 'refused':
      tally.refused += 1;
      return null;
    case 'unanswered':
      tally.unanswered += 1;
      return null;
  }
}

/** Sends the n-th bad input and records it; answers whether it was answered. */
export async function tryBadInput(tally: Tally, port: number, n: number): Promise<boolean> {
  const input = badInput(n);
  const outcome = await input.send(port);
  const answer = record(tally, `bad input row ${input.row}`, outcome, () =>
    judgeBadInput(input, outcome),
  );
  if (answer !== null) tally.badInputs += 1;
  return answer !== null;
}

export function expectStatus(expected: number): (answer: Answer) => string | null {
  return (answer) => (answer.status === expected ? null : `${answer.status}, expected ${expected}`);
}

/** "1234 answered (2 refused, 1 unanswered)" */
export function describeTally(tally: Tally): string {
  const others = (['refused', 'unanswered', 'cut', 'hung'] as const)
    .filter((kind) => tally[kind] > 0)
    .map((kind) => `${tally[kind]} ${kind}`);
  return `${tally.answered} answered${others.length > 0 ? ` (${others.join(', ')})` : ''}`;
}
