// Shared test helpers: the package, a Mon-Fri 09:00-17:00 New York calendar with a holiday,
// and assertions on the package's errors.

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The package, as `require('escalation')` gives it (its main module, lib.js). */
export const escalation = require('..')
export const { BusinessCalendar, Policy } = escalation

export const H = 3_600_000
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri']

/** A `Date` from ISO 8601 text, which must carry its UTC offset (or `Z`). */
export function at(text) {
  assert.match(text, /(Z|[+-]\d\d:\d\d)$/, `${text} has no UTC offset`)
  return new Date(text)
}

/** New York wall-clock time in winter (EST, UTC-05:00), e.g. `est('2026-12-24T16:00')`. */
export function est(wall) {
  return at(`${wall}-05:00`)
}

/** The Mon-Fri 09:00-17:00 New York calendar, closed on 25 December 2026. */
export function newYorkCalendar() {
  return new BusinessCalendar({
    timezone: 'America/New_York',
    hours: Object.fromEntries(WEEKDAYS.map((day) => [day, [['09:00', '17:00']]])),
    holidays: ['2026-12-25'],
  })
}

/**
 * Asserts that `fn` throws an `Error` (of class `type`) with `code` and the given own fields,
 * and returns it.
 */
export function throwsCode(fn, code, fields = {}, type = Error) {
  let caught
  assert.throws(fn, (err) => {
    caught = err
    return true
  })
  assert.ok(caught instanceof type, `expected a ${type.name}, got ${caught?.constructor?.name}: ${caught}`)
  assert.ok(caught instanceof Error)
  assert.equal(caught.code, code, String(caught))
  assert.equal(caught.isRetryable, false)
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof RegExp) {
      assert.match(String(caught[key]), value, `${key} of ${caught}`)
    } else {
      assert.deepEqual(caught[key], value, `${key} of ${caught}`)
    }
  }
  return caught
}
