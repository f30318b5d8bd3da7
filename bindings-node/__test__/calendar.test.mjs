// BusinessCalendar: building it (object and JSON forms), every method, its errors.
// The same cases as bindings-python/tests/test_calendar.py, in JavaScript terms.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { BusinessCalendar, H, WEEKDAYS, at, est, newYorkCalendar, throwsCode } from './support.mjs'

const JSON_FORM = {
  timezone: 'America/New_York',
  hours: {
    mon: [
      ['09:00', '12:00'],
      ['13:00', '17:00'],
    ],
    tue: [['09:00', '17:00']],
  },
  holidays: ['2026-12-25'],
  overrides: { '2026-12-24': [['09:00', '13:00']] },
  breaks: [{ date: '2026-11-27', from: '10:00', to: '11:00' }],
}

const ALL_WEEK = [...WEEKDAYS, 'sat', 'sun']

describe('building', () => {
  test('the object form equals the JSON form and toJSON returns it', () => {
    const byObject = new BusinessCalendar(JSON_FORM)
    const byText = BusinessCalendar.fromJson(JSON.stringify(JSON_FORM))
    assert.deepEqual(byObject.toJSON(), JSON_FORM)
    assert.deepEqual(byText.toJSON(), JSON_FORM)
    assert.deepEqual(JSON.parse(JSON.stringify(byObject)), JSON_FORM)
    assert.equal(byObject.timezone, 'America/New_York')
  })

  test('optional parts may be missing or undefined', () => {
    const calendar = new BusinessCalendar({ timezone: 'Etc/UTC', hours: { mon: [['09:00', '17:00']] } })
    assert.deepEqual(calendar.toJSON(), {
      timezone: 'Etc/UTC',
      hours: { mon: [['09:00', '17:00']] },
      holidays: [],
    })
    const withUndefined = new BusinessCalendar({
      timezone: 'Etc/UTC',
      hours: { mon: [['09:00', '17:00']] },
      holidays: undefined,
      overrides: undefined,
      breaks: undefined,
    })
    assert.deepEqual(withUndefined.toJSON(), calendar.toJSON())
  })

  test('a calendar stands for its JSON form (toJSON)', () => {
    const calendar = new BusinessCalendar(JSON_FORM)
    const copy = new BusinessCalendar(calendar)
    assert.deepEqual(copy.toJSON(), calendar.toJSON())
    assert.deepEqual(copy.add(est('2026-12-24T12:00'), 2 * H), calendar.add(est('2026-12-24T12:00'), 2 * H))
  })

  test('timezone is read-only', () => {
    const calendar = newYorkCalendar()
    assert.throws(() => {
      calendar.timezone = 'Etc/UTC'
    }, TypeError)
    assert.equal(calendar.timezone, 'America/New_York')
  })

  const INVALID = [
    [{ timezone: 'Mars/Olympus' }, 'timezone', /unknown IANA time zone/],
    [{ hours: { mon: [['9:00', '17:00']] } }, 'hours.mon[0]', /HH:MM/],
    [{ hours: { mon: [['09:00:30', '17:00']] } }, 'hours.mon[0]', /09:00:30/],
    [{ hours: { mon: [['17:00', '09:00']] } }, 'hours.mon[0]', /cross midnight/],
    [
      {
        hours: {
          mon: [
            ['09:00', '12:00'],
            ['11:00', '17:00'],
          ],
        },
      },
      'hours.mon[1]',
      /overlaps hours.mon\[0\]/,
    ],
    [{ hours: { monday: [['09:00', '17:00']] } }, 'hours.monday', /unknown weekday/],
    [{ hours: {} }, 'hours', /weekly hours/],
    [{ holidays: ['2026-01-01', '2026-13-01'] }, 'holidays[1]', /YYYY-MM-DD/],
    // A Date is an instant, not a local date: JSON.stringify writes it in ISO 8601 with a time.
    [{ holidays: [new Date('2026-01-01T00:00:00Z')] }, 'holidays[0]', /YYYY-MM-DD/],
    [{ overrides: { tomorrow: [] } }, 'overrides.tomorrow', /YYYY-MM-DD/],
    [{ breaks: [{ date: '2026-01-02', from: '11:00', to: '10:00' }] }, 'breaks[0]', /end after/],
    [{ breaks: [{ date: '2026-1-2', from: '10:00', to: '11:00' }] }, 'breaks[0].date', /YYYY-MM-DD/],
  ]
  // Values that JSON has no form for (JSON.stringify would write null): refused with their path.
  const NO_JSON_FORM = [[{ hours: { mon: [['09:00', Number.NaN]] } }, 'hours.mon[0][1]', /finite number/]]

  for (const [change, field, inMessage] of INVALID) {
    test(`an invalid calendar names the field: ${field} ${inMessage}`, () => {
      const spec = { timezone: 'America/New_York', hours: { mon: [['09:00', '17:00']] }, ...change }
      const err = throwsCode(() => new BusinessCalendar(spec), 'INVALID_INPUT', { field })
      assert.match(err.message, inMessage)
      assert.equal(typeof err.value, 'string')
      assert.equal(typeof err.reason, 'string')
      // The JSON form gets the same answer.
      throwsCode(() => BusinessCalendar.fromJson(JSON.stringify(spec)), 'INVALID_INPUT', { field })
    })
  }

  for (const [change, field, inMessage] of NO_JSON_FORM) {
    test(`a value without a JSON form names the field: ${field}`, () => {
      const spec = { timezone: 'America/New_York', hours: { mon: [['09:00', '17:00']] }, ...change }
      const err = throwsCode(() => new BusinessCalendar(spec), 'INVALID_INPUT', { field, value: 'NaN' })
      assert.match(err.message, inMessage)
    })
  }

  test('fromJson and the constructor reject malformed documents', () => {
    throwsCode(() => BusinessCalendar.fromJson('{not json'), 'INVALID_INPUT', { field: 'calendar' })
    const extra = throwsCode(() => new BusinessCalendar({ ...JSON_FORM, weekends: true }), 'INVALID_INPUT')
    assert.match(extra.message, /weekends/)
    throwsCode(() => new BusinessCalendar({ hours: { mon: [['09:00', '17:00']] } }), 'INVALID_INPUT', {
      message: /timezone/,
    })
    throwsCode(() => new BusinessCalendar({ ...JSON_FORM, holidays: ['2026-02-30'] }), 'INVALID_INPUT', {
      field: 'holidays[0]',
    })
  })

  test('arguments of the wrong type are TypeErrors with code INVALID_INPUT', () => {
    throwsCode(() => new BusinessCalendar('America/New_York'), 'INVALID_INPUT', { field: 'calendar' }, TypeError)
    throwsCode(() => new BusinessCalendar(), 'INVALID_INPUT', { field: 'calendar', value: 'undefined' }, TypeError)
    throwsCode(() => BusinessCalendar.fromJson(42), 'INVALID_INPUT', { field: 'text', value: 'number' }, TypeError)
  })

  test('a cyclic object fails with the TypeError of JSON.stringify', () => {
    const spec = { timezone: 'Etc/UTC', hours: { mon: [['09:00', '17:00']] } }
    spec.self = spec
    assert.throws(() => new BusinessCalendar(spec), (err) => err instanceof TypeError && /circular/i.test(err.message))
  })
})

