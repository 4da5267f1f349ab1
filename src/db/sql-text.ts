/**
 * One SQL statement written once with named parameters (`:code`, `:now`) and rendered for both
 * engines. better-sqlite3 binds `:name` from an object itself, so SQLite gets the text as written;
 * pg knows only `$1`, `$2`, …, so PostgreSQL gets the names numbered in the order they first
 * appear (a name used twice keeps its number) and the list of names, to order the values by.
 * Render once, where statements are prepared, never per call.
 */
export type SqlText = {
  /** The text as written: better-sqlite3 binds its `:name` parameters from an object. */
  readonly sqlite: string;
  /** The text with `$1`, `$2`, … in place of the names. */
  readonly postgres: string;
  /** The names `$1`, `$2`, … stand for, in that order. */
  readonly names: readonly string[];
};

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;

/** `text` as a statement for both engines. */
export function sqlText(text: string): SqlText {
  // Rendered for PostgreSQL on first use: a server on SQLite never reads its statements twice,
  // and most are written at start (ADR 043).
  let rendered: { postgres: string; names: readonly string[] } | undefined;
  const render = () => (rendered ??= renderForPostgres(text));
  return {
    sqlite: text,
    get postgres() {
      return render().postgres;
    },
    get names() {
      return render().names;
    },
  };
}

/**
 * Reads `text` once, skipping string literals, quoted names and comments (a `:word` inside them
 * is text, not a parameter) and PostgreSQL's `::` casts.
 */
function renderForPostgres(text: string): { postgres: string; names: readonly string[] } {
  const names: string[] = [];
  let out = '';
  let i = 0;
  const copyUntil = (end: string, from: number): number => {
    // A quote doubled inside a literal or a quoted name is that quote, not the end.
    let j = from;
    for (;;) {
      const at = text.indexOf(end, j);
      if (at === -1) return text.length;
      if (end.length === 1 && text[at + 1] === end) {
        j = at + 2;
        continue;
      }
      return at + end.length;
    }
  };
  while (i < text.length) {
    const c = text[i] as string;
    let next = i + 1;
    if (c === "'" || c === '"') next = copyUntil(c, i + 1);
    else if (c === '-' && text[i + 1] === '-') next = copyUntil('\n', i + 2);
    else if (c === '/' && text[i + 1] === '*') next = copyUntil('*/', i + 2);
    else if (c === ':' && text[i + 1] === ':') next = i + 2;
    else if (c === ':' && NAME_START.test(text[i + 1] ?? '')) {
      let end = i + 2;
      while (end < text.length && NAME_PART.test(text[end] as string)) end += 1;
      const name = text.slice(i + 1, end);
      const index = names.includes(name) ? names.indexOf(name) : names.push(name) - 1;
      out += `$${index + 1}`;
      i = end;
      continue;
    }
    out += text.slice(i, next);
    i = next;
  }
  return { postgres: out, names };
}

/**
 * The values for the statement's `$1`, `$2`, … taken from `params` by name. A name without a
 * value is a mistake in the calling code, not a NULL: it throws. Values the statement does not
 * use are left out (PostgreSQL refuses more values than parameters).
 */
export function postgresValues(statement: SqlText, params: Record<string, unknown>): unknown[] {
  return statement.names.map((name) => {
    if (!Object.hasOwn(params, name) || params[name] === undefined) {
      throw new Error(`no value for :${name}`);
    }
    return params[name];
  });
}

/** pg's query config for `statement` with `params`: `pool.query(postgresQuery(…))`. */
export function postgresQuery(
  statement: SqlText,
  params: Record<string, unknown> = {},
): { text: string; values: unknown[] } {
  return { text: statement.postgres, values: postgresValues(statement, params) };
}
