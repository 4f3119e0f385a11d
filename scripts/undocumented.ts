/**
 * Lists the exported symbols of src/core and workers/ that have no doc comment (JSDoc `/** … *\/`).
 * Usage: npx tsx scripts/undocumented.ts [dir …]; prints `file:line name` per symbol and exits 1 if any.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

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

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src/core', 'workers'];
  let count = 0;
  for (const file of dirs.flatMap(files)) {
    for (const [line, name] of undocumentedExports(file, readFileSync(file, 'utf8'))) {
      console.log(`${file}:${line} ${name}`);
      count++;
    }
  }
  console.error(`${count} exported symbols without a doc comment`);
  process.exit(count > 0 ? 1 : 0);
}
