import { InvalidArgumentError } from 'commander';

/**
 * Splits a command line the way a POSIX shell would for plain words: whitespace separates, single
 * quotes keep everything, double quotes keep everything but `\"` and `\\`, a backslash escapes the
 * next character. No variables, globs or pipes (the command is spawned without a shell).
 */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new InvalidArgumentError('unterminated quote in the command.');
  if (inWord) words.push(word);
  if (words.length === 0) throw new InvalidArgumentError('the command is empty.');
  return words;
}
