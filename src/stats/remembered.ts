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
