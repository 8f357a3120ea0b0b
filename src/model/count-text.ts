/**
 * `1 request`, `2 requests`, `1 input token`: a count with its noun in the right number. `noun` is
 * the plural form (as limit kinds are spelled: `requests`, `input_tokens`); underscores become spaces,
 * and `-s` is dropped for exactly one. A noun not ending in `s` (`USD`) is left as it is.
 */
export function countOf(count: number, noun: string): string {
  const words = noun.replace(/_/g, ' ');
  return `${count} ${count === 1 && words.endsWith('s') ? words.slice(0, -1) : words}`;
}

/** A limit's amount in words: `1 request`, `2.5 USD of cost`, `300 total tokens`. */
export function limitAmount(kind: string, max: number): string {
  return kind === 'cost' ? `${max} USD of cost` : countOf(max, kind);
}
