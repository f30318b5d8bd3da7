// Business-calendar benchmark from Node.js: what a call costs over the Rust call, what the
// batch forms sustain, and the same inputs through the npm peer moment-business-time.
//
// The schedule and the inputs are those of the Rust bench (benches/calendar.rs) and the Python
// bench (bindings-python/bench/bench_calendar.py): Mon-Fri 09:00-17:00 America/New_York with 10
// US-federal-like holidays a year, 100,000 starts in 2024-2028 drawn with the same seeded
// splitmix64 generator (one in eight on a holiday, one in eight on a DST weekend, one in eight
// after hours, the rest uniform), each with an end up to 30 days later. Our year tables are
// warmed before measuring, as in the Rust bench.
//
// Figures:
// - `add` per call from JavaScript, with Date and with epoch-millisecond arguments, against the
//   Rust call timed in a Rust loop over the same instants (`_timeRustAdd`); the difference is
//   the binding's overhead (argument conversion, the napi call, building the answer Date, and
//   the JavaScript loop itself);
// - `elapsed` per call;
// - `addMany` and `elapsedMany` throughput on Float64Arrays (1,000,000 elements) and on an
//   array of Dates;
// - the same operations through moment-business-time (`addWorkingTime`, `workingDiff`), which
//   works in the process's local time zone (so this script sets TZ=America/New_York), on the
//   first inputs; its answers are compared with ours. workclock, the peer of the Rust and
//   Python benches, has no npm package.
//
// Run: `make node-bench` (release build), or `node bench/bench_calendar.mjs [--quick]
// [--json PATH]` in bindings-node/ after `npm run build`. Timings take the best of several
// repeats.

import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { parseArgs } from 'node:util'

// moment-business-time computes in local time; Node rereads TZ when it is assigned.
process.env.TZ = 'America/New_York'

const require = createRequire(import.meta.url)
const escalation = require('../index.js')
const { BusinessCalendar } = escalation

const SEED = 0x5eedca1e11da2026n
const MASK = (1n << 64n) - 1n
const HOUR = 3_600_000
const DAY = 24 * HOUR
const EIGHT_HOURS = 8 * HOUR
const [MON, THU, SUN] = [0, 3, 6]

/** The Rust bench's generator, bit for bit. */
class SplitMix64 {
  constructor(seed) {
    this.state = seed
  }

  next() {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK
    let z = this.state
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK
    return z ^ (z >> 31n)
  }

  below(n) {
    return Number(this.next() % BigInt(n))
  }
}

/** A date as UTC midnight epoch milliseconds; weekday 0 is Monday, as in Python. */
const dayMs = (y, m, d) => Date.UTC(y, m - 1, d)
const weekday = (ms) => (new Date(ms).getUTCDay() + 6) % 7
const iso = (ms) => new Date(ms).toISOString().slice(0, 10)

function nthWeekday(year, month, wd, n) {
  const first = dayMs(year, month, 1)
  return first + (((wd - weekday(first) + 7) % 7) + 7 * (n - 1)) * DAY
}

function lastMondayOfMay(year) {
  const d = dayMs(year, 5, 31)
  return d - ((weekday(d) - MON + 7) % 7) * DAY
}

function holidays(from, to) {
  const out = []
  for (let y = from; y < to; y++) {
    out.push(
      dayMs(y, 1, 1),
      nthWeekday(y, 1, MON, 3),
      nthWeekday(y, 2, MON, 3),
      lastMondayOfMay(y),
      dayMs(y, 6, 19),
      dayMs(y, 7, 4),
      nthWeekday(y, 9, MON, 1),
      dayMs(y, 11, 11),
      nthWeekday(y, 11, THU, 4),
      dayMs(y, 12, 25),
    )
  }
  return out
}

/** The Rust bench's starts and ends (epoch milliseconds), in the same order. */
function inputs(daysOff, n) {
  const rng = new SplitMix64(SEED)
  const first = Date.UTC(2024, 0, 1)
  const spanSecs = 5 * 365 * 86_400
  const inRange = daysOff.filter((d) => {
    const y = new Date(d).getUTCFullYear()
    return y >= 2024 && y <= 2028
  })
  const localMidnightUtc = (d) => d + 5 * HOUR
  const starts = new Float64Array(n)
  const ends = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const kind = rng.below(8)
    let start
    if (kind === 0) {
      const d = inRange[rng.below(inRange.length)]
      start = localMidnightUtc(d) + (rng.below(86_400) - 3600) * 1000
    } else if (kind === 1) {
      const year = 2024 + rng.below(5)
      const change = rng.below(2) === 0 ? nthWeekday(year, 3, SUN, 2) : nthWeekday(year, 11, SUN, 1)
      start = localMidnightUtc(change) - 2 * DAY + rng.below(4 * 86_400) * 1000
    } else if (kind === 2) {
      const t = first + rng.below(5 * 365) * DAY
      start = t + 22 * HOUR + rng.below(6 * 3600) * 1000
    } else {
      start = first + rng.below(spanSecs) * 1000
    }
    starts[i] = start
    ends[i] = start + rng.below(30 * 86_400) * 1000
  }
  return { starts, ends }
}

