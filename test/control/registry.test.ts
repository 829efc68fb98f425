// CommandRegistry: validation before the handler runs, error codes that travel to the caller,
// and the request id echoed in every response.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { CommandError, CommandRegistry, defineCommand } from '../../src/control/registry';

function build() {
  const reg = new CommandRegistry();
  const calls: unknown[] = [];
  reg.register(defineCommand({
    name: 'echo',
    description: 'returns its args',
    args: z.strictObject({ text: z.string(), times: z.number().int().min(1).default(1) }),
    handler: (a) => {
      calls.push(a);
      return { out: a.text.repeat(a.times) };
    },
  }));
  reg.register(defineCommand({
    name: 'nothing',
    description: 'returns undefined',
    args: z.strictObject({}),
    handler: () => undefined,
  }));
  reg.register(defineCommand({
    name: 'refuse',
    description: 'throws an expected error',
    args: z.strictObject({}),
    handler: async () => {
      await Promise.resolve();
      throw new CommandError('not_allowed', 'you may not');
    },
  }));
  reg.register(defineCommand({
    name: 'crash',
    description: 'throws an unexpected error',
    args: z.strictObject({}),
    handler: () => {
      throw new TypeError('cannot read x of undefined');
    },
  }));
  return { reg, calls };
}

test('unknown command: code unknown_command and the message lists every known command', async () => {
  const { reg } = build();
  const res = await reg.dispatch({ id: 'u1', command: 'nosuch' });
  assert.equal(res.status, 'error');
  assert.equal(res.error?.code, 'unknown_command');
  assert.equal(res.data, null);
  for (const n of ['crash', 'echo', 'nothing', 'refuse']) assert.match(res.error?.message ?? '', new RegExp(`\\b${n}\\b`));
  assert.match(res.error?.message ?? '', /nosuch/);
  assert.deepEqual(reg.names(), ['crash', 'echo', 'nothing', 'refuse']);
});

test('registering a name twice is refused', () => {
  const { reg } = build();
  assert.throws(() => reg.register(defineCommand({ name: 'echo', description: 'dup', args: z.strictObject({}), handler: () => 1 })), /echo registered twice/);
});

test('bad args: code bad_args, the message names the argument, and the handler never runs', async () => {
  const { reg, calls } = build();
  const wrongType = await reg.dispatch({ id: 'b1', command: 'echo', args: { text: 'a', times: 'x' } });
  assert.equal(wrongType.error?.code, 'bad_args');
  assert.match(wrongType.error?.message ?? '', /^times: /);

  const missing = await reg.dispatch({ command: 'echo', args: {} });
  assert.equal(missing.error?.code, 'bad_args');
  assert.match(missing.error?.message ?? '', /\btext\b/);

  const extra = await reg.dispatch({ command: 'echo', args: { text: 'a', colour: 'red' } });
  assert.equal(extra.error?.code, 'bad_args');
  assert.match(extra.error?.message ?? '', /unknown argument\(s\) colour/);

  const notObject = await reg.dispatch({ command: 'echo', args: 'text' });
  assert.equal(notObject.error?.code, 'bad_args');
  assert.deepEqual(calls, []);
});

test('valid args are parsed (defaults applied) and the handler result is the data', async () => {
  const { reg, calls } = build();
  const res = await reg.dispatch({ id: 'ok1', command: 'echo', args: { text: 'ab', times: 3 } });
  assert.deepEqual(res, { id: 'ok1', status: 'ok', data: { out: 'ababab' } });
  const dflt = await reg.dispatch({ command: 'echo', args: { text: 'z' } });
  assert.deepEqual(dflt.data, { out: 'z' });
  assert.deepEqual(calls, [{ text: 'ab', times: 3 }, { text: 'z', times: 1 }]);
  // Missing args mean {}; an undefined result is sent as null, not dropped.
  assert.deepEqual(await reg.dispatch({ command: 'nothing' }), { id: null, status: 'ok', data: null });
});

test('a handler throwing CommandError keeps its code and message', async () => {
  const { reg } = build();
  const res = await reg.dispatch({ id: 'r1', command: 'refuse' });
  assert.deepEqual(res, { id: 'r1', status: 'error', data: null, error: { code: 'not_allowed', message: 'you may not' } });
});

test('an unexpected throw gives code internal with the error message', async () => {
  const { reg } = build();
  const res = await reg.dispatch({ id: 'c1', command: 'crash' });
  assert.equal(res.status, 'error');
  assert.equal(res.error?.code, 'internal');
  assert.equal(res.error?.message, 'cannot read x of undefined');
});

test('the request id is echoed on success and on every kind of error; absent id gives null', async () => {
  const { reg } = build();
  const reqs = [
    { command: 'echo', args: { text: 'x' } },
    { command: 'nosuch' },
    { command: 'echo', args: {} },
    { command: 'refuse' },
    { command: 'crash' },
  ];
  for (const [i, r] of reqs.entries()) {
    const id = `req-${i}-${r.command}`;
    assert.equal((await reg.dispatch({ ...r, id })).id, id);
    assert.equal((await reg.dispatch(r)).id, null);
  }
});
