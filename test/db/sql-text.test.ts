import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { postgresQuery, postgresValues, sqlText } from '../../src/db/sql-text.js';

describe('sqlText', () => {
  it('when a statement has named parameters, then SQLite gets the text as written and PostgreSQL numbers them', () => {
    const statement = sqlText('UPDATE urls SET updated = :now WHERE code = :code');
    expect(statement.sqlite).toBe('UPDATE urls SET updated = :now WHERE code = :code');
    expect(statement.postgres).toBe('UPDATE urls SET updated = $1 WHERE code = $2');
    expect(statement.names).toEqual(['now', 'code']);
  });

  it('when a name is used twice, then it keeps its number and its value is passed once', () => {
    const statement = sqlText('INSERT INTO t (a, created, updated) VALUES (:a, :now, :now)');
    expect(statement.postgres).toBe('INSERT INTO t (a, created, updated) VALUES ($1, $2, $2)');
    expect(postgresValues(statement, { now: 5, a: 'x' })).toEqual(['x', 5]);
  });

  it('when `:word` is inside a string literal, a quoted name or a comment, then it is not a parameter', () => {
    const statement = sqlText(
      `SELECT ':not', 'it''s :no', "a:b" AS "x:y" -- :nor
       /* :none */ FROM t WHERE c = :yes`,
    );
    expect(statement.names).toEqual(['yes']);
    expect(statement.postgres).toContain(`':not', 'it''s :no', "a:b" AS "x:y" -- :nor`);
    expect(statement.postgres).toContain('/* :none */');
    expect(statement.postgres).toContain('WHERE c = $1');
  });

  it('when PostgreSQL casts with `::`, then the cast is kept', () => {
    const statement = sqlText('SELECT :n::bigint AS n');
    expect(statement.postgres).toBe('SELECT $1::bigint AS n');
    expect(statement.names).toEqual(['n']);
  });

  it('when a parameter has no value, then making the values throws', () => {
    const statement = sqlText('SELECT * FROM t WHERE a = :a AND b = :b');
    expect(() => postgresValues(statement, { a: 1 })).toThrow('no value for :b');
    expect(() => postgresValues(statement, { a: 1, b: undefined })).toThrow('no value for :b');
  });

  it('when values the statement does not use are given, then they are left out', () => {
    const statement = sqlText('SELECT * FROM t WHERE a = :a');
    expect(postgresQuery(statement, { a: null, other: 2 })).toEqual({
      text: 'SELECT * FROM t WHERE a = $1',
      values: [null],
    });
    expect(postgresQuery(sqlText('SELECT 1'))).toEqual({ text: 'SELECT 1', values: [] });
  });

  it('when SQLite runs the text as written, then it binds the names from an object', () => {
    const db = new Database(':memory:');
    const statement = sqlText(`SELECT :a AS a, :a AS "sameA", ':b' AS literal`);
    expect(db.prepare(statement.sqlite).get({ a: 1 })).toEqual({ a: 1, sameA: 1, literal: ':b' });
    db.close();
  });
});