/** The best wall time of `repeats` runs of `run`, in seconds. */
function best(repeats, run) {
  let min = Number.POSITIVE_INFINITY
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint()
    run()
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e9)
  }
  return min
}

const perCallNs = (seconds, calls) => (seconds / calls) * 1e9
const ns = (x) => (x >= 100 ? `${Math.round(x).toLocaleString('en-US')} ns` : `${x.toFixed(1)} ns`)
const rate = (ops, seconds) => `${(ops / seconds / 1e6).toFixed(2)} M ops/s`

const figures = {}
const notes = []
function row(what, value, note = '') {
  console.log(`  ${what.padEnd(58)} ${value.padStart(16)}  ${note}`)
}

function measureOurs(cal, starts, ends, repeats) {
  const n = starts.length
  const dates = Array.from(starts, (t) => new Date(t))
  const endDates = Array.from(ends, (t) => new Date(t))

  let rustNs = Number.POSITIVE_INFINITY
  for (let i = 0; i < repeats; i++) {
    rustNs = Math.min(rustNs, escalation._timeRustAdd(cal, starts, EIGHT_HOURS, 3))
  }
  figures.rust_add_ns = rustNs
  row('add(start, 8h): the Rust call (Rust loop)', ns(rustNs))

  const jsDates = perCallNs(
    best(repeats, () => {
      for (let i = 0; i < n; i++) cal.add(dates[i], EIGHT_HOURS)
    }),
    n,
  )
  const jsNumbers = perCallNs(
    best(repeats, () => {
      for (let i = 0; i < n; i++) cal.add(starts[i], EIGHT_HOURS)
    }),
    n,
  )
  figures.js_add_date_ns = jsDates
  figures.js_add_number_ns = jsNumbers
  row('add(start, 8h) from JavaScript, Date arguments', ns(jsDates), `overhead ${ns(jsDates - rustNs)}`)
  row('add(start, 8h) from JavaScript, epoch-ms arguments', ns(jsNumbers), `overhead ${ns(jsNumbers - rustNs)}`)

  let sink = 0
  const loopNs = perCallNs(
    best(repeats, () => {
      for (let i = 0; i < n; i++) sink += dates[i] === null ? 1 : 0
    }),
    n,
  )
  figures.js_empty_loop_ns = loopNs
  row('  (of which the bare JavaScript for-loop)', ns(loopNs))

  const jsElapsed = perCallNs(
    best(repeats, () => {
      for (let i = 0; i < n; i++) sink += cal.elapsed(dates[i], endDates[i])
    }),
    n,
  )
  figures.js_elapsed_ns = jsElapsed
  row('elapsed(start, end <= 30 d) from JavaScript', ns(jsElapsed))

  const list = best(repeats, () => cal.addMany(dates, EIGHT_HOURS))
  figures.add_many_array_ops_s = n / list
  row(`addMany(array of ${n.toLocaleString('en-US')} Dates)`, rate(n, list))

  const big = 1_000_000
  const bigStarts = new Float64Array(big)
  const bigEnds = new Float64Array(big)
  for (let i = 0; i < big; i++) {
    bigStarts[i] = starts[i % n]
    bigEnds[i] = ends[i % n]
  }
  const check = cal.addMany(bigStarts.subarray(0, 1000), EIGHT_HOURS)
  for (let i = 0; i < 1000; i++) {
    if (check[i] !== cal.add(dates[i], EIGHT_HOURS).getTime()) throw new Error('addMany disagrees with add')
  }
  const buffered = best(repeats, () => cal.addMany(bigStarts, EIGHT_HOURS))
  figures.add_many_float64_ops_s = big / buffered
  row(`addMany(Float64Array of ${big.toLocaleString('en-US')})`, rate(big, buffered))
  const spans = best(repeats, () => cal.elapsedMany(bigStarts, bigEnds))
  figures.elapsed_many_float64_ops_s = big / spans
  row(`elapsedMany(two Float64Arrays of ${big.toLocaleString('en-US')})`, rate(big, spans))
  return sink
}

