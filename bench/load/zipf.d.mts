export function zipfSampler(n: number, s: number, random?: () => number): () => number;
export function rankPermutation(n: number): {
  a: number;
  b: number;
  rowOf: (rank: number) => number;
};
export function zipfRows(n: number, s: number, random?: () => number): () => number;
