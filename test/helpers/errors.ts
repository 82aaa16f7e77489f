import assert from 'node:assert/strict';

/**
 * The `code` of the error `fn` throws, which must be an instance of `type`
 * (the test fails when it throws anything else, or nothing).
 */
export function thrownCode(fn: () => unknown, type: abstract new (...args: never[]) => Error & { code: string }): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof type, `expected a ${type.name}, got ${String(err)}`);
    return err.code;
  }
  assert.fail(`expected a ${type.name}`);
}
