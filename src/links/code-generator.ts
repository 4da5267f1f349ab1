import { customAlphabet } from 'nanoid';

/**
 * Letters and digits without look-alikes (0/O/o, 1/l/I, 5/S, 2/Z, 8/B, u/v): a code read
 * aloud or copied from print comes out right. 47 symbols, so 7 characters give ~2^39 codes.
 */
export const CODE_ALPHABET = '34679abcdefghijkmnpqrstwxyzACDEFGHJKLMNPQRTUVWXY';

/** A new random code, of the configured length unless one is asked for. */
export type CodeGenerator = (length?: number) => string;

export function createCodeGenerator(length: number): CodeGenerator {
  const generate = customAlphabet(CODE_ALPHABET, length);
  return (size) => generate(size ?? length);
}
