// The package's errors: a stable `code` from the core's ErrorKind on every Error, and panics in
// Rust surfacing as an Error with code INTERNAL instead of aborting Node.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

import { H, Policy, escalation, est, newYorkCalendar, throwsCode } from './support.mjs'

const PACKAGE = fileURLToPath(new URL('../index.js', import.meta.url))

test('each kind the calendar and policy APIs report carries its code and fields', () => {
  const calendar = newYorkCalendar()
  throwsCode(() => calendar.add(new Date(Number.NaN), H), 'INVALID_INPUT', {
    field: 'start',
    value: 'Invalid Date',
    reason: /valid Date/,
    message: /^invalid start: /,
  })
  throwsCode(() => calendar.add(est('2200-12-31T16:00'), 3650 * 24 * H), 'OUT_OF_RANGE')
  const policyErr = throwsCode(() => Policy.fromToml('[scoring.weights]\ntier = 5\n'), 'POLICY_INVALID')
  assert.equal(policyErr.problems.length, 1)
  throwsCode(() => new Policy().calendar('nope'), 'NOT_FOUND', { what: 'calendar', id: 'nope' })
})

test('errors are ordinary Errors: a stack, a name, and JSON-able fields', () => {
  const err = throwsCode(() => newYorkCalendar().isOpen('noon'), 'INVALID_INPUT', {}, TypeError)
  assert.equal(err.name, 'TypeError')
  assert.match(err.stack, /errors\.test\.mjs/)
  const plain = throwsCode(() => Policy.fromToml('x = = 1'), 'POLICY_INVALID')
  assert.equal(plain.name, 'Error')
  assert.deepEqual(Object.keys(plain).sort(), ['code', 'isRetryable', 'problems'])
})

test('a panic in Rust surfaces as an Error with code INTERNAL', () => {
  const err = throwsCode(() => escalation._panicForTest(), 'INTERNAL')
  assert.match(err.message, /panic in the Rust engine: injected panic/)
  // The addon keeps working afterwards.
  assert.deepEqual(newYorkCalendar().add(est('2026-12-24T16:00'), 2 * H), est('2026-12-28T10:00'))
  for (let i = 0; i < 3; i++) {
    throwsCode(() => escalation._panicForTest(), 'INTERNAL')
  }
})

test('a panic does not abort the process', () => {
  // In a fresh Node: the panic is caught by an ordinary catch and the process exits normally.
  const code = `
    const escalation = require(${JSON.stringify(PACKAGE)})
    try { escalation._panicForTest() } catch (err) { console.log(err.code) }
    console.log('alive')
  `
  const done = spawnSync(process.execPath, ['-e', code], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, RUST_BACKTRACE: '0' },
  })
  assert.equal(done.status, 0, done.stderr)
  assert.deepEqual(done.stdout.split(/\s+/).filter(Boolean), ['INTERNAL', 'alive'])
  assert.match(done.stderr, /injected panic/)
})

test('the build profile is reported', () => {
  assert.ok(['debug', 'release'].includes(escalation._BUILD_PROFILE))
})
