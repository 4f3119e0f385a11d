import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DOCUMENTED_DIRS, undocumentedExports, undocumentedSymbols } from '../scripts/undocumented';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('doc comments', () => {
  it('the checker flags exported declarations without JSDoc and passes documented ones', () => {
    const source = [
      '/** Documented. */',
      'export function documented(): void {}',
      'export function bare(): void {}',
      '// a line comment is not a doc comment',
      'export const lineCommented = 1;',
      '/* nor is a block comment */',
      'export interface Blocked { a: number }',
      'export type Alias = string;',
      'export class Klass {}',
      'export enum Kind { A }',
      'function internal(): void {}',
      '/** Documented too. */',
      'export const a = 1, b = 2;',
      'export const c = 3, d = 4;',
    ].join('\n');
    expect(undocumentedExports('fixture.ts', source)).toEqual([
      [3, 'bare'],
      [5, 'lineCommented'],
      [7, 'Blocked'],
      [8, 'Alias'],
      [9, 'Klass'],
      [10, 'Kind'],
      [14, 'c'],
      [14, 'd'],
    ]);
  });

  it('every exported symbol of src/core and workers/ has a doc comment', () => {
    expect(DOCUMENTED_DIRS).toEqual(['src/core', 'workers']);
    const missing = undocumentedSymbols(DOCUMENTED_DIRS, root).map(({ file, line, name }) => `${file}:${line} ${name}`);
    expect(missing).toEqual([]);
  });
});
