// Values a user's code may throw or pass that are hard to even look at: shared by the
// hostile tests and the property test.
import { runInNewContext } from 'node:vm';

const boom = (what: string) => () => {
  throw new Error(`${what} threw`);
};

/** An Error whose `stack`, `name`, `message` and `constructor` getters throw (util.inspect throws on it). */
export function errorWithThrowingGetters(): Error {
  const error = new Error('hidden');
  // `stack` first: redefining it on a fresh Error formats the stack, which reads `name`.
  for (const key of ['stack', 'name', 'message', 'constructor']) {
    Object.defineProperty(error, key, { get: boom(key), configurable: true });
  }
  return error;
}

/** A Proxy every trap of which throws. */
export function trappingProxy(): object {
  const trap = boom('trap');
  return new Proxy(
    {},
    { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap, apply: trap },
  );
}

/** A revoked Proxy: every operation on it throws. */
export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** A Proxy of an Error whose `get` trap throws: `instanceof Error` holds, reading anything throws. */
export function errorProxy(): object {
  return new Proxy(new Error('inside'), { get: boom('get') });
}

/** Every hostile value, by name. */
export const hostileValues: Array<[string, () => unknown]> = [
  ['a revoked Proxy', revokedProxy],
  ['a Proxy whose traps throw', trappingProxy],
  ['a Proxy of an Error whose get trap throws', errorProxy],
  ['an Error whose getters throw', errorWithThrowingGetters],
  ['a Symbol', () => Symbol('thrown')],
  ['a null-prototype object', () => Object.create(null) as object],
  ['a BigInt', () => 10n ** 30n],
  ['a function', () => function thrower() {}],
  ['an Error from another realm', () => runInNewContext('new TypeError("far away")') as unknown],
  ['an object whose toString and Symbol.toPrimitive throw', () => ({ toString: boom('toString'), [Symbol.toPrimitive]: boom('toPrimitive') })],
];
