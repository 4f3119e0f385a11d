/**
 * Lists the exported symbols of src/core and workers/ that have no doc comment (JSDoc `/** … *\/`).
 * Usage: npx tsx scripts/undocumented.ts [dir …]; prints `file:line name` per symbol and exits 1 if any.
 * tests/docstrings.test.ts runs the same listing (undocumentedSymbols) and requires it to be empty.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** The folders whose exports must be documented, relative to the repository root. */
export const DOCUMENTED_DIRS: readonly string[] = ['src/core', 'workers'];

/** One exported symbol without a doc comment: file (as found below the root), 1-based line, name. */
export interface Undocumented {
  file: string;
  line: number;
  name: string;
}

/** Exported declarations in a source text that carry no JSDoc, as [line, name]. */
export function undocumentedExports(fileName: string, text: string): [number, string][] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const missing: [number, string][] = [];
  const hasDoc = (node: ts.Node): boolean => ts.getJSDocCommentsAndTags(node).length > 0;
  const exported = (node: ts.Node): boolean =>
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const report = (node: ts.Node, name: string): void => {
    missing.push([source.getLineAndCharacterOfPosition(node.getStart()).line + 1, name]);
  };
  for (const statement of source.statements) {
    if (!exported(statement)) continue;
    if (ts.isVariableStatement(statement)) {
      if (hasDoc(statement)) continue;
      for (const d of statement.declarationList.declarations) report(statement, d.name.getText(source));
    } else if (
      ts.isFunctionDeclaration(statement) ||
      ts.isClassDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      ts.isEnumDeclaration(statement)
    ) {
      if (!hasDoc(statement)) report(statement, statement.name?.getText(source) ?? 'default');
    }
  }
  return missing;
}

/** Every .ts file (not .d.ts) below `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * The exported symbols without a doc comment in every .ts file below `dirs` (default DOCUMENTED_DIRS), files in
 * directory order, paths relative to `root` (default the working directory).
 */
export function undocumentedSymbols(dirs: readonly string[] = DOCUMENTED_DIRS, root = process.cwd()): Undocumented[] {
  return dirs.flatMap((dir) => files(join(root, dir))).flatMap((path) =>
    undocumentedExports(path, readFileSync(path, 'utf8')).map(([line, name]) => ({ file: relative(root, path), line, name })),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const missing = undocumentedSymbols(args.length > 0 ? args : DOCUMENTED_DIRS);
  for (const { file, line, name } of missing) console.log(`${file}:${line} ${name}`);
  console.error(`${missing.length} exported symbols without a doc comment`);
  process.exit(missing.length > 0 ? 1 : 0);
}
