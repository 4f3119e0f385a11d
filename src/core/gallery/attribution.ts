/**
 * The photo gallery's credits: public/gallery/photos/ATTRIBUTION.csv (one row per photo:
 * file, source_repository, original_path, licence, credit, subject), read by the About panel and the tests.
 */

/** One photo's row of ATTRIBUTION.csv. */
export interface AttributionRow {
  file: string;
  source_repository: string;
  original_path: string;
  licence: string;
  credit: string;
  subject: string;
}

const COLUMNS = ['file', 'source_repository', 'original_path', 'licence', 'credit', 'subject'] as const;

/**
 * Parses CSV text as RFC 4180 writes it (comma separated, fields optionally in double quotes with "" for a quote,
 * CRLF or LF line ends) into rows of cells.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows.filter((r) => r.length > 1 || r[0] !== '');
}

/** ATTRIBUTION.csv's rows; throws an Error when its header is not the six expected columns. */
export function parseAttribution(text: string): AttributionRow[] {
  const [header, ...rows] = parseCsv(text);
  if (!header || COLUMNS.some((c, i) => header[i]?.trim() !== c)) throw new Error(`ATTRIBUTION.csv: expected the columns ${COLUMNS.join(', ')}`);
  return rows.map((cells) => Object.fromEntries(COLUMNS.map((c, i) => [c, cells[i] ?? ''])) as unknown as AttributionRow);
}

/** Photos of one source under one credit and licence, for a compact credits list. */
export interface CreditGroup {
  credit: string;
  licence: string;
  source: string;
  files: string[];
}

/** Rows grouped by (credit, licence, source repository), in order of first appearance. */
export function groupCredits(rows: readonly AttributionRow[]): CreditGroup[] {
  const groups = new Map<string, CreditGroup>();
  for (const r of rows) {
    const key = `${r.credit}\u0000${r.licence}\u0000${r.source_repository}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { credit: r.credit, licence: r.licence, source: r.source_repository, files: [] }));
    g.files.push(r.file);
  }
  return [...groups.values()];
}

/**
 * The variety and coarse class of a grocery photo, from its subject ("Golden Delicious (Apple; fruit) in a grocery
 * store" → variety 'Golden Delicious', coarse 'Apple'); undefined for photos that are not from the grocery set.
 */
export function groceryClass(row: AttributionRow): { variety: string; coarse: string } | undefined {
  if (!row.file.startsWith('grocery-')) return undefined;
  const m = /^(.+?) \(([^;)]+)[;)]/.exec(row.subject);
  return m ? { variety: m[1]!, coarse: m[2]! } : undefined;
}