describe('single instants', () => {
  const calendar = newYorkCalendar()

  test('add skips holidays and weekends, and answers a Date', () => {
    // Thursday 24 December 16:00: one hour that day, Christmas and the weekend closed.
    const end = calendar.add(est('2026-12-24T16:00'), 2 * H)
    assert.ok(end instanceof Date)
    assert.equal(end.toISOString(), '2026-12-28T15:00:00.000Z')
    assert.deepEqual(end, est('2026-12-28T10:00'))
  })

  test('instants may be Dates or epoch milliseconds', () => {
    const start = est('2026-12-24T16:00')
    assert.deepEqual(calendar.add(start.getTime(), 2 * H), calendar.add(start, 2 * H))
    assert.equal(calendar.isOpen(start.getTime()), true)
  })

  test('a budget used up at a close is that close', () => {
    assert.deepEqual(calendar.add(est('2026-12-22T09:00'), 8 * H), est('2026-12-22T17:00'))
    assert.deepEqual(calendar.subtract(est('2026-12-22T17:00'), 8 * H), est('2026-12-22T09:00'))
  })

  test('the offset of the input does not matter', () => {
    const tokyo = at('2026-12-23T06:00:00+09:00') // 22 December 16:00 in New York
    const utc = at('2026-12-22T21:00:00Z')
    for (const start of [tokyo, utc, est('2026-12-22T16:00')]) {
      assert.deepEqual(calendar.add(start, 2 * H), est('2026-12-23T10:00'))
    }
  })

  test('zero and negative durations', () => {
    const saturday = est('2026-12-26T12:00')
    assert.deepEqual(calendar.add(saturday, 0), saturday)
    assert.deepEqual(calendar.subtract(saturday, 0), saturday)
    assert.deepEqual(calendar.add(est('2026-12-28T10:00'), -2 * H), calendar.subtract(est('2026-12-28T10:00'), 2 * H))
    assert.deepEqual(calendar.subtract(est('2026-12-24T16:00'), -2 * H), est('2026-12-28T10:00'))
  })

  test('elapsed is signed milliseconds', () => {
    const a = est('2026-12-24T16:00:00.250')
    const b = est('2026-12-28T10:00')
    assert.equal(calendar.elapsed(a, b), 2 * H - 250)
    assert.equal(calendar.elapsed(b, a), -(2 * H - 250))
    assert.equal(calendar.elapsed(a, a), 0)
  })

  test('fractions of a millisecond are read to the nanosecond; answers are truncated to the millisecond', () => {
    const start = est('2026-12-24T16:00').getTime() + 0.25
    assert.equal(calendar.elapsed(start, est('2026-12-24T16:00:00.001')), 0.75)
    // 16:00:00.000250 + 1 ms = 16:00:00.001250, truncated to 16:00:00.001.
    assert.deepEqual(calendar.add(start, 1), est('2026-12-24T16:00:00.001'))
    assert.deepEqual(calendar.add(est('2026-12-24T16:00'), 0.5), est('2026-12-24T16:00'))
  })

  test('isOpen, nextOpen, previousClose', () => {
    assert.equal(calendar.isOpen(est('2026-12-23T09:00')), true)
    assert.equal(calendar.isOpen(est('2026-12-23T17:00')), false)
    assert.equal(calendar.isOpen(est('2026-12-25T12:00')), false) // a holiday
    assert.deepEqual(calendar.nextOpen(est('2026-12-24T18:00')), est('2026-12-28T09:00'))
    assert.deepEqual(calendar.nextOpen(est('2026-12-23T12:00')), est('2026-12-23T12:00'))
    assert.deepEqual(calendar.previousClose(est('2026-12-27T12:00')), est('2026-12-24T17:00'))
    assert.deepEqual(calendar.previousClose(est('2026-12-23T17:00')), est('2026-12-23T17:00'))
    assert.deepEqual(calendar.previousClose(est('2026-12-23T12:00')), est('2026-12-23T12:00'))
  })

  test('the repeated hour at the end of DST counts twice', () => {
    const always = new BusinessCalendar({
      timezone: 'America/New_York',
      hours: Object.fromEntries(ALL_WEEK.map((day) => [day, [['00:00', '24:00']]])),
    })
    const first = at('2026-11-01T01:30:00-04:00')
    const second = at('2026-11-01T01:30:00-05:00')
    assert.equal(always.elapsed(first, second), H)
    assert.deepEqual(always.add(first, H), second)
  })

  test('breaks and overrides apply', () => {
    const withOverrides = new BusinessCalendar(JSON_FORM)
    // Christmas Eve is a Thursday, which has no weekly hours; its override opens 09:00-13:00.
    assert.equal(withOverrides.isOpen(est('2026-12-24T12:00')), true)
    assert.equal(withOverrides.isOpen(est('2026-12-24T13:00')), false)
    // Monday's lunch gap is closed.
    assert.equal(withOverrides.isOpen(est('2026-11-30T12:30')), false)
    const withBreak = new BusinessCalendar({
      timezone: 'America/New_York',
      hours: { tue: [['09:00', '17:00']] },
      breaks: [{ date: '2026-11-24', from: '10:00', to: '11:00' }],
    })
    assert.equal(withBreak.isOpen(est('2026-11-24T10:30')), false)
    assert.equal(withBreak.isOpen(est('2026-12-01T10:30')), true)
    assert.equal(withBreak.elapsed(est('2026-11-24T00:00'), est('2026-11-25T00:00')), 7 * H)
  })

  const CALLS = [
    ['add', 'start', (c, t) => c.add(t, H)],
    ['subtract', 'end', (c, t) => c.subtract(t, H)],
    ['elapsed', 'a', (c, t) => c.elapsed(t, est('2026-12-01T00:00'))],
    ['elapsed', 'b', (c, t) => c.elapsed(est('2026-12-01T00:00'), t)],
    ['isOpen', 't', (c, t) => c.isOpen(t)],
    ['nextOpen', 't', (c, t) => c.nextOpen(t)],
    ['previousClose', 't', (c, t) => c.previousClose(t)],
  ]

  for (const [name, field, call] of CALLS) {
    test(`${name}: an Invalid Date or NaN is INVALID_INPUT naming ${field}`, () => {
      for (const bad of [new Date(Number.NaN), Number.NaN]) {
        throwsCode(() => call(calendar, bad), 'INVALID_INPUT', { field, value: 'Invalid Date' })
      }
    })

    test(`${name}: a value that is not a Date or a number is a TypeError naming ${field}`, () => {
      for (const [bad, type] of [
        ['2026-12-01T09:00:00Z', 'string'],
        [null, 'null'],
        [undefined, 'undefined'],
        [{}, 'object'],
        [[1], 'Array'],
      ]) {
        const err = throwsCode(() => call(calendar, bad), 'INVALID_INPUT', { field, value: type }, TypeError)
        assert.match(err.message, /must be a Date or a number of epoch milliseconds/)
      }
    })
  }

  test('the duration must be a finite number of milliseconds', () => {
    const start = est('2026-12-01T09:00')
    throwsCode(() => calendar.add(start, '3600000'), 'INVALID_INPUT', { field: 'ms', value: 'string' }, TypeError)
    throwsCode(() => calendar.subtract(start), 'INVALID_INPUT', { field: 'ms', value: 'undefined' }, TypeError)
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1e300]) {
      const err = throwsCode(() => calendar.add(start, bad), 'INVALID_INPUT', { field: 'ms' })
      assert.ok(!(err instanceof TypeError))
    }
  })

  test('answers outside the supported range are OUT_OF_RANGE', () => {
    const err = throwsCode(() => calendar.add(est('2200-12-31T16:00'), 3650 * 24 * H), 'OUT_OF_RANGE')
    assert.match(err.message, /^out of range: /)
    throwsCode(() => calendar.nextOpen(at('2300-01-01T00:00:00Z')), 'OUT_OF_RANGE')
    throwsCode(() => calendar.previousClose(at('1800-01-01T00:00:00Z')), 'OUT_OF_RANGE')
    // Outside the range the calendar is closed, which needs no answer instant.
    assert.equal(calendar.isOpen(at('2300-01-02T12:00:00Z')), false)
    assert.equal(calendar.elapsed(at('2300-01-01T00:00:00Z'), at('2301-01-01T00:00:00Z')), 0)
  })

  test('the last Date JavaScript has lies beyond the dates Rust reads: INVALID_INPUT', () => {
    throwsCode(() => calendar.isOpen(new Date(8.64e15)), 'INVALID_INPUT', { field: 't', reason: /range of dates/ })
  })
})

