// Every engine capability on the memory, SQLite and PostgreSQL stores (the Node port of
// bindings-python/tests/test_engine.py): intake, events, the sweep and the ladder, dispatch,
// pages, tasks, the audit log, explanations, ART, the weekly report, cleanup, and the errors,
// each with its code.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import {
  DAY,
  Desk,
  Engine,
  HOUR,
  MINUTE,
  ManualClock,
  MemoryStore,
  Policy,
  START,
  STORES,
  clockOf,
  makeStore,
  plus,
  rejectsCode,
  utc,
  waitUntil,
} from './engine_support.mjs'
import { escalation } from './support.mjs'

for (const kind of STORES) {
  describe(`on the ${kind} store`, () => {
    test('a critical ticket breaches, escalates, pages and resolves', async (ctx) => {
      const desk = new Desk(await makeStore(kind, ctx))
      const engine = desk.engine(ctx)
      let t = await engine.createTicket({
        customer: 'c-1', category: 'billing', subject: 'Invoice is wrong', impact: 'bug',
        priority: 'critical',
      })
      assert.deepEqual([t.status, t.priority, t.supportTier], ['in_progress', 'critical', 'tier1'])
      assert.ok(['alice', 'bob'].includes(t.assignee))
      assert.equal(t.profile.tier, 'enterprise')
      assert.equal(t.profileState, 'known')
      assert.deepEqual(t.receivedAt, START)
      // Critical tickets run on the "always" calendar: 30 minutes to first response.
      assert.deepEqual(clockOf(t, 'first_response').deadline, utc('2026-11-30T15:30:00Z'))
      assert.deepEqual((await engine.ticket(t.id)).toJSON(), t.toJSON())

      desk.clock.set(utc('2026-11-30T15:30:00Z'))
      assert.ok((await engine.sweep()).claimed >= 1)
      t = await engine.ticket(t)
      assert.deepEqual(clockOf(t, 'first_response').breachedAt, utc('2026-11-30T15:30:00Z'))
      assert.deepEqual([t.supportTier, t.assignee], ['tier2', 'tara'])

      const [task, ...more] = await engine.tasks({ ticket: t.id })
      assert.equal(more.length, 0)
      assert.deepEqual([task.ticket, task.level, task.status], [t.id, 'breach', 'open'])

      const report = await engine.dispatch()
      assert.ok(report.claimed >= 3)
      assert.equal(report.delivered, report.claimed)
      const kinds = new Set(desk.notifier.delivered().map((n) => n.kind))
      assert.ok(kinds.has('manager_alert') && kinds.has('customer_notice'))
      const toManager = desk.notifier.delivered().find((n) => n.kind === 'manager_alert')
      assert.equal(toManager.to.email, 'mona@example.invalid')
      const [page, ...repeats] = desk.pager.triggered()
      assert.equal(repeats.length, 0)
      assert.deepEqual([page.ticket, page.severity, page.repeat], [t.id, 'critical', 0])
      assert.ok((await engine.effects(t)).every((e) => e.state === 'delivered'))

      const key = (await engine.ticket(t)).pages[0].key
      assert.ok(desk.pager.isOpen(key))
      t = await engine.acknowledge(t, { page: key, by: 'oncall-1' })
      assert.deepEqual(t.pages[0].acknowledged, { at: utc('2026-11-30T15:30:00Z'), by: 'oncall-1' })
      assert.equal(t.pages[0].isActive, false)

      const explained = await engine.explain(t)
      const first = explained.targets.find((x) => x.target === 'first_response')
      assert.deepEqual([first.state, first.budget], ['breached', '30m'])
      assert.equal(explained.priority, 'critical')
      assert.match(explained.text, /first_response/)

      assert.equal((await engine.assignTask(task.id, 'tara')).assignee, 'tara')
      assert.equal((await engine.assignTask(task.id, null)).assignee, null)
      const closed = await engine.closeTask(task.id)
      assert.deepEqual([closed.status, closed.closedAt], ['closed', utc('2026-11-30T15:30:00Z')])

      desk.clock.set(utc('2026-11-30T15:40:00Z'))
      t = await engine.record(t, { type: 'agent_replied', agent: 'tara' })
      assert.deepEqual(t.firstResponseAt, utc('2026-11-30T15:40:00Z'))
      t = await engine.record(t, { type: 'status_changed', to: 'pending_customer', by: 'tara' })
      assert.equal(t.status, 'pending_customer')
      t = await engine.record(t.id, { type: 'customer_replied' })
      assert.deepEqual([t.status, t.lastCustomerReplyAt], ['in_progress', utc('2026-11-30T15:40:00Z')])

      desk.clock.set(utc('2026-11-30T16:00:00Z'))
      t = await engine.resolve(t, { summary: 'Credit note issued', rootCause: 'product_defect', by: 'tara' })
      assert.equal(t.status, 'resolved')
      assert.equal(t.resolution.root_cause, 'product_defect')
      assert.deepEqual(desk.pager.resolved(), []) // pages are resolved on dispatch
      await engine.dispatch()
      assert.deepEqual(desk.pager.resolved(), [key])

      const log = await engine.log(t)
      const names = log.map((e) => e.event)
      for (const name of ['created', 'profile_fetched', 'assigned', 'sla_breached', 'level_fired',
        'task_created', 'page_acknowledged', 'resolved']) {
        assert.ok(names.includes(name), name)
      }
      assert.equal(names.filter((n) => n === 'sla_breached').length, 1)
      assert.deepEqual([log[0].actor, log[0].data.type], ['engine', 'created'])
      const entries = await engine.logRange(START, plus(START, DAY))
      assert.ok(entries.length > 0 && entries.every((e) => e.ticket === t.id))
      assert.deepEqual(entries.map((e) => e.entry), log)

      const art = await engine.metrics(START, START.getTime() + DAY)
      assert.equal(art.overall.all.count, 1)
      assert.equal(art.overall.escalated.count, 1)
      // Resolved one hour after it was received; critical runs on "always".
      assert.equal(art.overall.all.wall.mean, 3600)
      assert.deepEqual([art.from, art.to], [START, plus(START, DAY)])

      const week = await engine.weeklyReport(2026, 49, { timezone: 'America/New_York' })
      assert.ok(week instanceof escalation.WeeklyReport)
      assert.deepEqual([week.week, week.tenant, week.timezone], ['2026-W49', 'default', 'America/New_York'])
      assert.ok(week.totals.breaches >= 1)
      assert.equal(week.totals.created, 1)
      assert.deepEqual(JSON.parse(week.toJson()).week, { year: 2026, week: 49 })
      assert.match(week.toMarkdown(), /2026-W49/)
      assert.match(week.toHtml(), /<svg/)
      assert.deepEqual(week.toJSON().totals, week.totals)
      assert.equal(week.meanTimeToAck, 0) // acknowledged the second it was sent
      assert.deepEqual(JSON.parse(JSON.stringify(week)), JSON.parse(week.toJson()))
      assert.equal(week.art.overall.all.count, 1)
      assert.ok(week.from instanceof Date && week.generatedAt instanceof Date)
      for (const section of ['targets', 'topCategories', 'topSegments', 'patterns', 'onCall',
        'rootCauses', 'slowest', 'history']) {
        assert.ok(Array.isArray(week[section]), section)
      }

      const dry = await engine.cleanup({ dryRun: true })
      assert.equal(dry.dryRun, true)
      assert.deepEqual(dry.archived, []) // resolved today: nothing is 90 days old
      desk.clock.set(plus(START, 91 * DAY))
      assert.deepEqual((await engine.cleanup({ dryRun: true })).archived, [t.id])
      const done = await engine.cleanup()
      assert.deepEqual([done.dryRun, done.archived], [false, [t.id]])
      assert.deepEqual((await engine.ticket(t)).archivedAt, plus(START, 91 * DAY))
    })

    test('intake keys make creation idempotent, per tenant', async (ctx) => {
      const engine = new Desk(await makeStore(kind, ctx)).engine(ctx)
      const input = { customer: 'c-1', category: 'billing', subject: 's', intakeKey: 'm-1' }
      const a = await engine.createTicket(input)
      assert.deepEqual((await engine.createTicket(input)).toJSON(), a.toJSON())
      const other = await engine.createTicket({ ...input, tenant: 'acme' })
      assert.equal(other.tenant, 'acme')
      assert.notEqual(other.id, a.id)
      assert.deepEqual((await engine.ticket({ id: other.id, tenant: 'acme' })).toJSON(), other.toJSON())
      assert.deepEqual((await engine.ticket(other)).toJSON(), other.toJSON())
      await rejectsCode(engine.ticket(other.id), 'NOT_FOUND') // another tenant's id
    })

    test('drafts, recalculation and priority overrides', async (ctx) => {
      const engine = new Desk(await makeStore(kind, ctx)).engine(ctx)
      let d = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', draft: true })
      assert.deepEqual([d.status, d.sla], ['draft', []])
      d = await engine.record(d, { type: 'status_changed', to: 'new', by: 'host' })
      assert.deepEqual(new Set(d.sla.map((c) => c.target)), new Set(['first_response', 'resolution']))
      d = await engine.record(d, { type: 'priority_overridden', priority: 'critical', by: 'ann', reason: 'CEO' })
      assert.equal(d.priority, 'critical')
      assert.equal(d.priorityOverride.reason, 'CEO')
      d = await engine.record(d, { type: 'priority_override_cleared', by: 'ann' })
      assert.equal(d.priorityOverride, null)
      assert.equal((await engine.recalculate(d)).version, d.version + 1)
      const moved = await engine.record(d, { type: 'reassigned', agent: 'bob', by: 'ann' })
      assert.equal(moved.assignee, 'bob')
    })

    test('many calls in flight at once on one engine', async (ctx) => {
      const desk = new Desk(await makeStore(kind, ctx))
      const engine = desk.engine(ctx)
      const n = 80
      const created = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          engine.createTicket({
            customer: 'c-1', category: 'billing', subject: `#${i}`, intakeKey: `k-${i}`,
            priority: i % 10 === 0 ? 'critical' : undefined,
          })),
      )
      const ids = created.map((t) => t.id)
      assert.equal(new Set(ids).size, n)
      const replied = await Promise.all(
        created.map((t) => engine.record(t, { type: 'agent_replied', agent: t.assignee ?? 'bob' })),
      )
      assert.ok(replied.every((t) => t.firstResponseAt.getTime() === START.getTime()))
      const again = await Promise.all(ids.map((id) => engine.ticket(id)))
      assert.deepEqual(again.map((t) => t.subject), created.map((t) => t.subject))
      // Critical tickets breach their 8 h resolution clock once each.
      desk.clock.set(utc('2026-11-30T23:30:00Z'))
      while ((await engine.sweep()).claimed) { /* until nothing is due */ }
      while ((await engine.dispatch()).claimed) { /* until nothing is due */ }
      assert.equal(desk.pager.triggered().length, n / 10)
    })
  })
}