function measureMomentBusinessTime(cal, daysOff, starts, ends, count, repeats) {
  let moment
  try {
    moment = require('moment-business-time')
  } catch {
    notes.push('moment-business-time is not installed: skipped (npm ci in bindings-node)')
    console.log('  moment-business-time is not installed: skipped')
    return
  }
  const version = require('moment-business-time/package.json').version
  moment.updateLocale('en', {
    workinghours: {
      0: null,
      1: ['09:00:00', '17:00:00'],
      2: ['09:00:00', '17:00:00'],
      3: ['09:00:00', '17:00:00'],
      4: ['09:00:00', '17:00:00'],
      5: ['09:00:00', '17:00:00'],
      6: null,
    },
    holidays: daysOff.map(iso),
  })
  const subset = starts.subarray(0, count)
  const subEnds = ends.subarray(0, count)
  const ours = cal.addMany(subset, EIGHT_HOURS)
  const oursSpans = cal.elapsedMany(subset, subEnds)
  const theirs = new Float64Array(count)
  const theirSpans = new Float64Array(count)
  const addSeconds = best(repeats, () => {
    for (let i = 0; i < count; i++) theirs[i] = moment(subset[i]).addWorkingTime(8, 'hours').valueOf()
  })
  const diffSeconds = best(repeats, () => {
    for (let i = 0; i < count; i++) theirSpans[i] = moment(subEnds[i]).workingDiff(moment(subset[i]), 'milliseconds')
  })
  let agreeAdd = 0
  let agreeSpan = 0
  for (let i = 0; i < count; i++) {
    if (theirs[i] === ours[i]) agreeAdd++
    if (theirSpans[i] === oursSpans[i]) agreeSpan++
  }
  const perAdd = perCallNs(addSeconds, count)
  const perDiff = perCallNs(diffSeconds, count)
  figures.moment_business_time = {
    version,
    inputs: count,
    add_agree: agreeAdd,
    elapsed_agree: agreeSpan,
    add_ns: perAdd,
    working_diff_ns: perDiff,
  }
  const c = count.toLocaleString('en-US')
  row(
    `moment-business-time ${version}: answers agreeing (first ${c})`,
    `add ${agreeAdd.toLocaleString('en-US')}/${c}`,
    `elapsed ${agreeSpan.toLocaleString('en-US')}/${c}`,
  )
  row('moment-business-time addWorkingTime(8, "hours")', ns(perAdd), `theirs/ours ${(perAdd / figures.js_add_number_ns).toFixed(0)}`)
  row('moment-business-time workingDiff(start, "milliseconds")', ns(perDiff), `theirs/ours ${(perDiff / figures.js_elapsed_ns).toFixed(0)}`)
}

function main() {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } },
  })
  const n = values.quick ? 10_000 : 100_000
  const repeats = values.quick ? 2 : 5
  const peerCount = values.quick ? 1_000 : 5_000

  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ')
  console.log(
    `escalation (${escalation._BUILD_PROFILE} build), Node ${process.version}, ${process.arch}, ` +
      `${os.cpus().length} CPUs, load average ${load()}`,
  )
  if (escalation._BUILD_PROFILE !== 'release') {
    console.log('WARNING: a debug build; run `make node-bench` (napi build --release) for real figures')
  }

  const daysOff = holidays(2023, 2030)
  const cal = new BusinessCalendar({
    timezone: 'America/New_York',
    hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]])),
    holidays: daysOff.map(iso),
  })
  const { starts, ends } = inputs(daysOff, n)
  cal.addMany(starts, EIGHT_HOURS) // warm the year tables (2024-2029)
  cal.elapsedMany(starts, ends)

  Object.assign(figures, { inputs: n, build: escalation._BUILD_PROFILE, node: process.version, load_average: os.loadavg() })
  console.log(`\n${n.toLocaleString('en-US')} inputs, best of ${repeats}:`)
  measureOurs(cal, starts, ends, repeats)
  measureMomentBusinessTime(cal, daysOff, starts, ends, peerCount, Math.min(repeats, 3))
  notes.push('workclock (the peer of the Rust and Python benches) has no npm package: not measured')
  console.log(`\nload average after: ${load()}`)
  for (const note of notes) console.log(`note: ${note}`)
  if (values.json) writeFileSync(values.json, JSON.stringify(figures, null, 2))
}

main()
