import { describe, expect, it } from 'vitest';
import {
  MAX_SECRETS,
  secretEntries,
  secretEntry,
  secretProblems,
  secretsToCreate,
  secretsToPatch,
} from '@/utils/secrets';

describe('write-only secrets', () => {
  it('lists the expected names first, then the other stored ones, marking which are stored', () => {
    const entries = secretEntries(['password', 'extra'], ['username', 'password']);
    expect(entries.map((e) => [e.name, e.value, e.stored, e.remove])).toEqual([
      ['username', '', false, false],
      ['password', '', true, false],
      ['extra', '', true, false],
    ]);
    expect(new Set(entries.map((e) => e.key)).size).toBe(3); // each row its own key
  });

  it('a create sends every named secret with a value, trimmed names, nothing for blank or nameless rows', () => {
    expect(
      secretsToCreate([
        secretEntry({ name: ' token ', value: 's3cret' }),
        secretEntry({ name: 'blank' }),
        secretEntry({ value: 'nameless' }),
        secretEntry(),
      ]),
    ).toEqual({ token: 's3cret' });
    expect(secretsToCreate([])).toEqual({});
  });

  it('a patch keeps a blank stored secret (not sent), replaces a typed one, adds a new one, removes with null', () => {
    const [kept, rotated, removed] = secretEntries(['kept', 'rotated', 'removed']);
    expect(secretsToPatch([kept, rotated, removed])).toBeUndefined(); // nothing changes: no secrets key
    rotated.value = 'new';
    removed.remove = true;
    expect(
      secretsToPatch([kept, rotated, removed, secretEntry({ name: 'added', value: 'x' }), secretEntry()]),
    ).toEqual({ rotated: 'new', removed: null, added: 'x' });
  });

  it('removing a stored secret wins over a value typed for it', () => {
    const [entry] = secretEntries(['token']);
    entry.value = 'typed';
    entry.remove = true;
    expect(secretsToPatch([entry])).toEqual({ token: null });
  });

  it('checks the secret rows', () => {
    const rows = [
      secretEntry({ name: 'token', stored: true }),
      secretEntry({ name: 'token', value: 'x' }),
      secretEntry({ name: 'key' }),
      secretEntry({ value: 'v' }),
      secretEntry(),
    ];
    expect(secretProblems(rows).map((p) => p.key)).toEqual([
      'secrets.duplicate',
      'secrets.needValue',
      'secrets.needName',
    ]);
    expect(secretProblems(rows).map((p) => p.row)).toEqual([rows[1].key, rows[2].key, rows[3].key]);
  });

  it('a given name left blank is simply not set; lengths and the count are checked', () => {
    expect(secretProblems(secretEntries([], ['username', 'password']), false)).toEqual([]);
    const long = secretEntry({ name: 'n'.repeat(65), value: 'v'.repeat(4001) });
    expect(secretProblems([long]).map((p) => [p.key, p.params])).toEqual([
      ['pricing.rule.maxLength', { max: 64 }],
      ['pricing.rule.maxLength', { max: 4000 }],
    ]);
    const many = Array.from({ length: MAX_SECRETS + 1 }, (_, i) =>
      secretEntry({ name: `s${i}`, value: 'v' }),
    );
    expect(secretProblems(many)).toEqual([
      { row: null, key: 'secrets.tooMany', params: { max: MAX_SECRETS } },
    ]);
    // a removed stored secret does not count
    many[0] = { ...many[0], value: '', stored: true, remove: true };
    expect(secretProblems(many)).toEqual([]);
  });
});
