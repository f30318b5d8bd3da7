// Policy: loading from TOML, JSON, an object and a file; every problem with its path.
// The same cases as bindings-python/tests/test_policy.py, in JavaScript terms.

import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, test } from 'node:test'

import { BusinessCalendar, H, Policy, est, throwsCode } from './support.mjs'

// The reference policy of this repository (examples/policy.toml).
const REFERENCE = fileURLToPath(new URL('../../examples/policy.toml', import.meta.url))

const CALENDAR_TOML = `
version = "test-1"

[calendars.support]
timezone = "America/New_York"
holidays = ["2026-11-26"]

[calendars.support.hours]
mon = [["09:00", "17:00"]]
tue = [["09:00", "17:00"]]
wed = [["09:00", "17:00"]]
thu = [["09:00", "17:00"]]
fri = [["09:00", "17:00"]]

[sla]
calendar = "support"
`

const scratch = mkdtempSync(join(tmpdir(), 'escalation-node-test-'))
after(() => rmSync(scratch, { recursive: true, force: true }))

test('the default policy', () => {
  const policy = new Policy()
  for (const same of [Policy.fromToml(''), Policy.fromJson('{}'), Policy.fromObject({})]) {
    assert.deepEqual(same.toJSON(), policy.toJSON())
  }
  assert.deepEqual(policy.calendarNames, ['always'])
  assert.equal(typeof policy.version, 'string')
})

test('fromToml reads calendars and the SLA calendar', () => {
  const policy = Policy.fromToml(CALENDAR_TOML)
  assert.equal(policy.version, 'test-1')
  assert.deepEqual(policy.calendarNames, ['always', 'support'])
  assert.equal(policy.toJSON().sla.calendar, 'support')
  const support = policy.calendar('support')
  assert.ok(support instanceof BusinessCalendar)
  // Thanksgiving (26 November 2026) is a holiday on the support calendar.
  assert.deepEqual(support.add(est('2026-11-25T16:00'), 2 * H), est('2026-11-27T10:00'))
  const always = policy.calendar('always')
  assert.deepEqual(always.add(est('2026-11-25T16:00'), 2 * H), est('2026-11-25T18:00'))
  const err = throwsCode(() => policy.calendar('sales'), 'NOT_FOUND', { what: 'calendar', id: 'sales' })
  assert.equal(err.message, 'calendar not found: sales')
})

test('version and calendarNames are read-only', () => {
  const policy = Policy.fromToml(CALENDAR_TOML)
  assert.throws(() => {
    policy.version = 'other'
  }, TypeError)
  assert.equal(policy.version, 'test-1')
})

test('toJSON round-trips through every form', () => {
  const policy = Policy.fromToml(CALENDAR_TOML)
  const asObject = policy.toJSON()
  assert.equal(asObject.version, 'test-1')
  assert.equal(asObject.calendars.support.timezone, 'America/New_York')
  assert.deepEqual(Policy.fromObject(asObject).toJSON(), asObject)
  assert.deepEqual(Policy.fromJson(JSON.stringify(policy)).toJSON(), asObject)
  assert.deepEqual(Policy.fromObject(policy).toJSON(), asObject)
  const path = join(scratch, 'policy.json')
  writeFileSync(path, JSON.stringify(policy))
  assert.deepEqual(Policy.fromPath(path).toJSON(), asObject)
  const toml = join(scratch, 'policy.toml')
  writeFileSync(toml, CALENDAR_TOML)
  assert.deepEqual(Policy.fromPath(toml).toJSON(), asObject)
  assert.notDeepEqual(new Policy().toJSON(), asObject)
})

test('the reference policy file loads', { skip: !existsSync(REFERENCE) && `${REFERENCE} is missing` }, () => {
  const policy = Policy.fromPath(REFERENCE)
  assert.equal(policy.version, '2026-11')
  assert.ok(policy.calendarNames.includes('support'))
  assert.deepEqual(Policy.fromObject(policy.toJSON()).toJSON(), policy.toJSON())
})

