/**
 * Setting a property named by the network on a plain object. `__proto__` would otherwise
 * replace the object's prototype; it becomes an ordinary own property instead.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: NoInfer<T>): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** Reading a property named by the network: own properties only. */
export function getOwn<T>(obj: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