describe('errors', () => {
  test('rejections carry the core codes and fields', async (ctx) => {
    const engine = new Desk(new MemoryStore()).engine(ctx)
    await assert.rejects(engine.ticket(999), { code: 'NOT_FOUND' })
    const missing = await rejectsCode(engine.ticket(999), 'NOT_FOUND', { what: 'ticket', id: 'default/999' })
    assert.equal(missing.isRetryable, false)
    await rejectsCode(engine.createTicket({ customer: ' ', category: 'billing', subject: 's' }),
      'INVALID_INPUT', { field: 'customer', isRetryable: false })
    await rejectsCode(engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', channel: 'fax' }),
      'INVALID_INPUT', { field: 'channel', value: 'fax' })
    await rejectsCode(engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'urgent' }),
      'INVALID_INPUT', { field: 'priority' })
    await rejectsCode(engine.createTicket({ customer: 'c-1', category: 'billing' }),
      'INVALID_INPUT', { field: 'subject' }, TypeError)
    await rejectsCode(engine.createTicket({ customer: 'c-1', category: 'b', subject: 's', receivedAt: 'noon' }),
      'INVALID_INPUT', { field: 'receivedAt' }, TypeError)
    await rejectsCode(engine.createTicket({ customer: 'c-1', category: 'b', subject: 's', receivedAt: plus(START, 2 * DAY) }),
      'INVALID_INPUT', { field: 'received_at' })
    await rejectsCode(engine.createTicket('c-1'), 'INVALID_INPUT', { field: 'input' }, TypeError)
    const t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's' })
    await rejectsCode(engine.record(t, { type: 'status_changed', to: 'draft', by: 'host' }), 'INVALID_TRANSITION')
    await rejectsCode(engine.record(t, { type: 'teleported' }), 'INVALID_INPUT', { field: 'event' })
    await rejectsCode(engine.resolve(t, { summary: 'done', rootCause: 'not-in-taxonomy', by: 'ann' }),
      'INVALID_INPUT', { field: 'root_cause' })
    await rejectsCode(engine.acknowledge(t, { page: 'no-such-page', by: 'ann' }), 'NOT_FOUND', { what: 'page' })
    await rejectsCode(engine.ticket('1'), 'INVALID_INPUT', { field: 'ticket' }, TypeError)
    await rejectsCode(engine.ticket(-1), 'INVALID_INPUT', { field: 'ticket' })
    await rejectsCode(engine.ticket(1.5), 'INVALID_INPUT', { field: 'ticket' })
    await rejectsCode(engine.ticket({ tenant: 'acme' }), 'INVALID_INPUT', { field: 'ticket.id' }, TypeError)
    await rejectsCode(engine.weeklyReport(2026, 49, { timezone: 'Mars/Olympus' }), 'INVALID_INPUT', { field: 'timezone' })
    await rejectsCode(engine.weeklyReport(2026, 54), 'INVALID_INPUT', { field: 'week' })
    await rejectsCode(engine.closeTask('no-such-task'), 'NOT_FOUND', { what: 'task' })
    await rejectsCode(engine.logRange('yesterday', START), 'INVALID_INPUT', { field: 'start' }, TypeError)
    await rejectsCode(engine.tasks({ tenant: 7 }), 'INVALID_INPUT', { field: 'tenant' }, TypeError)
  })

  test('a rejection is an ordinary Error with a stack and JSON-able fields', async (ctx) => {
    const engine = new Desk(new MemoryStore()).engine(ctx)
    const err = await rejectsCode(engine.ticket(42), 'NOT_FOUND')
    assert.equal(err.name, 'Error')
    assert.match(err.message, /ticket not found: default\/42/)
    assert.deepEqual(Object.keys(err).sort(), ['code', 'id', 'isRetryable', 'what'])
  })

  test('an argument error rejects; it is never thrown', (ctx) => {
    const engine = new Desk(new MemoryStore()).engine(ctx)
    const calls = [
      () => engine.ticket(undefined),
      () => engine.record(1, null),
      () => engine.resolve(1, 7),
      () => engine.createTicket(),
      () => engine.metrics(null, null),
      () => engine.weeklyReport('2026', 1),
      () => engine.assignTask(1, 2),
    ]
    return Promise.all(calls.map(async (call) => {
      let promise
      assert.doesNotThrow(() => { promise = call() })
      await assert.rejects(promise, (err) => err.code === 'INVALID_INPUT')
    }))
  })

  test('a panic in the engine call rejects with INTERNAL, on both paths', async () => {
    const first = await rejectsCode(escalation._panicForTest('promise'), 'INTERNAL')
    assert.match(first.message, /panic in the Rust engine: injected panic \(promise\)/)
    const later = await rejectsCode(escalation._panicForTest('runtime'), 'INTERNAL')
    assert.match(later.message, /injected panic \(runtime\)/)
    assert.throws(() => escalation._panicForTest(), { code: 'INTERNAL' })
    // The addon keeps working.
    const engine = new Engine()
    assert.equal((await engine.createTicket({ customer: 'c', category: 'b', subject: 's' })).id, 1)
  })
})

