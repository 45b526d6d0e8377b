import { describe, expect, test } from 'vitest';
import { changeName, lookupName, type NameIndex } from '../machines/names.js';

const at = (position: number) => position;

describe("the group root's name index", () => {
  test('initial names are found by position; added names by their value; removed ones are gone', () => {
    let index: NameIndex<number> = { initial: ['a', 'b', '__proto__'], changes: null };
    expect(lookupName(index, 'b', at)).toBe(1);
    expect(lookupName(index, '__proto__', at)).toBe(2);
    expect(lookupName(index, 'c', at)).toBeUndefined();
    index = changeName(index, 'c', 7);
    expect(lookupName(index, 'c', at)).toBe(7);
    index = changeName(index, 'b', null);
    expect(lookupName(index, 'b', at)).toBeUndefined();
    index = changeName(index, 'b', 9); // the name added again: a new worker elsewhere
    expect(lookupName(index, 'b', at)).toBe(9);
    index = changeName(index, 'b', null);
    expect(lookupName(index, 'b', at)).toBeUndefined();
  });

  test('a name added and removed again leaves nothing behind: a churning group holds no state per past name', () => {
    let index: NameIndex<number> = { initial: ['a'], changes: null };
    for (let i = 0; i < 1000; i++) index = changeName(index, `w${i}`, i);
    for (let i = 0; i < 1000; i++) index = changeName(index, `w${i}`, null);
    expect(index.changes).toBeNull();
    // An initial name removed is remembered as removed (its position would still say 'a').
    index = changeName(index, 'a', null);
    expect(index.changes).not.toBeNull();
    expect(lookupName(index, 'a', at)).toBeUndefined();
  });
});
