/**
 * How the package looks at a value a user's code threw (or rejected with, or handed to a
 * hook): whether it is fatal, whether it only says "aborted", and how to print it. Every
 * function here returns normally whatever the value is: a Proxy (revoked, or with traps
 * that throw), an Error whose `name`/`message`/`stack` getters throw, a Symbol, a BigInt, a
 * `null`-prototype object, an Error from another realm, a function. A supervisor that
 * throws while it looks at a crash has crashed itself.
 *
 * Pure: no Node API, so the machines use it in a browser too (`util.inspect`, which is
 * richer, lives in src/ and falls back to {@link printable}).
 */

/** The brand of a `FatalError`: a registered symbol, so two copies of the package agree. */
export const fatalBrand = Symbol.for('xstate-supervisor.FatalError');

/** Reads `value[key]`, or `undefined` when the read throws (a getter or a Proxy trap). */
function read(value: object, key: PropertyKey): unknown {
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

function readString(value: object, key: PropertyKey): string | undefined {
  const found = read(value, key);
  return typeof found === 'string' ? found : undefined;
}

/**
 * Whether `value` is an Error of any realm (or a DOMException). `instanceof` misses
 * errors from another realm (`vm`, an iframe); the built-in tag finds them. Both can throw
 * on a Proxy, which then is not an error.
 */
export function isError(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  try {
    if (value instanceof Error) return true;
    const tag = Object.prototype.toString.call(value);
    return tag === '[object Error]' || tag === '[object DOMException]';
  } catch {
    return false;
  }
}

/** Whether `value` is a `FatalError` (from any copy of this package). */
export function isFatal(value: unknown): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  return read(value, fatalBrand) === true;
}

/**
 * Whether `value` only says "aborted": the reason `signal` was aborted with, or an
 * `AbortError`/`TimeoutError` (what `fetch`, `setTimeout` of `node:timers/promises` and
 * `AbortSignal.timeout()` reject with). Work that settles so after its signal aborted
 * was stopped, not broken.
 */
export function isAbort(value: unknown, signal?: AbortSignal): boolean {
  if (signal !== undefined) {
    try {
      if (signal.aborted && value === signal.reason) return true;
    } catch {
      // A signal whose getters throw is no evidence either way.
    }
  }
  if (!isError(value)) return false;
  const name = readString(value, 'name');
  return name === 'AbortError' || name === 'TimeoutError';
}

/** The first line of `text`. */
function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end === -1 ? text : text.slice(0, end);
}

/** A string in quotes, as `util.inspect` shows it. */
function quoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** A primitive, function or object in a few words, without calling any of its code. */
function shape(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quoted(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      // String() of a symbol reads its description without calling user code.
      return String(value);
    case 'undefined':
    case 'number':
    case 'boolean':
      return String(value);
    case 'function': {
      const name = readString(value, 'name');
      return name === undefined || name === '' ? '[Function: anonymous]' : `[Function: ${name}]`;
    }
    default:
      break;
  }
  if (value === null) return 'null';
  let tag = 'Object';
  try {
    if (Array.isArray(value)) return `[Array(${String(read(value, 'length'))})]`;
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === null) return '[Object: null prototype]';
    const constructor = read(proto as object, 'constructor');
    const name = typeof constructor === 'function' ? readString(constructor, 'name') : undefined;
    if (name !== undefined && name !== '') tag = name;
  } catch {
    // A revoked Proxy throws on every operation.
    return '[object (unreadable)]';
  }
  return `[object ${tag}]`;
}

/**
 * A thrown value in one line: `Name: message` for an Error (its first line), else the
 * value in a few words (`'text'`, `42`, `Symbol(x)`, `[object Map]`). Never throws.
 *
 * @example
 * ```ts
 * summarize(new TypeError('bad\nmore')); // 'TypeError: bad'
 * summarize(Symbol('x'));                // 'Symbol(x)'
 * ```
 */
export function summarize(value: unknown): string {
  if (!isError(value)) return firstLine(shape(value));
  const name = readString(value, 'name') ?? 'Error';
  const message = readString(value, 'message');
  if (message === undefined) return `${name} (its message could not be read)`;
  return firstLine(message === '' ? name : `${name}: ${message}`);
}

/**
 * A thrown value for a log: an Error's stack when it can be read (else its summary), any
 * other value as {@link summarize} shows it. Never throws.
 */
export function printable(value: unknown): string {
  if (!isError(value)) return shape(value);
  const stack = readString(value, 'stack');
  return stack ?? summarize(value);
}
