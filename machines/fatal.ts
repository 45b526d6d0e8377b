import { fatalBrand as brand } from './thrown.js';

export { isFatal } from './thrown.js';

/**
 * Thrown by work that must not be restarted, whatever the restart policy (as suture's
 * `ErrDoNotRestart`): the worker ends `failed` with this error as its `lastError`, and the
 * group's give-up policy applies.
 *
 * Recognised by a registered symbol, not `instanceof`, so a FatalError from another copy
 * of this package (two versions in one `node_modules`) is still fatal.
 *
 * @example
 * ```ts
 * const work: Work = async ({ signal }) => {
 *   const config = await loadConfig();
 *   if (!config.queueUrl) throw new FatalError('QUEUE_URL is not set');
 *   await consume(config.queueUrl, signal);
 * };
 * ```
 */
export class FatalError extends Error {
  override name = 'FatalError';
  readonly [brand] = true;
}
