/**
 * User-Agents each memo keyed by them holds — the bot check's (visit-rules.ts), the traits'
 * (visit-traits.ts) and the keyed hash's prefixes (visitor-key.ts) — one size for the three: when
 * one held 1,000, a server whose visitors sent 3,000 distinct agents did that one's work (isbot
 * 1.8 µs, a whole agent's hash about 1 µs) for nearly every visit again.
 */
export const REMEMBERED_AGENTS = 10_000;
/**
 * Longer User-Agents are not remembered by the bot check and the keyed hash (they are worked out
 * each time), so those memos stay bounded: a few MB at most.
 */
export const REMEMBERED_AGENT_LENGTH = 512;

/**
 * `compute` with its answers remembered per key, up to `limit` keys; the memory is emptied when
 * it is full. For what a request's headers say (a User-Agent's traits, an `Accept-Language`'s
 * first language): the same few values come back all day, so a redirect costs a lookup, and an
 * emptied memory only a few computations again.
 */
export function rememberedBy<K, V>(limit: number, compute: (key: K) => V): (key: K) => V {
  const answers = new Map<K, V>();
  return (key) => {
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = compute(key);
      if (answers.size >= limit) answers.clear();
      answers.set(key, answer);
    }
    return answer;
  };
}
