// Type-checks the generated index.d.ts against code that uses the API the way the README
// shows (`tsc --noEmit -p __test__/tsconfig.json`); never run. Each `@ts-expect-error` line
// must stay an error, so a type that grows too loose fails the check.

import {
  BusinessCalendar,
  Engine,
  ManualClock,
  MemoryDirectory,
  MemoryNotifier,
  MemoryPager,
  MemoryProfiles,
  MemoryStore,
  PermanentFailure,
  Policy,
  PostgresStore,
  SqliteStore,
  WeeklyReport,
  type Agent,
  type AgentDirectory,
  type ArtReport,
  type CalendarSpec,
  type CleanupReport,
  type CustomerProfile,
  type DispatchReport,
  type Effect,
  type EscalationTask,
  type Explanation,
  type LogEntry,
  type Notification,
  type Notifier,
  type Page,
  type Pager,
  type PolicyProblem,
  type Priority,
  type ProfileSource,
  type SlaClock,
  type Status,
  type SweepReport,
  type Team,
  type Ticket,
  type TicketEvent,
} from '../lib.js'

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

// The engine, on its in-memory adapters and on ports written in TypeScript.
const profiles = new MemoryProfiles()
const carla: CustomerProfile = { customer: 'c-1', tier: 'vip', customerSince: Date.UTC(2019, 4, 1), contact: { name: 'Carla' } }
profiles.add(carla)
profiles.add({ customer: 'c-2', tier: 'free', customerSince: '2020-01-01T00:00:00Z', contact: { name: 'D', email: 'd@x' } }, 'acme')
const directory = new MemoryDirectory()
const alice: Agent = { id: 'alice', name: 'Alice', tier: 'tier1', team: 'a', skills: ['billing'] }
directory.addAgent(alice)
const team: Team = { id: 'a', name: 'A', manager: { name: 'Mona', email: 'mona@x' } }
directory.addTeam(team, 'acme')
directory.setAvailable('alice', false)
const clock = new ManualClock(new Date())
clock.advance(60_000)
clock.set(Date.now())
const memoryNotifier = new MemoryNotifier()
const memoryPager = new MemoryPager()
const engine = new Engine({
  policy, store: new MemoryStore(), profiles, directory, notifier: memoryNotifier, pager: memoryPager, clock,
  engineId: 'engine-1',
})

class Crm implements ProfileSource {
  async getProfile(customerId: string, tenant: string): Promise<CustomerProfile | null> {
    return tenant === 'default' ? { ...carla, customer: customerId } : null
  }
}
class Mailer implements Notifier {
  readonly sent: Notification[] = []
  send(notification: Notification): void {
    if (notification.to.email === undefined) throw new PermanentFailure('no address')
    this.sent.push(notification)
  }
}
class Oncall implements Pager {
  async trigger(page: Page): Promise<void> {
    void page.dedupKey
  }
  resolve(dedupKey: string): void {
    void dedupKey
  }
}
const staff: AgentDirectory = { agents: () => [alice] }
const ported = new Engine({ profiles: new Crm(), notifier: new Mailer(), pager: new Oncall(), directory: staff })
void ported

async function workflow(): Promise<void> {
  const sqlite = new Engine({ store: new SqliteStore(':memory:') })
  const postgres = new Engine({ store: await PostgresStore.connect('postgres://localhost/x', { schema: 'js', poolSize: 4 }) })
  void [sqlite, postgres]
  const priority: Priority = 'critical'
  let t: Ticket = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 'Invoice', priority, receivedAt: new Date() })
  t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', channel: 'chat', impact: 'outage', tenant: 'acme', draft: true, intakeKey: 'k' })
  const status: Status = t.status
  const deadline: Date | null = t.sla[0]?.deadline ?? null
  const slaClock: SlaClock | undefined = t.sla[0]
  const since: Date | number | string | undefined = t.profile?.customerSince
  const event: TicketEvent = { type: 'status_changed', to: 'pending_customer', by: 'ann' }
  t = await engine.record(t, event)
  t = await engine.record(t.id, { type: 'customer_replied' })
  t = await engine.record({ id: t.id, tenant: 'acme' }, { type: 'agent_replied', agent: 'alice' })
  t = await engine.acknowledge(t, { page: t.pages[0]?.key ?? '', by: 'oncall' })
  t = await engine.resolve(t, { summary: 'done', rootCause: 'other', by: 'ann' })
  t = await engine.recalculate(t)
  t = await engine.ticket(t)
  const log: LogEntry[] = await engine.log(t)
  const effects: Effect[] = await engine.effects(t)
  const why: Explanation = await engine.explain(t)
  const swept: SweepReport = await engine.sweep()
  const dispatched: DispatchReport = await engine.dispatch()
  const tasks: EscalationTask[] = await engine.tasks({ tenant: 'acme', ticket: t.id })
  const task: EscalationTask = await engine.assignTask(tasks[0]?.id ?? '', null, 'acme')
  await engine.closeTask(task.id)
  const range: Array<{ ticket: number; entry: LogEntry }> = await engine.logRange(new Date(), Date.now())
  const art: ArtReport = await engine.metrics(0, Date.now(), 'acme')
  const week: WeeklyReport = await engine.weeklyReport(2026, 49, { timezone: 'America/New_York', top: 5, ticketUrl: 'https://x/{id}' })
  const text: string = week.toMarkdown() + week.toHtml() + week.toJson()
  const doc: Record<string, unknown> = week.toJSON()
  const cleaned: CleanupReport = await engine.cleanup({ dryRun: true })
  const archived: number[] = cleaned.archived
  const run: Promise<void> = engine.run()
  engine.stop()
  await run
  await engine.close()
  const calls = memoryPager.calls()
  for (const call of calls) {
    if (call.type === 'trigger') void call.page.dedupKey
    else void call.dedupKey
  }
  const delivered: Notification[] = memoryNotifier.delivered()
  const size: number = new MemoryStore().size
  const now: Date = engine.now()
  const support: BusinessCalendar | null = engine.calendar('support')
  const inForce: Policy = engine.policy
  void [status, deadline, slaClock, since, log, effects, why.text, swept, dispatched, range, art, text, doc, archived, delivered, size, now, support, inForce]
  // @ts-expect-error: statuses are the core's names
  await engine.record(t, { type: 'status_changed', to: 'pending', by: 'ann' })
  // @ts-expect-error: createTicket needs a subject
  await engine.createTicket({ customer: 'c-1', category: 'billing' })
  // @ts-expect-error: channels are the core's names
  await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', channel: 'fax' })
}
void workflow

const failure = new PermanentFailure('gone')
const permanent: true = failure.permanent
void permanent
// @ts-expect-error: a Notifier needs send()
new Engine({ notifier: {} })

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
