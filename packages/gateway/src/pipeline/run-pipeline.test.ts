import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors } from '../errors.js';
import type { Middleware } from './middleware.js';
import type { RequestContext } from './request-context.js';
import { runPipeline } from './run-pipeline.js';

const ctx = {} as RequestContext;

function recorder(): { calls: string[]; step(name: string, result?: ReturnType<Middleware>): Middleware } {
  const calls: string[] = [];
  return { calls, step: (name, result) => () => { calls.push(name); return result; } };
}

describe('runPipeline', () => {
  it('runs synchronous steps in order and returns synchronously when all continue', () => {
    const { calls, step } = recorder();
    const result = runPipeline(ctx, [step('a'), step('b'), step('c')]);
    assert.equal(result, undefined);
    assert.deepEqual(calls, ['a', 'b', 'c']);
  });

  it('stops at the first reply and does not run later steps', () => {
    const { calls, step } = recorder();
    const result = runPipeline(ctx, [step('a'), step('b', errors.ipDisallowed), step('c')]);
    assert.equal(result, errors.ipDisallowed);
    assert.deepEqual(calls, ['a', 'b']);
  });

  it('goes asynchronous only from a step that returns a promise, keeping the order', async () => {
    const { calls, step } = recorder();
    const result = runPipeline(ctx, [step('a'), step('b', Promise.resolve(undefined)), step('c'), step('d', Promise.resolve(undefined))]);
    assert.ok(result instanceof Promise);
    assert.deepEqual(calls, ['a', 'b']);
    assert.equal(await result, undefined);
    assert.deepEqual(calls, ['a', 'b', 'c', 'd']);
  });

  it('an asynchronous reply ends the walk', async () => {
    const { calls, step } = recorder();
    const result = runPipeline(ctx, [step('a', Promise.resolve(errors.ipDisallowed)), step('b')]);
    assert.equal(await result, errors.ipDisallowed);
    assert.deepEqual(calls, ['a']);
  });

  it('an empty pipeline continues', () => {
    assert.equal(runPipeline(ctx, []), undefined);
  });
});
