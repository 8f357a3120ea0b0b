import { describe, expect, it } from 'vitest';
import { abortSignalOf, CallSignal } from '../../../src/mcp/call-signal.js';

describe('CallSignal', () => {
  it('aborts once, with its reason, calling onabort and each listener once in order', () => {
    const s = new CallSignal();
    const calls: string[] = [];
    s.onabort = (ev) => calls.push(`onabort:${ev.type}`);
    const a = (): void => { calls.push('a'); };
    s.addEventListener('abort', a);
    s.addEventListener('abort', a); // the same listener twice is one listener, as on an EventTarget
    s.addEventListener('abort', { handleEvent: (ev) => calls.push(`object:${ev.target === s}`) });
    s.addEventListener('other', () => calls.push('never'));
    expect(s.aborted).toBe(false);
    expect(() => s.throwIfAborted()).not.toThrow();
    s.abort('stop');
    s.abort('again');
    expect(calls).toEqual(['onabort:abort', 'a', 'object:true']);
    expect(s.aborted).toBe(true);
    expect(s.reason).toBe('stop');
    expect(() => s.throwIfAborted()).toThrow();
    try { s.throwIfAborted(); } catch (err) { expect(err).toBe('stop'); }
  });

  it('gives an AbortError as reason when none is given, like AbortController', () => {
    const s = new CallSignal();
    s.abort();
    expect((s.reason as DOMException).name).toBe('AbortError');
  });

  it('drops removed listeners, and a listener that throws stops none of the others', () => {
    const s = new CallSignal();
    const calls: string[] = [];
    const gone = (): void => { calls.push('gone'); };
    s.addEventListener('abort', gone);
    s.addEventListener('abort', () => { throw new Error('listener failed'); });
    s.addEventListener('abort', () => calls.push('after'));
    s.removeEventListener('abort', gone);
    expect(() => s.abort('x')).not.toThrow();
    expect(calls).toEqual(['after']);
    // A listener added after the abort is never called (the abort is over).
    s.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual(['after']);
  });

  it('makes one real AbortSignal that follows it, before or after the abort', () => {
    const s = new CallSignal();
    const real = abortSignalOf(s as unknown as AbortSignal)!;
    expect(real).toBeInstanceOf(AbortSignal);
    expect(abortSignalOf(s as unknown as AbortSignal)).toBe(real);
    // Combinable as the v2 client combines it.
    const combined = AbortSignal.any([real, new AbortController().signal]);
    s.abort('why');
    expect(real.aborted).toBe(true);
    expect(real.reason).toBe('why');
    expect(combined.aborted).toBe(true);

    const late = new CallSignal();
    late.abort('earlier');
    const lateReal = late.toAbortSignal();
    expect(lateReal.aborted).toBe(true);
    expect(lateReal.reason).toBe('earlier');
  });

  it('leaves real signals and undefined as they are', () => {
    const c = new AbortController();
    expect(abortSignalOf(c.signal)).toBe(c.signal);
    expect(abortSignalOf(undefined)).toBeUndefined();
  });

  it('removes a listener when the signal given in its options aborts', () => {
    const s = new CallSignal();
    const remover = new AbortController();
    const calls: string[] = [];
    s.addEventListener('abort', () => calls.push('x'), { signal: remover.signal });
    remover.abort();
    s.abort();
    expect(calls).toEqual([]);
  });
});