describe('batches', () => {
  const calendar = newYorkCalendar()
  const first = est('2026-01-01T00:00').getTime()
  const starts = (n) => Array.from({ length: n }, (_, i) => new Date(first + 97 * 60_000 * i))

  test('addMany on an array matches add and answers Dates', () => {
    const items = starts(500)
    const ends = calendar.addMany(items, 8 * H)
    assert.ok(Array.isArray(ends))
    assert.equal(ends.length, 500)
    assert.ok(ends.every((end) => end instanceof Date))
    assert.deepEqual(
      ends,
      items.map((s) => calendar.add(s, 8 * H)),
    )
    assert.deepEqual(calendar.addMany([], H), [])
  })

  test('addMany takes numbers and Dates mixed; NaN and Invalid Dates give Invalid Dates', () => {
    const [a, b] = starts(2)
    const ends = calendar.addMany([a, b.getTime(), Number.NaN, new Date(Number.NaN)], H)
    assert.deepEqual(ends.slice(0, 2), [calendar.add(a, H), calendar.add(b, H)])
    assert.ok(Number.isNaN(ends[2].getTime()) && Number.isNaN(ends[3].getTime()))
  })

  test('addMany on a Float64Array answers a Float64Array of epoch milliseconds; NaN stays NaN', () => {
    const items = starts(400)
    const buffer = new Float64Array(items.map((d) => d.getTime()))
    buffer[7] = Number.NaN
    const before = Float64Array.from(buffer)
    const ends = calendar.addMany(buffer, 8 * H)
    assert.ok(ends instanceof Float64Array)
    assert.notEqual(ends, buffer)
    assert.equal(ends.length, 400)
    assert.deepEqual(buffer, before, 'the input is left alone')
    for (let i = 0; i < items.length; i++) {
      if (i === 7) {
        assert.ok(Number.isNaN(ends[i]))
      } else {
        assert.equal(ends[i], calendar.add(items[i], 8 * H).getTime())
      }
    }
    assert.deepEqual(calendar.addMany(new Float64Array(0), H), new Float64Array(0))
  })

  test('a Float64Array view into a larger buffer reads only its own items', () => {
    const items = starts(20).map((d) => d.getTime())
    const whole = new Float64Array(items)
    const view = whole.subarray(5, 15)
    assert.deepEqual(calendar.addMany(view, H), calendar.addMany(new Float64Array(items.slice(5, 15)), H))
  })

  test('elapsedMany on arrays answers numbers; on Float64Arrays a Float64Array', () => {
    const a = starts(300)
    const b = a.map((s, i) => new Date(s.getTime() + 7 * H * i))
    const spans = calendar.elapsedMany(a, b)
    assert.ok(Array.isArray(spans))
    assert.deepEqual(
      spans,
      a.map((s, i) => calendar.elapsed(s, b[i])),
    )
    const fa = new Float64Array(a.map((d) => d.getTime()))
    const fb = new Float64Array(b.map((d) => d.getTime()))
    fb[3] = Number.NaN
    fa[4] = Number.NaN
    const buffered = calendar.elapsedMany(fa, fb)
    assert.ok(buffered instanceof Float64Array)
    assert.ok(Number.isNaN(buffered[3]) && Number.isNaN(buffered[4]))
    assert.equal(buffered[5], spans[5])
    assert.deepEqual(calendar.elapsedMany([a[0], Number.NaN], [Number.NaN, b[1]]), [Number.NaN, Number.NaN])
  })

  test('elapsedMany wants two batches of one kind and one length', () => {
    const a = starts(3)
    const err = throwsCode(() => calendar.elapsedMany(a, a.slice(0, 2)), 'INVALID_INPUT', { field: 'ends' })
    assert.match(err.message, /as many items as starts/)
    const fa = new Float64Array(a.map((d) => d.getTime()))
    throwsCode(() => calendar.elapsedMany(fa, a), 'INVALID_INPUT', { field: 'ends', message: /a mix/ })
    throwsCode(() => calendar.elapsedMany(fa, fa.subarray(1)), 'INVALID_INPUT', { field: 'ends' })
  })

  test('batch errors name the index', () => {
    const items = starts(5)
    items[3] = '2026-01-05T09:00:00Z'
    throwsCode(() => calendar.addMany(items, H), 'INVALID_INPUT', { field: 'starts[3]', value: 'string' }, TypeError)
    throwsCode(() => calendar.elapsedMany(starts(2), [1, null]), 'INVALID_INPUT', { field: 'ends[1]' }, TypeError)
    // A hole in a sparse array is no instant either.
    throwsCode(() => calendar.addMany([1, , 3], H), 'INVALID_INPUT', { field: 'starts[1]' }, TypeError) // eslint-disable-line no-sparse-arrays
    const infinite = new Float64Array([first, first, Number.POSITIVE_INFINITY])
    throwsCode(() => calendar.addMany(infinite, H), 'INVALID_INPUT', { field: 'starts[2]' })
    const far = [est('2026-01-05T09:00'), est('2200-12-31T16:00')]
    const err = throwsCode(() => calendar.addMany(far, 3650 * 24 * H), 'OUT_OF_RANGE')
    assert.match(err.message, /^starts\[1\]: out of range: /)
  })

  test('a batch must be a Float64Array or an array', () => {
    for (const [bad, type] of [
      [12, 'number'],
      [new Int32Array(2), 'typed array'],
      [new Float32Array(2), 'typed array'],
      [new Set([1]), 'object'],
    ]) {
      throwsCode(() => calendar.addMany(bad, H), 'INVALID_INPUT', { field: 'starts', value: type }, TypeError)
    }
    throwsCode(() => calendar.addMany([1], 'soon'), 'INVALID_INPUT', { field: 'ms' }, TypeError)
  })
})