describe('the engine', () => {
  test('a Ticket reads its fields on access; toJSON, JSON.stringify and inspect show them all', async () => {
    const { inspect } = await import('node:util')
    const desk = new Desk(new MemoryStore())
    const engine = desk.engine()
    const t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 'Invoice' })
    assert.ok(t instanceof escalation.Ticket)
    const plain = t.toJSON()
    assert.deepEqual(Object.keys(plain).sort(), [
      'archivedAt', 'assignee', 'body', 'category', 'channel', 'createdAt', 'customer', 'fired',
      'firstResponseAt', 'id', 'impact', 'intakeKey', 'lastCustomerReplyAt', 'nextCheck', 'pages',
      'policyVersion', 'priority', 'priorityOverride', 'profile', 'profileState', 'queueReason',
      'receivedAt', 'resolution', 'resolvedAt', 'routeRetryAt', 'score', 'sla', 'status', 'subject',
      'supportTier', 'team', 'tenant', 'version',
    ])
    for (const [key, value] of Object.entries(plain)) assert.deepEqual(t[key], value, key)
    assert.deepEqual(JSON.parse(JSON.stringify(t)), JSON.parse(JSON.stringify(plain)))
    assert.equal(plain.subject, 'Invoice')
    assert.match(inspect(t), /^Ticket \{[^]*subject: 'Invoice'[^]*status: 'in_progress'/)
    const later = await engine.record(t, { type: 'customer_replied' })
    assert.notDeepEqual(later.toJSON(), plain)
    assert.equal(later.version, t.version + 1)
    await engine.close()
  })

  test('options, the policy, the clock and calendars', async () => {
    const desk = new Desk(new MemoryStore())
    assert.throws(() => new Engine({ store: 'desk.db' }), (err) =>
      err instanceof TypeError && err.code === 'INVALID_INPUT' && err.field === 'store')
    assert.throws(() => new Engine({ policy: {} }), { code: 'INVALID_INPUT', field: 'policy' })
    assert.throws(() => new Engine({ clock: new Date() }), { code: 'INVALID_INPUT', field: 'clock' })
    assert.throws(() => new Engine(42), { code: 'INVALID_INPUT', field: 'options' })
    assert.throws(() => new Engine({ notifier: {} }), (err) =>
      err instanceof TypeError && err.code === 'INVALID_INPUT' && /Notifier needs a method send\(\)/.test(err.message))
    const renamed = Policy.fromObject({ ...new Policy().toJSON(), version: 'x' })
    assert.equal(new Engine({ policy: renamed }).policy.version, 'x')
    const engine = desk.engine()
    assert.equal(engine.policy.version, '2026-11')
    assert.ok(engine.policy instanceof Policy)
    assert.deepEqual(engine.now(), START)
    const calendar = engine.calendar('support')
    assert.equal(calendar.timezone, 'America/New_York')
    assert.equal(engine.calendar('always').timezone, 'Etc/UTC')
    assert.equal(engine.calendar('nope'), null)
    // Without options: a memory store, the system clock and the default policy.
    const plain = new Engine()
    assert.ok(Math.abs(plain.now().getTime() - Date.now()) < 60_000)
    const t = await plain.createTicket({ customer: 'c-1', category: 'billing', subject: 's' })
    assert.deepEqual([t.status, t.assignee], ['new', null]) // no agents: queued
    await engine.close()
  })

  test('an invalid policy never reaches an engine: POLICY_INVALID', () => {
    assert.throws(
      () => new Engine({ policy: Policy.fromObject({ version: 'x', scoring: { weights: { tier: -1 } } }) }),
      (err) => err.code === 'POLICY_INVALID' && err.problems[0].path === 'scoring.weights.tier',
    )
  })

  test('run sweeps and dispatches until stop', async (ctx) => {
    const desk = new Desk(new MemoryStore())
    const engine = desk.engine(ctx)
    const t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'critical' })
    desk.clock.set(utc('2026-11-30T15:31:00Z'))
    const running = engine.run()
    await waitUntil(() => desk.pager.triggered().length === 1)
    engine.stop()
    await running
    assert.ok(clockOf(await engine.ticket(t), 'first_response').breachedAt)
  })

  test('run wakes on the manual clock, and close ends it', async (ctx) => {
    const desk = new Desk(new MemoryStore())
    const engine = desk.engine(ctx)
    await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'critical' })
    const running = engine.run()
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(desk.pager.triggered().length, 0)
    desk.clock.advance(31 * MINUTE) // past the first-response deadline
    await waitUntil(() => desk.pager.triggered().length === 1)
    await engine.close()
    await running
  })

  test('the manual clock never goes backwards', () => {
    const clock = new ManualClock(START)
    clock.advance(5 * MINUTE)
    clock.set(START)
    assert.deepEqual(clock.now(), plus(START, 5 * MINUTE))
    clock.set(START.getTime() + HOUR)
    assert.deepEqual(clock.now(), plus(START, HOUR))
    assert.throws(() => clock.advance('1h'), { code: 'INVALID_INPUT', field: 'ms' })
    assert.throws(() => new ManualClock('now'), { code: 'INVALID_INPUT', field: 'start' })
  })

  test('the in-memory adapters', async () => {
    const desk = new Desk(new MemoryStore())
    assert.equal(desk.store.size, 0)
    assert.throws(() => desk.profiles.add({ customer: 'c-2' }), (err) =>
      err.code === 'INVALID_INPUT' && err.field === 'profile' && /customer_since|tier/.test(err.message))
    assert.throws(() => desk.directory.addAgent({ id: 'x', name: 'X', tier: 'tier9', team: 't' }),
      { code: 'INVALID_INPUT', field: 'agent' })
    assert.throws(() => desk.directory.setAvailable('nobody', false), { code: 'NOT_FOUND' })
    desk.directory.setAvailable('alice', false)
    desk.directory.setAvailable('bob', false)
    desk.profiles.add({ customer: 'c-3', tier: 'vip', customerSince: '2021-03-01T00:00:00Z', contact: { name: 'V' } }, 'acme')
    const engine = desk.engine()
    const queued = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's' })
    assert.deepEqual([queued.status, queued.assignee], ['new', null])
    assert.ok(queued.queueReason && queued.routeRetryAt instanceof Date)
    const vip = await engine.createTicket({ customer: 'c-3', category: 'billing', subject: 's', tenant: 'acme' })
    assert.deepEqual([vip.profile.tier, vip.profile.customerSince], ['vip', utc('2021-03-01T00:00:00Z')])
    assert.equal(desk.store.size, 2)
    assert.equal(desk.notifier.calls, 0)
    assert.deepEqual(desk.pager.calls(), [])
    await engine.close()
  })
})
