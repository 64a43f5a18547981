/**
 * The small part of Node's built-in test runner and assert module the unit tests use
 * (declared here so the tests need no @types/node).
 */
declare module 'node:test' {
  export function test(name: string, fn: () => void | Promise<void>): void;
  export function describe(name: string, fn: () => void): void;
}

declare module 'node:assert/strict' {
  function ok(value: unknown, message?: string): asserts value;
  function equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  function notEqual(actual: unknown, expected: unknown, message?: string): void;
  function deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  function strictEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  function rejects(promise: Promise<unknown>, error?: RegExp, message?: string): Promise<void>;
  const assert: {
    ok: typeof ok;
    equal: typeof equal;
    notEqual: typeof notEqual;
    deepEqual: typeof deepEqual;
    strictEqual: typeof strictEqual;
    rejects: typeof rejects;
  };
  export default assert;
}
