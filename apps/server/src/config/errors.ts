/** The configuration error: names the key and the reason. */

/**
 * A bad configuration value, file or flag. `key` is the dotted path (`listen.udp`), or the flag
 * or variable that carried it.
 * @example throw new ConfigError('listen.udp', 'expected a port or false')
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly key: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid configuration: ${key}: ${reason}`, options);
  }
}
