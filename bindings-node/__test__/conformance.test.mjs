// The 106 shared business-time conformance cases (fixtures/business_time.jsonl, a copy of
// escalation-core's, taken from the public suites of zendesk/biz and seatgeek/businesstime),
// run through BusinessCalendar exactly as bindings-python/tests/test_conformance.py and
// escalation-core/tests/calendar_conformance.rs run them.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

import { BusinessCalendar, at } from './support.mjs'

const FIXTURE = new URL('./fixtures/business_time.jsonl', import.meta.url)
const CASES = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line))

test('the fixture holds 106 cases', () => {
  assert.equal(CASES.length, 106)
})

CASES.forEach((c, i) => {
  test(`${i + 1}-${c.op}`, () => {
    const calendar = new BusinessCalendar(c.schedule)
    const start = at(c.start)
    const where = `${c.source}: ${c.notes ?? ''}`
    switch (c.op) {
      case 'add':
        assert.deepEqual(calendar.add(start, c.duration_seconds * 1000), at(c.expected), where)
        break
      case 'subtract':
        assert.deepEqual(calendar.subtract(start, c.duration_seconds * 1000), at(c.expected), where)
        break
      case 'next_open':
        assert.deepEqual(calendar.nextOpen(start), at(c.expected), where)
        break
      case 'previous_close':
        assert.deepEqual(calendar.previousClose(start), at(c.expected), where)
        break
      case 'elapsed':
        assert.equal(calendar.elapsed(start, at(c.end)), c.expected * 1000, where)
        break
      case 'is_open':
        assert.equal(calendar.isOpen(start), c.expected, where)
        break
      default:
        assert.fail(`unknown op ${c.op}`)
    }
  })
})

test('the batch forms agree with the one-at-a-time form on the elapsed cases', () => {
  for (const c of CASES.filter((c) => c.op === 'elapsed')) {
    const calendar = BusinessCalendar.fromJson(JSON.stringify(c.schedule))
    const start = at(c.start)
    const end = at(c.end)
    assert.deepEqual(calendar.elapsedMany([start], [end]), [c.expected * 1000])
    const buffered = calendar.elapsedMany(new Float64Array([start.getTime()]), new Float64Array([end.getTime()]))
    assert.deepEqual(buffered, new Float64Array([c.expected * 1000]))
  }
})
