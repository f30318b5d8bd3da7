// Type-checks the generated index.d.ts against code that uses the API the way the README
// shows (`tsc --noEmit -p __test__/tsconfig.json`); never run. Each `@ts-expect-error` line
// must stay an error, so a type that grows too loose fails the check.

import { BusinessCalendar, Policy, type CalendarSpec, type PolicyProblem } from '../index.js'

const spec: CalendarSpec = {
  timezone: 'America/New_York',
  hours: { mon: [['09:00', '17:00']], tue: [['09:00', '12:00'], ['13:00', '17:00']] },
  holidays: ['2026-12-25'],
  overrides: { '2026-12-24': [['09:00', '13:00']] },
  breaks: [{ date: '2026-11-27', from: '10:00', to: '11:00' }],
}
const calendar = new BusinessCalendar(spec)
const copy: BusinessCalendar = BusinessCalendar.fromJson(JSON.stringify(calendar))
const form: CalendarSpec = copy.toJSON()
const zone: string = calendar.timezone

const start = new Date('2026-12-24T16:00:00-05:00')
const deadline: Date = calendar.add(start, 2 * 3_600_000)
const earlier: Date = calendar.subtract(deadline.getTime(), 1_000)
const spent: number = calendar.elapsed(start, deadline)
const open: boolean = calendar.isOpen(Date.now())
const next: Date = calendar.nextOpen(start)
const close: Date = calendar.previousClose(start)

const ends: Date[] = calendar.addMany([start, start.getTime()], 60_000)
const endsMs: Float64Array = calendar.addMany(new Float64Array([start.getTime(), Number.NaN]), 60_000)
const spans: number[] = calendar.elapsedMany([start], [deadline])
const spansMs: Float64Array = calendar.elapsedMany(new Float64Array([0]), new Float64Array([1]))

const policy = Policy.fromToml('version = "1"')
const others: Policy[] = [Policy.fromJson('{}'), Policy.fromObject(policy.toJSON()), Policy.fromPath('policy.toml'), new Policy()]
const version: string = policy.version
const names: string[] = policy.calendarNames
const support: BusinessCalendar = policy.calendar('always')

try {
  Policy.fromToml('[scoring.weights]\ntier = 1.7\n')
} catch (err) {
  if (err instanceof Error && 'problems' in err) {
    const problems = err.problems as PolicyProblem[]
    const paths: string[] = problems.map((p) => p.path)
    void paths
  }
}

// @ts-expect-error: weekdays are mon ... sun
new BusinessCalendar({ timezone: 'Etc/UTC', hours: { monday: [['09:00', '17:00']] } })
// @ts-expect-error: a window is a pair of times
new BusinessCalendar({ timezone: 'Etc/UTC', hours: { mon: [['09:00']] } })
// @ts-expect-error: instants are Dates or epoch milliseconds, not strings
calendar.add('2026-12-24T16:00:00Z', 1)
// @ts-expect-error: an array in gives Dates out, not a Float64Array
const wrong: Float64Array = calendar.addMany([start], 1)
// @ts-expect-error: timezone is read-only
calendar.timezone = 'Etc/UTC'
// @ts-expect-error: version is read-only
policy.version = '2'

void [copy, form, zone, earlier, spent, open, next, close, ends, endsMs, spans, spansMs, others, version, names, support, wrong]
