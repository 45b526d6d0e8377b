/**
 * Gives an actor's `options` object a hidden class shared with every other actor of the
 * same kind.
 *
 * XState 5's `Actor` constructor builds `options` with an object spread,
 * `{ ...defaultOptions, ...options }`. At that call site V8 gives almost every spawned
 * actor's options a hidden class of its own (bench/upstream/options-spread.md): a map and
 * a descriptor array of about 300 bytes per actor, two per worker (the worker and its
 * attempt's work actor). A copy made with `Object.assign` onto an empty object follows
 * one shared transition tree, so the copies of N workers share one hidden class, and the
 * spread's object and its map become garbage.
 *
 * `options` is a public, writable field of `Actor` (typed `Readonly<ActorOptions>`, whose
 * properties are readonly, not the field), which XState reads after construction for
 * `input` and `devTools` only. The copy has the same own properties with the same values.
 * If a later XState makes the field something else than a writable plain object (a getter,
 * frozen, a class instance), or the options hold an own `__proto__` key, this leaves them
 * alone: correct, just larger.
 */
export function shareOptionsShape(actor: unknown): void {
  if (typeof actor !== 'object' || actor === null) return;
  const target = actor as { options?: unknown };
  const options = target.options;
  if (typeof options !== 'object' || options === null || Object.getPrototypeOf(options) !== Object.prototype) return;
  // Object.assign sets where the spread defined: an own `__proto__` key (options parsed from
  // JSON, say) would become the copy's prototype instead of a property.
  if (Object.hasOwn(options, '__proto__')) return;
  try {
    target.options = Object.assign({}, options);
  } catch {
    // Not writable: XState's own object stays.
  }
}
