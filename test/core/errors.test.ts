import { describe, expect, it } from 'vitest';
import { asFaultlineError, causeText, errorText, FaultlineError, isFaultlineError, wrapError } from '../../src/core/errors.js';

describe('asFaultlineError', () => {
  it('returns a FaultlineError as it is, code and all', () => {
    const err = new FaultlineError('target_busy', 'busy');
    expect(asFaultlineError(err)).toBe(err);
    expect(asFaultlineError(err, 'adapter_error')).toBe(err);
  });

  it('names an unknown error internal_error, keeping its text and the original as cause', () => {
    const boom = new TypeError('x is undefined');
    const e = asFaultlineError(boom);
    expect(isFaultlineError(e, 'internal_error')).toBe(true);
    expect(e.message).toBe('x is undefined');
    expect(e.cause).toBe(boom);
  });

  it('uses the fallback the caller names for a port call', () => {
    expect(asFaultlineError(new Error('ECONNRESET'), 'adapter_error').code).toBe('adapter_error');
  });

  it('takes thrown values that are not errors', () => {
    expect(asFaultlineError('plain string').message).toBe('plain string');
    expect(asFaultlineError(undefined).message).toBe('undefined');
  });
});

describe('error text', () => {
  it('errorText is the message of an Error, the value as a string otherwise', () => {
    expect(errorText(new Error('nope'))).toBe('nope');
    expect(errorText(42)).toBe('42');
  });

  it('causeText prefers the reason fetch puts in cause', () => {
    const failed = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    expect(causeText(failed)).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(causeText(new Error('plain'))).toBe('plain');
    expect(causeText(new Error('cause without message', { cause: 'text' }))).toBe('cause without message');
    expect(causeText('thrown text')).toBe('thrown text');
  });

  it('wrapError puts the foreign text after the message and keeps a FaultlineError as it is', () => {
    const cause = new Error('disk full');
    const e = wrapError('store_error', 'store write failed', cause);
    expect(e.message).toBe('store write failed: disk full');
    expect(e.cause).toBe(cause);
    const named = new FaultlineError('halted', 'halted');
    expect(wrapError('store_error', 'x', named)).toBe(named);
  });
});