test('every problem is reported with its path', () => {
  const err = throwsCode(
    () => Policy.fromToml('[scoring.weights]\ntier = 1.7\nage = -1\n\n[scoring]\nunknown_knob = 3\n'),
    'POLICY_INVALID',
  )
  assert.ok(Array.isArray(err.problems))
  const paths = err.problems.map((p) => p.path)
  assert.deepEqual(paths, [...paths].sort())
  for (const path of ['scoring.weights.tier', 'scoring.weights.age', 'scoring.unknown_knob']) {
    assert.ok(paths.includes(path), `${path} in ${paths}`)
  }
  const tier = err.problems.find((p) => p.path === 'scoring.weights.tier')
  assert.deepEqual(tier, { path: 'scoring.weights.tier', message: 'must be between 0 and 1, got 1.7' })
  // The message lists them all too.
  assert.match(err.message, /^invalid policy: /)
  for (const problem of err.problems) {
    assert.ok(err.message.includes(`${problem.path}: ${problem.message}`), err.message)
  }
})

test('problems from every loader', () => {
  let err = throwsCode(() => Policy.fromJson('{"scoring": {"weights": {"lifetime_value": 1.01}}}'), 'POLICY_INVALID')
  assert.deepEqual(err.problems, [{ path: 'scoring.weights.lifetime_value', message: 'must be between 0 and 1, got 1.01' }])
  err = throwsCode(() => Policy.fromObject({ scoring: { weights: { tier: 2, impact: 'high' } } }), 'POLICY_INVALID')
  const paths = new Set(err.problems.map((p) => p.path))
  assert.ok(paths.has('scoring.weights.tier') && paths.has('scoring.weights.impact'), [...paths].join())
  err = throwsCode(() => Policy.fromToml('this is not = = toml'), 'POLICY_INVALID')
  assert.equal(err.problems[0].path, '(document)')
  err = throwsCode(() => Policy.fromJson('[1, 2]'), 'POLICY_INVALID')
  assert.equal(err.problems[0].path, '(document)')
  // JSON has no NaN (JSON.stringify would write null, which means "not set"): refused.
  err = throwsCode(() => Policy.fromObject({ scoring: { weights: { tier: Number.NaN } } }), 'POLICY_INVALID')
  assert.deepEqual(err.problems.map((p) => p.path), ['scoring.weights.tier'])
  assert.match(err.problems[0].message, /finite.*got NaN/)
  err = throwsCode(() => Policy.fromObject({ ladder: [{}, { after: -Infinity }] }), 'POLICY_INVALID')
  assert.equal(err.problems[0].path, 'ladder[1].after')
})

test('calendar problems carry the calendar path', () => {
  const err = throwsCode(
    () =>
      Policy.fromToml(
        '[calendars.support]\ntimezone = "Mars/Base"\n[calendars.support.hours]\nmon = [["9:00", "17:00"]]\n',
      ),
    'POLICY_INVALID',
  )
  const paths = err.problems.map((p) => p.path)
  assert.ok(paths.includes('calendars.support.timezone'), paths.join())
  assert.ok(paths.includes('calendars.support.hours.mon[0]'), paths.join())
})

test('fromPath errors', () => {
  throwsCode(() => Policy.fromPath(join(scratch, 'missing.toml')), 'INVALID_INPUT', {
    field: 'path',
    reason: /cannot read/,
  })
  const bad = join(scratch, 'bad.toml')
  writeFileSync(bad, '[scoring.weights]\ntier = 5\n')
  const err = throwsCode(() => Policy.fromPath(bad), 'POLICY_INVALID')
  assert.equal(err.problems[0].path, 'scoring.weights.tier')
})

test('arguments of the wrong type are TypeErrors with code INVALID_INPUT', () => {
  throwsCode(() => Policy.fromToml(42), 'INVALID_INPUT', { field: 'text', value: 'number' }, TypeError)
  throwsCode(() => Policy.fromJson({}), 'INVALID_INPUT', { field: 'text', value: 'object' }, TypeError)
  throwsCode(() => Policy.fromPath(undefined), 'INVALID_INPUT', { field: 'path', value: 'undefined' }, TypeError)
  throwsCode(() => Policy.fromObject('version = "x"'), 'INVALID_INPUT', { field: 'policy' }, TypeError)
  throwsCode(() => new Policy().calendar(1), 'INVALID_INPUT', { field: 'name' }, TypeError)
})
