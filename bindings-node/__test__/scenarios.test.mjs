// SLA, warnings and the escalation ladder, scenario by scenario, on a manual clock: the Node
// port of bindings-python/tests/test_scenarios.py (itself the port of
// escalation-core/tests/sla_scenarios.rs).
//
// Same policies, same inputs, same hand-computed instants and the same expected keys, states and
// log events. Time moves only when a test sets the ManualClock, usually to a ticket's
// `nextCheck` (`Sla.tick`), so each due instant is hit to the second. Nothing sleeps and nothing
// reads the wall clock.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import {
  NO_WARNINGS, PermanentFailure, SECOND, clockOf, hours, key, makeSla, mins, notification, ny,
  one, plus, policy, policyV, rejectsCode, rfc3339, utc,
} from './scenario_support.mjs'

// --- 1. the breach second ---------------------------------------------------------------------

test('a breach is recorded at the deadline second and logged once', async (ctx) => {
  const p = policy(`
[sla]
calendar = "support"
[sla.warnings]
percent = []
before = ["1s"]
[[sla.targets]]
priority = "high"
first_response = "1h"

[[ladder]]
name = "breach"
on = "breach"
actions = ["create_task"]
`)
  // Monday 16:30 New York: 30 business minutes today, 30 tomorrow from 09:00.
  const h = makeSla(ctx, p, ny(2026, 11, 30, 16, 30))
  const t = await h.create('high')
  const deadline = ny(2026, 12, 1, 9, 30)
  assert.deepEqual(deadline, utc('2026-12-01T14:30:00Z'))
  assert.deepEqual(clockOf(t, 'first_response', 0).deadline, deadline)
  // The "1s before" warning makes the ticket due one second before the deadline.
  assert.deepEqual(t.nextCheck, plus(deadline, -SECOND))

  // Overnight nothing is due.
  h.set(ny(2026, 11, 30, 23, 0))
  assert.equal(await h.sweep(), 0)

  // One second before: the ticket is looked at, warned, not breached.
  const t1 = await h.tick(t)
  assert.deepEqual(h.now(), plus(deadline, -SECOND))
  assert.equal(clockOf(t1, 'first_response', 0).breachedAt, null)
  assert.equal(await h.count(t, 'sla_breached'), 0)
  assert.equal(await h.count(t, 'sla_warning'), 1)
  assert.deepEqual(t1.nextCheck, deadline)

  // The deadline second itself.
  const t2 = await h.tick(t)
  assert.deepEqual(h.now(), deadline)
  assert.deepEqual(clockOf(t2, 'first_response', 0).breachedAt, deadline)
  assert.deepEqual(await h.namesAt(t, deadline), ['sla_breached', 'level_fired', 'task_created'])
  const breach = one(await h.entries(t, 'sla_breached'))
  assert.deepEqual(breach.data, {
    type: 'sla_breached', target: 'first_response', cycle: 0, deadline: rfc3339(deadline),
  })
  assert.equal(t2.nextCheck, null, 'nothing is pending after the breach')

  // More sweeps and events: still one breach, one task.
  h.set(plus(deadline, hours(1)))
  assert.equal(await h.sweep(), 0)
  await h.customerReplied(t)
  h.set(plus(deadline, hours(30)))
  await h.sweep()
  await h.customerReplied(t)
  assert.equal(await h.count(t, 'sla_breached'), 1)
  assert.equal(await h.count(t, 'level_fired'), 1)
  assert.equal((await h.engine.tasks({ ticket: t.id })).length, 1)
  assert.deepEqual(clockOf(await h.ticket(t), 'first_response', 0).breachedAt, deadline)
})

test('a late sweep records the breach at the deadline, not at the sweep', async (ctx) => {
  const p = policy(`[sla]\ncalendar = "support"\n${NO_WARNINGS}` +
    '[[sla.targets]]\npriority = "high"\nfirst_response = "2h"\n')
  const h = makeSla(ctx, p, ny(2026, 11, 30, 9, 0))
  let t = await h.create('high')
  const deadline = ny(2026, 11, 30, 11, 0)
  assert.deepEqual(t.nextCheck, deadline)
  h.set(plus(deadline, mins(17)))
  assert.equal(await h.sweep(), 1)
  t = await h.ticket(t)
  assert.deepEqual(clockOf(t, 'first_response', 0).breachedAt, deadline)
  const entry = one(await h.entries(t, 'sla_breached'))
  assert.deepEqual(entry.at, plus(deadline, mins(17)), 'logged when seen')
})

// --- 2. warnings ------------------------------------------------------------------------------

test('warnings fall at 75 and 90 % of business time and each warns the assignee once', async (ctx) => {
  const p = policy(`
[sla]
calendar = "support"
[sla.warnings]
percent = [75, 90]
[[sla.targets]]
priority = "high"
first_response = "4h"

[[ladder]]
name = "warn-assignee"
on = "warning"
actions = ["warn_agent"]
`)
  // Monday 15:00 New York: 2 h today, 2 h on Tuesday from 09:00.
  const h = makeSla(ctx, p, ny(2026, 11, 30, 15, 0))
  const t = await h.create('high')
  const w75 = ny(2026, 12, 1, 10, 0) // 3 h of business time in
  const w90 = ny(2026, 12, 1, 10, 36) // 3 h 36 m in
  const deadline = ny(2026, 12, 1, 11, 0)
  assert.deepEqual(w75, utc('2026-12-01T15:00:00Z'))
  assert.deepEqual(clockOf(t, 'first_response', 0).deadline, deadline)
  assert.deepEqual(t.nextCheck, w75)

  // Monday's close and Tuesday's opening are not due.
  h.set(ny(2026, 11, 30, 17, 0))
  assert.equal(await h.sweep(), 0)
  h.set(ny(2026, 12, 1, 9, 59))
  assert.equal(await h.sweep(), 0)

  const t1 = await h.tick(t)
  assert.deepEqual(h.now(), w75)
  assert.deepEqual(await h.namesAt(t, w75), ['sla_warning', 'level_fired', 'effect_queued'])
  const k0 = key(t, 'agent/first_response.0/warn-assignee~0')
  assert.deepEqual(await h.effectKeys(t), [k0])
  const e0 = await h.effect(t, k0)
  const n0 = notification(e0)
  assert.equal(n0.kind, 'agent_warning')
  assert.equal(n0.to.name, 'alice')
  assert.equal(n0.to.email, 'alice@example.invalid')
  assert.deepEqual(e0.notBefore, w75)
  assert.equal(clockOf(t1, 'first_response', 0).warned, 0b01)
  assert.deepEqual(t1.nextCheck, w90)

  const t2 = await h.tick(t)
  assert.deepEqual(h.now(), w90)
  const k1 = key(t, 'agent/first_response.0/warn-assignee~1')
  assert.deepEqual(await h.effectKeys(t), [k0, k1])
  assert.equal(clockOf(t2, 'first_response', 0).warned, 0b11)
  assert.deepEqual(t2.nextCheck, deadline)
  const labels = (await h.entries(t, 'sla_warning')).map((e) => [e.data.label, e.at])
  assert.deepEqual(labels, [['75%', w75], ['90%', w90]])

  // The deadline passes; later sweeps and events warn no more.
  await h.tick(t)
  h.set(plus(deadline, hours(5)))
  await h.sweep()
  await h.customerReplied(t)
  assert.equal(await h.count(t, 'sla_warning'), 2)
  assert.deepEqual(await h.effectKeys(t), [k0, k1])
})

// --- 3, 4. pauses -----------------------------------------------------------------------------

function resolutionPolicy(budget) {
  return policy(`[sla]\ncalendar = "support"\n${NO_WARNINGS}` +
    '[[sla.targets]]\npriority = "critical"\nresolution = "1h"\n' +
    `[[sla.targets]]\npriority = "high"\nresolution = "${budget}"\n`)
}

test('pending customer over a weekend moves the deadline by the paused business time only', async (ctx) => {
  const h = makeSla(ctx, resolutionPolicy('8h'), ny(2026, 12, 4, 13, 0))
  const t = await h.create('high')
  // Friday 13:00-17:00 (4 h), Monday 09:00-13:00 (4 h).
  const original = ny(2026, 12, 7, 13, 0)
  assert.deepEqual(clockOf(t, 'resolution', 0).deadline, original)

  // Friday 15:00: waiting for the customer, 2 h used.
  const pausedAt = ny(2026, 12, 4, 15, 0)
  h.set(pausedAt)
  const t1 = await h.status(t, 'pending_customer')
  let c = clockOf(t1, 'resolution', 0)
  assert.equal(c.isPaused, true)
  assert.equal(c.isRunning, false)
  assert.deepEqual(c.pauses, [{ from: pausedAt, to: null }])
  assert.equal(c.runningSince, null)
  assert.equal(c.consumedMs, hours(2))
  assert.equal(c.deadline, null)
  assert.equal(t1.nextCheck, null, 'a paused clock is never due')
  assert.deepEqual(await h.namesAt(t, pausedAt), ['status_changed', 'sla_paused'])

  // Nothing happens over the weekend.
  h.set(ny(2026, 12, 5, 12, 0))
  assert.equal(await h.sweep(), 0)
  h.set(ny(2026, 12, 6, 23, 59))
  assert.equal(await h.sweep(), 0)

  // Monday 10:00: back in progress.
  const resumedAt = ny(2026, 12, 7, 10, 0)
  h.set(resumedAt)
  const t2 = await h.status(t, 'in_progress')
  c = clockOf(t2, 'resolution', 0)
  const cal = h.engine.calendar('support')
  assert.ok(cal)
  const pausedBusiness = cal.elapsed(pausedAt, resumedAt)
  assert.equal(pausedBusiness, hours(3), 'Fri 15-17 and Mon 09-10; no weekend')
  const expected = ny(2026, 12, 7, 16, 0)
  assert.deepEqual(c.deadline, expected)
  assert.deepEqual(cal.add(original, pausedBusiness), expected)
  assert.equal(c.consumedMs, hours(2))
  assert.deepEqual(c.runningSince, resumedAt)
  assert.deepEqual(c.pauses, [{ from: pausedAt, to: resumedAt }])
  assert.deepEqual(t2.nextCheck, expected)
  const resumed = one(await h.entries(t, 'sla_resumed'))
  assert.deepEqual(resumed.data, {
    type: 'sla_resumed', target: 'resolution', cycle: 0, deadline: rfc3339(expected),
  })

  // And it breaches at the moved deadline, not the original one.
  h.set(original)
  assert.equal(await h.sweep(), 0)
  const t3 = await h.tick(t)
  assert.deepEqual(h.now(), expected)
  assert.deepEqual(clockOf(t3, 'resolution', 0).breachedAt, expected)
})

/**
 * Thursday 24 Dec 2026 15:00 New York, 8 h resolution; paused at 16:00 (1 h used), resumed on
 * Monday 28 Dec at 09:30, Christmas (Friday) being a holiday.
 */
async function holidayScenario(ctx) {
  const h = makeSla(ctx, resolutionPolicy('8h'), ny(2026, 12, 24, 15, 0))
  const t = await h.create('high')
  // Thursday 15-17 (2 h); Friday is Christmas; Monday 09:00-15:00 (6 h).
  assert.deepEqual(clockOf(t, 'resolution', 0).deadline, ny(2026, 12, 28, 15, 0))
  h.set(ny(2026, 12, 24, 16, 0))
  await h.status(t, 'on_hold')
  h.set(ny(2026, 12, 25, 12, 0))
  assert.equal(await h.sweep(), 0)
  h.set(ny(2026, 12, 28, 9, 30))
  return [h, await h.status(t, 'in_progress')]
}

test('on hold over a holiday consumes no business time on the holiday', async (ctx) => {
  const [h, t] = await holidayScenario(ctx)
  const c = clockOf(t, 'resolution', 0)
  assert.equal(c.consumedMs, hours(1))
  // 7 h left from Monday 09:30: 16:30.
  assert.deepEqual(c.deadline, ny(2026, 12, 28, 16, 30))
  assert.deepEqual(c.deadline, utc('2026-12-28T21:30:00Z'))
  const cal = h.engine.calendar('support')
  assert.ok(cal)
  assert.equal(cal.elapsed(ny(2026, 12, 24, 16, 0), ny(2026, 12, 28, 9, 30)), mins(90),
    'Thu 16-17 and Mon 09:00-09:30 only')
  assert.deepEqual(c.pauses, [{ from: ny(2026, 12, 24, 16, 0), to: ny(2026, 12, 28, 9, 30) }])
  assert.deepEqual(t.nextCheck, c.deadline)
})

// --- 5. next response -------------------------------------------------------------------------

test('next response restarts on customer replies and the oldest unanswered reply counts', async (ctx) => {
  const p = policy(`[sla]\ncalendar = "always"\n${NO_WARNINGS}` +
    '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\nnext_response = "2h"\n')
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, p, start)
  const t = await h.create('high')
  assert.equal(t.sla.length, 1, 'only first response; next response waits')

  // A customer reply before the first response starts nothing.
  h.set(plus(start, mins(5)))
  assert.equal((await h.customerReplied(t)).sla.length, 1)

  // First response at +10 m.
  h.set(plus(start, mins(10)))
  const t2 = await h.agentReplied(t)
  const fr = clockOf(t2, 'first_response', 0)
  assert.deepEqual(fr.stoppedAt, plus(start, mins(10)))
  assert.equal(fr.breachedAt, null)
  assert.deepEqual(t2.firstResponseAt, plus(start, mins(10)))

  // Customer reply at +20 m: cycle 1.
  h.set(plus(start, mins(20)))
  const t3 = await h.customerReplied(t)
  let c1 = clockOf(t3, 'next_response', 1)
  assert.deepEqual(c1.startedAt, plus(start, mins(20)))
  assert.deepEqual(c1.deadline, plus(start, mins(140)))
  assert.deepEqual(t3.nextCheck, plus(start, mins(140)))

  // Agent reply at +30 m: cycle 1 met.
  h.set(plus(start, mins(30)))
  const t4 = await h.agentReplied(t)
  c1 = clockOf(t4, 'next_response', 1)
  assert.deepEqual(c1.stoppedAt, plus(start, mins(30)))
  assert.equal(c1.consumedMs, mins(10))
  assert.equal(t4.nextCheck, null)

  // Customer reply at +40 m: cycle 2.
  h.set(plus(start, mins(40)))
  const t5 = await h.customerReplied(t)
  let c2 = clockOf(t5, 'next_response', 2)
  assert.deepEqual(c2.startedAt, plus(start, mins(40)))
  assert.deepEqual(c2.deadline, plus(start, mins(160)))

  // Another customer reply at +50 m, still unanswered: no restart, no cycle 3.
  h.set(plus(start, mins(50)))
  const t6 = await h.customerReplied(t)
  assert.deepEqual(t6.lastCustomerReplyAt, plus(start, mins(50)))
  c2 = clockOf(t6, 'next_response', 2)
  assert.deepEqual(c2.startedAt, plus(start, mins(40)))
  assert.deepEqual(c2.deadline, plus(start, mins(160)))
  assert.deepEqual(t6.sla.map((c) => [c.target, c.cycle]), [
    ['first_response', 0], ['next_response', 1], ['next_response', 2]])
  const started = (await h.entries(t, 'sla_started')).map((e) => [e.data.target, e.data.cycle, e.at])
  assert.deepEqual(started, [
    ['first_response', 0, start],
    ['next_response', 1, plus(start, mins(20))],
    ['next_response', 2, plus(start, mins(40))],
  ])
  // Cycle 2 breaches at its own deadline.
  const t7 = await h.tick(t)
  assert.deepEqual(h.now(), plus(start, mins(160)))
  assert.deepEqual(clockOf(t7, 'next_response', 2).breachedAt, plus(start, mins(160)))
})

// --- 6. priority raised mid-ticket ------------------------------------------------------------

test('a host override to critical rebudgets running clocks from their runningSince', async (ctx) => {
  const p = policy(`[sla]\ncalendar = "support"\n${NO_WARNINGS}` +
    '[[sla.targets]]\npriority = "critical"\nfirst_response = "30m"\nresolution = "4h"\n' +
    '[[sla.targets]]\npriority = "high"\nfirst_response = "2h"\nresolution = "8h"\n')
  const h = makeSla(ctx, p, ny(2026, 11, 30, 9, 0))
  const t = await h.create('high')
  assert.equal(clockOf(t, 'resolution', 0).rule, 1)

  h.set(ny(2026, 11, 30, 9, 30))
  await h.agentReplied(t)
  h.set(ny(2026, 11, 30, 10, 0))
  await h.status(t, 'on_hold')
  h.set(ny(2026, 11, 30, 11, 0))
  const t1 = await h.status(t, 'in_progress')
  let r = clockOf(t1, 'resolution', 0)
  assert.equal(r.consumedMs, hours(1))
  assert.deepEqual(r.runningSince, ny(2026, 11, 30, 11, 0))
  // 7 h left: Monday 11-17 (6 h), Tuesday 09-10.
  assert.deepEqual(r.deadline, ny(2026, 12, 1, 10, 0))

  const at = ny(2026, 11, 30, 12, 0)
  h.set(at)
  const t2 = await h.engine.record(t, {
    type: 'priority_overridden', priority: 'critical', by: 'host-user', reason: 'outage for a VIP',
  })
  assert.equal(t2.priority, 'critical')
  r = clockOf(t2, 'resolution', 0)
  const cal = h.engine.calendar('support')
  assert.ok(cal)
  const expected = cal.add(r.runningSince, hours(4) - r.consumedMs)
  assert.deepEqual(expected, ny(2026, 11, 30, 14, 0))
  assert.deepEqual(r.deadline, expected)
  assert.equal(r.budget, '4h')
  assert.equal(r.rule, 0)
  assert.equal(r.priority, 'critical')
  assert.equal(r.consumedMs, hours(1), 'used time is kept')
  // The met first response keeps its budget.
  const fr = clockOf(t2, 'first_response', 0)
  assert.equal(fr.budget, '2h')
  assert.equal(fr.priority, 'high')

  assert.deepEqual(await h.namesAt(t, at), ['priority_overridden', 'sla_rebudgeted'])
  assert.deepEqual((await h.entries(t, 'sla_rebudgeted')).map((e) => e.data), [{
    type: 'sla_rebudgeted', target: 'resolution', cycle: 0, priority: 'critical', budget: '4h',
    deadline: rfc3339(expected),
  }])
  assert.deepEqual(t2.nextCheck, expected)
})

// --- 7. breach actions ------------------------------------------------------------------------

const BREACH_LADDER = `
[[ladder]]
name = "breach"
on = "breach"
targets = ["first_response"]
actions = ["create_task", "alert_manager", "notify_customer", "move_to_tier2"]

[[ladder]]
name = "tier2-exhausted"
on = "tier_exhausted"
actions = ["alert_manager"]
`

function firstResponsePolicy(ladder, options) {
  return policy(`[sla]\ncalendar = "always"\n${NO_WARNINGS}` +
    '[[sla.targets]]\npriority = "critical"\nfirst_response = "30m"\n' +
    '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\n' +
    ladder, options)
}

test('a breach creates a task, alerts the manager, notifies the customer and moves to Tier 2', async (ctx) => {
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, firstResponsePolicy(BREACH_LADDER), start, { tier2: true })
  const t = await h.create('high')
  assert.equal(t.assignee, 'alice')
  const breach = plus(start, hours(1))
  const t1 = await h.tick(t)
  assert.deepEqual(h.now(), breach)

  assert.deepEqual(await h.namesAt(t, breach), [
    'sla_breached', 'level_fired', 'task_created', 'effect_queued', 'effect_queued',
    'assigned', 'moved_to_tier',
  ])
  assert.equal(t1.assignee, 'tara')
  assert.equal(t1.team, 'team-b')
  assert.equal(t1.supportTier, 'tier2')
  assert.equal(t1.status, 'in_progress')
  const moved = one(await h.entries(t, 'moved_to_tier'))
  assert.deepEqual(moved.data, { type: 'moved_to_tier', tier: 'tier2', agent: 'tara' })

  const manager = key(t, 'manager/first_response.0/breach~0')
  const customer = key(t, 'customer/first_response.0/breach~0')
  assert.deepEqual(await h.effectKeys(t), [manager, customer])
  const m = notification(await h.effect(t, manager))
  assert.equal(m.kind, 'manager_alert')
  assert.equal(m.to.name, 'Mona', 'the manager of the team that breached')
  const c = notification(await h.effect(t, customer))
  assert.equal(c.kind, 'customer_notice')
  assert.equal(c.to.email, 'carla@example.invalid')

  const tasks = await h.engine.tasks({ ticket: t.id })
  assert.equal(tasks.length, 1)
  assert.equal(tasks[0].id, key(t, 'task/first_response.0/breach~0'))
  assert.deepEqual((await h.entries(t, 'level_fired')).map((e) => e.data.level), ['breach'])
})

test('without a Tier 2 agent the ticket stays and tier_exhausted alerts the manager once', async (ctx) => {
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, firstResponsePolicy(BREACH_LADDER), start)
  const t = await h.create('high')
  const breach = plus(start, hours(1))
  const t1 = await h.tick(t)
  assert.equal(t1.assignee, 'alice')
  assert.equal(t1.team, 'team-a')
  assert.equal(t1.supportTier, 'tier1')
  assert.equal(t1.routeRetryAt, null)
  assert.equal(t1.queueReason, null)

  const fired = (await h.entries(t, 'level_fired')).map((e) => [e.data.level, e.data.trigger])
  assert.deepEqual(fired, [['breach', 'breach'], ['tier2-exhausted', 'tier_exhausted']])
  const moved = one(await h.entries(t, 'moved_to_tier'))
  assert.deepEqual(moved.data, { type: 'moved_to_tier', tier: 'tier2', agent: null })
  const exhausted = key(t, 'manager/ticket/tier2-exhausted~0')
  assert.deepEqual(await h.effectKeys(t), [
    key(t, 'manager/first_response.0/breach~0'),
    key(t, 'customer/first_response.0/breach~0'),
    exhausted,
  ])
  const n = notification(await h.effect(t, exhausted))
  assert.equal(n.kind, 'manager_alert')
  assert.equal(n.to.name, 'Mona')
  for (const e of await h.log(t)) {
    assert.ok([breach.getTime(), start.getTime()].includes(e.at.getTime()), `${e.event} at ${e.at.toISOString()}`)
  }

  // Later events do not exhaust the tier again.
  h.set(plus(breach, hours(2)))
  await h.customerReplied(t)
  await h.sweep()
  assert.equal((await h.effects(t)).length, 3)
  assert.equal(await h.count(t, 'level_fired'), 2)
})

// --- 8, 9, 10. pages --------------------------------------------------------------------------

function pagePolicy(repeatEvery, maxRepeats, ackTimeout, extra = '') {
  return firstResponsePolicy(`
[[ladder]]
name = "page-critical"
on = "breach"
min_priority = "critical"
actions = ["page"]
page = { repeat_every = "${repeatEvery}", max_repeats = ${maxRepeats}, ack_timeout = "${ackTimeout}" }
${extra}`)
}

async function pageTriggers(h, t) {
  return (await h.effects(t)).filter((e) => e.kind === 'page_trigger').map((e) => [e.key, e.state, e.createdAt])
}

test('a critical page repeats every 15 minutes until acknowledged, then stops', async (ctx) => {
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, pagePolicy('15m', 10, '2h'), start)
  const t = await h.create('critical')
  const breach = plus(start, mins(30))
  const t1 = await h.tick(t)
  assert.deepEqual(h.now(), breach)
  const page = key(t, 'page/first_response.0/page-critical~0')
  assert.equal(t1.pages.length, 1)
  assert.equal(t1.pages[0].key, page)
  assert.deepEqual(t1.pages[0].triggeredAt, breach)
  assert.deepEqual(t1.nextCheck, plus(breach, mins(15)))
  await h.engine.dispatch()

  const t2 = await h.tick(t)
  assert.deepEqual(h.now(), plus(breach, mins(15)))
  assert.deepEqual(t2.nextCheck, plus(breach, mins(30)))
  await h.engine.dispatch()
  await h.tick(t)
  assert.deepEqual(h.now(), plus(breach, mins(30)))
  assert.deepEqual(await pageTriggers(h, t), [
    [`${page}/0`, 'delivered', breach],
    [`${page}/1`, 'delivered', plus(breach, mins(15))],
    [`${page}/2`, 'pending', plus(breach, mins(30))],
  ])
  const repeats = (await h.entries(t, 'page_repeated')).map((e) => [e.data.repeat, e.at])
  assert.deepEqual(repeats, [[1, plus(breach, mins(15))], [2, plus(breach, mins(30))]])

  // Acknowledged five minutes later: the pending repeat is cancelled.
  const acked = plus(breach, mins(35))
  h.set(acked)
  const t3 = await h.engine.acknowledge(t, { page, by: 'oncall-olga' })
  assert.deepEqual(t3.pages[0].acknowledged, { at: acked, by: 'oncall-olga' })
  assert.equal(t3.nextCheck, null)
  const cancelled = await h.effect(t, `${page}/2`)
  assert.equal(cancelled.state, 'cancelled')
  assert.deepEqual(cancelled.finishedAt, acked)
  assert.deepEqual(await h.namesAt(t, acked), ['page_acknowledged'])

  // Acknowledging again changes nothing; an unknown page is NOT_FOUND.
  await h.engine.acknowledge(t, { page, by: 'oncall-olga' })
  assert.equal(await h.count(t, 'page_acknowledged'), 1)
  await rejectsCode(h.engine.acknowledge(t, { page: 'no-such-page', by: 'oncall-olga' }),
    'NOT_FOUND', { what: 'page' })

  // No more repeats, ever; nothing more reaches the pager.
  for (const later of [mins(45), mins(60), hours(3), hours(24)]) {
    h.set(plus(breach, later))
    await h.sweep()
    await h.engine.dispatch()
  }
  assert.equal((await pageTriggers(h, t)).length, 3)
  assert.deepEqual(h.pager.triggered().map((p) => [p.dedupKey, p.repeat]), [[page, 0], [page, 1]])
  assert.deepEqual(h.pager.resolved(), [])

  // The acknowledged page is still open at the pager; resolving the ticket closes it.
  assert.equal(h.pager.isOpen(page), true)
  await h.engine.resolve(t, { summary: 'Restarted the job', rootCause: 'configuration', by: 'oncall-olga' })
  assert.equal((await h.effect(t, `${page}/resolve`)).kind, 'page_resolve')
  await h.engine.dispatch()
  assert.deepEqual(h.pager.resolved(), [page])
  assert.equal(h.pager.triggered().length, 2)
  assert.equal(h.pager.isOpen(page), false)
})

test('maxRepeats is honoured and an unacknowledged page escalates at its ack timeout', async (ctx) => {
  const start = utc('2026-11-30T15:00:00Z')
  const extra = `
[[ladder]]
name = "page-unacked"
on = "page_unacknowledged"
actions = ["alert_manager"]
`
  const h = makeSla(ctx, pagePolicy('10m', 3, '45m', extra), start)
  const t = await h.create('critical')
  const breach = plus(start, mins(30))
  await h.tick(t)
  assert.deepEqual(h.now(), breach)
  await h.tick(t)
  assert.deepEqual(h.now(), plus(breach, mins(10)))
  const t1 = await h.tick(t)
  assert.deepEqual(h.now(), plus(breach, mins(20)))
  assert.equal(t1.pages[0].sent, 3)
  // No fourth page: the next thing due is the acknowledgement timeout.
  assert.deepEqual(t1.nextCheck, plus(breach, mins(45)))
  h.set(plus(breach, mins(30)))
  assert.equal(await h.sweep(), 0)

  const t2 = await h.tick(t)
  assert.deepEqual(h.now(), plus(breach, mins(45)))
  assert.equal(t2.pages[0].ackTimedOut, true)
  const page = key(t, 'page/first_response.0/page-critical~0')
  const alert = key(t, 'manager/first_response.0/page-unacked~0')
  assert.deepEqual(await h.namesAt(t, plus(breach, mins(45))), [
    'page_unacknowledged', 'level_fired', 'effect_queued'])
  assert.deepEqual(await h.effectKeys(t), [`${page}/0`, `${page}/1`, `${page}/2`, alert])
  assert.equal(notification(await h.effect(t, alert)).kind, 'manager_alert')
  assert.equal(t2.nextCheck, null)

  for (const later of [hours(1), hours(5), hours(48)]) {
    h.set(plus(breach, later))
    await h.sweep()
  }
  await h.customerReplied(t)
  assert.equal((await h.effects(t)).length, 4)
  assert.equal(await h.count(t, 'page_unacknowledged'), 1)
  assert.equal(await h.count(t, 'page_repeated'), 2)
})

test('resolving cancels pending page repeats and resolves the page at the pager', async (ctx) => {
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, pagePolicy('15m', 10, '2h'), start)
  const t = await h.create('critical')
  const breach = plus(start, mins(30))
  await h.tick(t)
  await h.engine.dispatch()
  await h.tick(t) // repeat 1, left pending
  const page = key(t, 'page/first_response.0/page-critical~0')
  assert.equal(h.pager.isOpen(page), true)

  // A root cause outside the taxonomy is refused, and changes nothing.
  const at = plus(breach, mins(20))
  h.set(at)
  const before = await h.ticket(t)
  const err = await rejectsCode(
    h.engine.resolve(t, { summary: 'Fixed the invoice job', rootCause: 'gremlins', by: 'lead-lee' }),
    'INVALID_INPUT', { field: 'root_cause' })
  assert.match(err.message, /gremlins/)
  assert.deepEqual(await h.ticket(t), before)

  const t1 = await h.engine.resolve(t, {
    summary: 'Fixed the invoice job', rootCause: 'product_defect', by: 'lead-lee',
  })
  assert.equal(t1.status, 'resolved')
  assert.deepEqual(t1.resolvedAt, at)
  assert.deepEqual(t1.resolution, {
    summary: 'Fixed the invoice job', root_cause: 'product_defect', by: 'lead-lee', at: rfc3339(at),
  })
  assert.deepEqual(t1.pages[0].resolvedAt, at)
  assert.equal(t1.nextCheck, null)
  const resolved = one(await h.entries(t, 'resolved'))
  assert.deepEqual(resolved.at, at)
  assert.deepEqual(resolved.data, {
    type: 'resolved', summary: 'Fixed the invoice job', root_cause: 'product_defect',
  })

  assert.deepEqual((await h.effects(t)).map((e) => [e.key, e.kind, e.state]), [
    [`${page}/0`, 'page_trigger', 'delivered'],
    [`${page}/1`, 'page_trigger', 'cancelled'],
    [`${page}/resolve`, 'page_resolve', 'pending'],
  ])

  const report = await h.engine.dispatch()
  assert.equal(report.delivered, 1)
  assert.deepEqual(h.pager.triggered().map((p) => [p.dedupKey, p.repeat]), [[page, 0]])
  assert.deepEqual(h.pager.resolved(), [page])
  assert.deepEqual(h.pager.calls().map((call) => call.type), ['trigger', 'resolve'])
  assert.equal(h.pager.isOpen(page), false)

  // Nothing more once resolved.
  h.set(plus(at, hours(4)))
  assert.equal(await h.sweep(), 0)
  assert.equal((await h.engine.dispatch()).claimed, 0)
  assert.equal(h.pager.triggered().length, 1)
  assert.equal(h.pager.resolved().length, 1)
})

// --- 11. quiet hours --------------------------------------------------------------------------

test('quiet hours defer a Saturday customer notice to Monday 09:00, but never a page', async (ctx) => {
  const p = policy(`
[sla]
calendar = "always"
${NO_WARNINGS}
[[sla.targets]]
priority = "critical"
first_response = "30m"

[[ladder]]
name = "breach"
on = "breach"
actions = ["notify_customer", "page"]
page = { repeat_every = "15m", max_repeats = 1, ack_timeout = "72h" }

[quiet_hours]
customer_notice = "support"
`)
  // Saturday 09:00 New York.
  const start = ny(2026, 12, 5, 9, 0)
  const h = makeSla(ctx, p, start)
  const t = await h.create('critical')
  const breach = plus(start, mins(30))
  await h.tick(t)
  assert.deepEqual(h.now(), breach)
  const monday = ny(2026, 12, 7, 9, 0)
  assert.deepEqual(monday, utc('2026-12-07T14:00:00Z'))

  const notice = key(t, 'customer/first_response.0/breach~0')
  const page = key(t, 'page/first_response.0/breach~0')
  const n = await h.effect(t, notice)
  assert.deepEqual(n.notBefore, monday)
  assert.deepEqual(n.nextAttemptAt, monday)
  assert.deepEqual((await h.effect(t, `${page}/0`)).notBefore, breach, 'pages are never deferred')

  assert.equal((await h.engine.dispatch()).delivered, 1)
  assert.equal(h.pager.triggered().length, 1)
  assert.deepEqual(h.notifier.delivered(), [])

  for (const before of [ny(2026, 12, 6, 12, 0), plus(monday, -SECOND)]) {
    h.set(before)
    assert.equal((await h.engine.dispatch()).delivered, 0)
    assert.deepEqual(h.notifier.delivered(), [])
    assert.equal((await h.effect(t, notice)).state, 'pending')
  }

  h.set(monday)
  assert.equal((await h.engine.dispatch()).delivered, 1)
  const delivered = h.notifier.delivered()
  assert.equal(delivered.length, 1)
  assert.equal(delivered[0].key, notice)
  assert.equal(delivered[0].kind, 'customer_notice')
  const e = await h.effect(t, notice)
  assert.equal(e.state, 'delivered')
  assert.deepEqual(e.finishedAt, monday)
})

// --- 12. intake outside business hours --------------------------------------------------------

test('a ticket created on Saturday night counts its first response from Monday 09:00', async (ctx) => {
  const p = policy(`
[sla]
calendar = "support"
[sla.warnings]
percent = [75]
[[sla.targets]]
priority = "high"
first_response = "2h"
`)
  const created = ny(2026, 12, 5, 23, 0)
  assert.deepEqual(created, utc('2026-12-06T04:00:00Z'))
  const h = makeSla(ctx, p, created)
  const t = await h.create('high')
  const fr = clockOf(t, 'first_response', 0)
  assert.deepEqual(fr.startedAt, created)
  const cal = h.engine.calendar('support')
  assert.ok(cal)
  const monday = cal.nextOpen(created)
  assert.deepEqual(monday, ny(2026, 12, 7, 9, 0))
  assert.deepEqual(fr.deadline, ny(2026, 12, 7, 11, 0))
  assert.deepEqual(fr.deadline, utc('2026-12-07T16:00:00Z'))
  assert.deepEqual(fr.deadline, plus(monday, hours(2)))
  // The 75 % warning: 1 h 30 m into Monday.
  assert.deepEqual(t.nextCheck, ny(2026, 12, 7, 10, 30))
  h.set(ny(2026, 12, 7, 9, 0))
  assert.equal(await h.sweep(), 0, 'nothing is due at the opening itself')
})

// --- 13. since_breach -------------------------------------------------------------------------

test('since_breach fires exactly 2 h after the breach and raises the priority one step, once', async (ctx) => {
  const p = policy(`
[sla]
calendar = "always"
${NO_WARNINGS}
[[sla.targets]]
priority = "high"
resolution = "30m"
[[sla.targets]]
priority = "normal"
resolution = "1h"

[[ladder]]
name = "still-breached"
on = "since_breach"
targets = ["resolution"]
after = "2h"
actions = ["raise_priority"]
`)
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, p, start)
  const t = await h.create('normal')
  const breach = plus(start, hours(1))
  const t1 = await h.tick(t)
  assert.deepEqual(h.now(), breach)
  assert.deepEqual(clockOf(t1, 'resolution', 0).breachedAt, breach)
  assert.deepEqual(t1.nextCheck, plus(breach, hours(2)))

  h.set(plus(breach, hours(2) - SECOND))
  assert.equal(await h.sweep(), 0)
  assert.equal((await h.ticket(t)).priority, 'normal')

  const t2 = await h.tick(t)
  const at = plus(breach, hours(2))
  assert.deepEqual(h.now(), at)
  assert.deepEqual(await h.namesAt(t, at), ['level_fired', 'priority_raised'])
  assert.equal(t2.priority, 'high', 'one step, not to critical')
  const o = t2.priorityOverride
  assert.ok(o)
  assert.equal(o.by, 'ladder:still-breached')
  assert.equal(o.at, rfc3339(at))
  const raised = one(await h.entries(t, 'priority_raised'))
  assert.deepEqual(raised.data, {
    type: 'priority_raised', from: 'normal', to: 'high', level: 'still-breached',
  })
  assert.equal(t2.nextCheck, null)

  for (const later of [hours(3), hours(10), hours(50)]) {
    h.set(plus(breach, later))
    await h.sweep()
  }
  await h.customerReplied(t)
  assert.equal(await h.count(t, 'priority_raised'), 1)
  assert.equal(await h.count(t, 'level_fired'), 1)
  assert.equal((await h.ticket(t)).priority, 'high')
})

test('since_breach does not fire for a clock that was met late and stopped', async (ctx) => {
  // First response breached at 16:00 and was met (late) at 16:30: the clock is stopped, so
  // nothing is "still breached" two hours later, whatever event makes the engine look.
  const p = policy(`
[sla]
calendar = "always"
${NO_WARNINGS}
[[sla.targets]]
priority = "high"
first_response = "1h"
resolution = "24h"

[[ladder]]
name = "still-breached"
on = "since_breach"
targets = ["first_response"]
after = "2h"
actions = ["raise_priority"]
`)
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, p, start)
  const t = await h.create('high')
  await h.tick(t)
  assert.deepEqual(h.now(), plus(start, hours(1)))
  h.set(plus(start, mins(90)))
  const t1 = await h.agentReplied(t)
  const fr = clockOf(t1, 'first_response', 0)
  assert.deepEqual(fr.stoppedAt, plus(start, mins(90)))
  assert.deepEqual(fr.breachedAt, plus(start, hours(1)))
  // Nothing is scheduled for the stopped clock...
  assert.deepEqual(t1.nextCheck, plus(start, hours(24)))
  // ...so an event three hours after the breach must not fire it either.
  h.set(plus(start, hours(4)))
  const t2 = await h.customerReplied(t)
  assert.equal(t2.priority, 'high')
  assert.equal(await h.count(t, 'level_fired'), 0)
  assert.equal(await h.count(t, 'priority_raised'), 0)
})

// --- 14. escalation tasks ---------------------------------------------------------------------

test('escalation tasks are listed, assigned and closed, and created once per breach', async (ctx) => {
  const p = policy(`
[sla]
calendar = "always"
${NO_WARNINGS}
[[sla.targets]]
priority = "high"
first_response = "1h"
resolution = "3h"

[[ladder]]
name = "breach"
on = "breach"
actions = ["create_task"]
`)
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, p, start)
  const t = await h.create('high')
  await h.tick(t)
  const first = key(t, 'task/first_response.0/breach~0')
  // Repeated looks at the ticket create nothing new.
  h.set(plus(start, mins(70)))
  assert.equal(await h.sweep(), 0)
  await h.customerReplied(t)
  h.set(plus(start, mins(80)))
  await h.customerReplied(t)
  let tasks = await h.engine.tasks({ ticket: t.id })
  assert.equal(tasks.length, 1)
  const task = tasks[0]
  assert.equal(task.id, first)
  assert.equal(task.ticket, t.id)
  assert.equal(task.level, 'breach')
  assert.equal(task.target, 'first_response')
  assert.equal(task.reason, 'first_response breached')
  assert.deepEqual(task.createdAt, plus(start, hours(1)))
  assert.equal(task.status, 'open')
  assert.equal(task.assignee, null)

  // The resolution breach is another task.
  await h.tick(t)
  assert.deepEqual(h.now(), plus(start, hours(3)))
  const second = key(t, 'task/resolution.0/breach~0')
  assert.deepEqual((await h.engine.tasks()).map((x) => x.id), [first, second])

  h.set(plus(start, hours(4)))
  const assigned = await h.engine.assignTask(first, 'alice')
  assert.equal(assigned.assignee, 'alice')
  const closed = await h.engine.closeTask(first)
  assert.equal(closed.status, 'closed')
  assert.deepEqual(closed.closedAt, plus(start, hours(4)))
  h.set(plus(start, hours(5)))
  const again = await h.engine.closeTask(first)
  assert.deepEqual(again.closedAt, plus(start, hours(4)), 'closing twice keeps the first close')

  tasks = await h.engine.tasks({ ticket: t.id })
  assert.equal(tasks[0].status, 'closed')
  assert.equal(tasks[0].assignee, 'alice')
  assert.equal(tasks[1].status, 'open')

  await rejectsCode(h.engine.assignTask('nope', null), 'NOT_FOUND', { what: 'task' })
  assert.deepEqual(await h.engine.tasks({ tenant: 'acme' }), [])
  // Another tenant's task reads as not found.
  await rejectsCode(h.engine.closeTask(first, 'acme'), 'NOT_FOUND')
  assert.deepEqual(await h.engine.tasks({ ticket: 999 }), [])
})

// --- 15, 16. dispatch -------------------------------------------------------------------------

const ALERT_LADDER = `
[[ladder]]
name = "breach"
on = "breach"
actions = ["alert_manager", "notify_customer"]
`

test('dispatch delivers each effect once and marks it delivered', async (ctx) => {
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, firstResponsePolicy(ALERT_LADDER), start)
  const t = await h.create('high')
  await h.tick(t)
  const at = plus(start, hours(1))
  const manager = key(t, 'manager/first_response.0/breach~0')
  const customer = key(t, 'customer/first_response.0/breach~0')
  assert.deepEqual((await h.effects(t)).map((e) => e.state), ['pending', 'pending'])

  let r = await h.engine.dispatch()
  assert.deepEqual([r.claimed, r.delivered, r.retried, r.deadLettered], [2, 2, 0, 0])
  for (const e of await h.effects(t)) {
    assert.deepEqual([e.state, e.attempts, e.finishedAt], ['delivered', 1, at], e.key)
  }
  // Effects due at one instant go out in key order.
  assert.deepEqual(h.notifier.delivered().map((n) => n.key), [customer, manager])
  assert.equal(h.notifier.calls, 2)

  r = await h.engine.dispatch()
  assert.deepEqual([r.claimed, r.delivered, r.retried, r.deadLettered, r.conflicts], [0, 0, 0, 0, 0])
  h.set(plus(at, hours(1)))
  assert.equal((await h.engine.dispatch()).claimed, 0)
  assert.equal(h.notifier.calls, 2)

  assert.deepEqual((await h.entries(t, 'effect_delivered')).map((e) => e.data), [
    { type: 'effect_delivered', key: customer, attempts: 1 },
    { type: 'effect_delivered', key: manager, attempts: 1 },
  ])
})

/** A Notifier that fails every call, transiently or permanently, and counts the calls. */
class FailingNotifier {
  constructor(permanent) {
    this.permanent = permanent
    this.calls = 0
  }

  send(_notification) {
    this.calls += 1
    if (this.permanent) throw new PermanentFailure('mailbox does not exist')
    throw new Error('451 try again later')
  }
}

async function failing(ctx, permanent, maxAttempts) {
  const notifier = new FailingNotifier(permanent)
  const p = firstResponsePolicy(`
[[ladder]]
name = "breach"
on = "breach"
actions = ["alert_manager"]
`, { maxAttempts })
  assert.equal(p.toJSON().dispatch.max_attempts, maxAttempts)
  const h = makeSla(ctx, p, utc('2026-11-30T15:00:00Z'), { notifier })
  const t = await h.create('high')
  await h.tick(t)
  return [h, notifier, t]
}

test('a permanent failure dead-letters at the first attempt', async (ctx) => {
  const [h, notifier, t] = await failing(ctx, true, 8)
  const at = h.now()
  const k = key(t, 'manager/first_response.0/breach~0')
  const r = await h.engine.dispatch()
  assert.deepEqual([r.claimed, r.delivered, r.retried, r.deadLettered], [1, 0, 0, 1])
  const e = await h.effect(t, k)
  assert.equal(e.state, 'dead_lettered')
  assert.equal(e.attempts, 1)
  assert.deepEqual(e.finishedAt, at)
  assert.match(e.lastError ?? '', /mailbox does not exist/)
  assert.equal((await h.namesAt(t, at)).at(-1), 'effect_dead_lettered')
  const last = (await h.log(t)).at(-1)
  assert.equal(last.event, 'effect_dead_lettered')
  assert.deepEqual([last.data.key, last.data.attempts], [k, 1])
  h.set(plus(at, hours(2)))
  assert.equal((await h.engine.dispatch()).claimed, 0)
  assert.equal(notifier.calls, 1)
})

test('a transient failure retries with jittered backoff, then dead-letters after maxAttempts', async (ctx) => {
  const [h, notifier, t] = await failing(ctx, false, 3)
  const k = key(t, 'manager/first_response.0/breach~0')
  const first = h.now()
  let r = await h.engine.dispatch()
  assert.deepEqual([r.delivered, r.retried, r.deadLettered], [0, 1, 0])
  let e = await h.effect(t, k)
  assert.equal(e.state, 'pending')
  assert.equal(e.attempts, 1)
  let wait = e.nextAttemptAt - first
  assert.ok(wait >= 24 * SECOND && wait <= 36 * SECOND, `30 s +- 20 %, got ${wait} ms`)
  assert.match(e.lastError ?? '', /451/)
  const last = (await h.log(t)).at(-1)
  assert.deepEqual([last.event, last.data.attempts], ['effect_retrying', 1])
  assert.deepEqual(utc(last.data.retry_at), e.nextAttemptAt)

  // Not before its retry instant.
  h.set(plus(e.nextAttemptAt, -1))
  assert.equal((await h.engine.dispatch()).claimed, 0)

  h.set(e.nextAttemptAt)
  const second = h.now()
  assert.equal((await h.engine.dispatch()).retried, 1)
  e = await h.effect(t, k)
  assert.equal(e.attempts, 2)
  wait = e.nextAttemptAt - second
  assert.ok(wait >= 48 * SECOND && wait <= 72 * SECOND, `60 s +- 20 %, got ${wait} ms`)

  h.set(e.nextAttemptAt)
  const third = h.now()
  r = await h.engine.dispatch()
  assert.deepEqual([r.retried, r.deadLettered], [0, 1])
  e = await h.effect(t, k)
  assert.equal(e.state, 'dead_lettered')
  assert.equal(e.attempts, 3)
  assert.deepEqual(e.finishedAt, third)
  assert.equal(notifier.calls, 3)
  assert.equal(await h.count(t, 'effect_retrying'), 2)
  assert.equal(await h.count(t, 'effect_dead_lettered'), 1)
  h.set(plus(third, hours(1)))
  assert.equal((await h.engine.dispatch()).claimed, 0)
})

// --- 17. templates ----------------------------------------------------------------------------

test('customer text is escaped in bodies and kept on one line in subjects', async (ctx) => {
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, firstResponsePolicy(ALERT_LADDER), start)
  const subject = 'Refund <script>alert(1)</script>\r\nBcc: victim@example.com'
  const t = await h.create('high', { subject })
  await h.tick(t)
  const m = notification(await h.effect(t, key(t, 'manager/first_response.0/breach~0')))
  assert.equal(m.subject,
    `[HIGH] Ticket #${t.id} breached: Refund <script>alert(1)</script>  Bcc: victim@example.com`)
  assert.doesNotMatch(m.subject, /[\r\n]/)
  assert.ok(m.body.includes('&lt;script&gt;alert(1)&lt;'), m.body)
  assert.ok(!m.body.includes('<script'), m.body)
  const c = notification(await h.effect(t, key(t, 'customer/first_response.0/breach~0')))
  assert.doesNotMatch(c.subject, /[\r\n]/)
  assert.ok(c.body.includes('&lt;script&gt;'), c.body)
  assert.ok(!c.body.includes('<script'), c.body)
  assert.ok(c.body.includes('Dear Carla'), c.body)
  // Delivered as queued.
  await h.engine.dispatch()
  const sent = h.notifier.delivered()
  assert.equal(sent.length, 2)
  assert.deepEqual(sent.filter((n) => n.key === m.key), [m])
  assert.deepEqual(sent.filter((n) => n.key === c.key), [c])
})

// --- 18. explain ------------------------------------------------------------------------------

test('explain lists rule, calendar, holidays, pauses and segments that add up to the budget', async (ctx) => {
  const [h, t] = await holidayScenario(ctx)
  h.set(ny(2026, 12, 28, 10, 0))
  const x = await h.engine.explain(t)
  assert.equal(x.policyVersion, 'v1')
  assert.equal(x.targets.length, 1)
  const r = x.targets[0]
  assert.equal(r.target, 'resolution')
  assert.ok(r.rule.startsWith('sla.targets[1]'), r.rule)
  assert.ok(r.rule.includes('high'), r.rule)
  assert.equal(r.calendar, 'support')
  assert.equal(r.budget, '8h')
  assert.equal(r.state, 'running')
  assert.deepEqual(utc(r.started_at), ny(2026, 12, 24, 15, 0))
  assert.deepEqual(utc(r.deadline), ny(2026, 12, 28, 16, 30))
  assert.deepEqual(r.holidays_skipped, ['2026-12-25'])
  assert.deepEqual(r.pauses.map((p) => [utc(p.from), utc(p.to)]), [
    [ny(2026, 12, 24, 16, 0), ny(2026, 12, 28, 9, 30)]])
  const segments = r.segments.map(([a, b]) => [utc(a), utc(b)])
  assert.deepEqual(segments, [
    [ny(2026, 12, 24, 15, 0), ny(2026, 12, 24, 16, 0)],
    [ny(2026, 12, 28, 9, 30), ny(2026, 12, 28, 16, 30)],
  ])
  assert.equal(segments.reduce((sum, [a, b]) => sum + (b - a), 0), hours(8))
  assert.equal(r.used_seconds, 90 * 60)
  assert.equal(r.remaining_seconds, 8 * 3600 - 90 * 60)
  assert.ok(x.text.includes('holiday skipped: 2026-12-25'), x.text)
  assert.ok(x.text.includes('paused 2026-12-24T21:00:00Z'), x.text)
})

// --- 19. policy versions ----------------------------------------------------------------------

function versioned(version, resolution) {
  return policyV(version, '[sla]\ncalendar = "always"\n[sla.warnings]\npercent = [50]\n' +
    '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\n' +
    `resolution = "${resolution}"\n`)
}

test('a ticket keeps its pinned budgets under an edited policy until recalculated', async (ctx) => {
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, versioned('v1', '8h'), start)
  const t = await h.create('high')
  assert.equal(t.policyVersion, 'v1')
  h.set(plus(start, mins(10)))
  await h.agentReplied(t)
  const v2 = h.engineWith('engine-v2', versioned('v2', '6h'))

  // The v2 engine sweeps the ticket at its 50 % warning: the v1 budget stands.
  const half = plus(start, hours(4))
  h.set(half)
  assert.equal((await v2.sweep()).claimed, 1)
  const t1 = await h.ticket(t)
  assert.deepEqual(await h.namesAt(t, half), ['sla_warning'])
  let r = clockOf(t1, 'resolution', 0)
  assert.equal(r.budget, '8h')
  assert.deepEqual(r.deadline, plus(start, hours(8)))
  assert.equal(t1.policyVersion, 'v1')
  h.set(plus(half, mins(30)))
  await v2.record(t, { type: 'customer_replied' })
  assert.equal(clockOf(await h.ticket(t), 'resolution', 0).budget, '8h')

  // Recalculated: v2's budget, from the same start.
  const at = plus(start, hours(5))
  h.set(at)
  const t2 = await v2.recalculate(t)
  assert.equal(t2.policyVersion, 'v2')
  r = clockOf(t2, 'resolution', 0)
  assert.equal(r.budget, '6h')
  assert.deepEqual(r.deadline, plus(start, hours(6)))
  assert.equal(r.priority, 'high')
  assert.ok((await h.namesAt(t, at)).includes('sla_rebudgeted'))
  assert.deepEqual(t2.nextCheck, plus(start, hours(6)))
  assert.equal((await v2.explain(t)).policyVersion, 'v2')
})

test('recalculate keeps each clock priority equal to the ticket priority', async (ctx) => {
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, versioned('v1', '8h'), start)
  const t = await h.create('high')
  // First response breaches at 16:00 (still open, not stopped).
  h.set(plus(start, hours(1)))
  assert.equal(await h.sweep(), 1)
  assert.deepEqual(clockOf(await h.ticket(t), 'first_response', 0).breachedAt, plus(start, hours(1)))
  const v2 = h.engineWith('engine-v2', versioned('v2', '6h'))
  h.set(plus(start, hours(5)))
  const t2 = await v2.recalculate(t)
  assert.deepEqual(t2.sla.map((c) => [c.target, c.priority]), [
    ['first_response', 'high'], ['resolution', 'high']])
  assert.equal(clockOf(t2, 'resolution', 0).budget, '6h')
})

// --- 20. drafts -------------------------------------------------------------------------------

test('a draft has no clocks until submitted, and they start at the submission', async (ctx) => {
  const p = policy(`[sla]\ncalendar = "always"\n${NO_WARNINGS}` +
    '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\nresolution = "8h"\n')
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, p, start)
  const t = await h.create('high', { subject: 'Draft question', draft: true })
  assert.equal(t.status, 'draft')
  assert.deepEqual(t.sla, [])
  assert.equal(t.policyVersion, null)
  assert.equal(t.nextCheck, null)
  h.set(plus(start, hours(3)))
  assert.equal(await h.sweep(), 0)
  assert.deepEqual((await h.ticket(t)).sla, [])

  const submitted = plus(start, hours(4))
  h.set(submitted)
  const t1 = await h.status(t, 'new')
  assert.equal(t1.status, 'in_progress', 'assigned on submission')
  assert.equal(t1.policyVersion, 'v1')
  const fr = clockOf(t1, 'first_response', 0)
  assert.deepEqual(fr.startedAt, submitted)
  assert.deepEqual(fr.deadline, plus(submitted, hours(1)))
  const res = clockOf(t1, 'resolution', 0)
  assert.deepEqual(res.startedAt, submitted)
  assert.deepEqual(res.deadline, plus(submitted, hours(8)))
  assert.deepEqual(t1.nextCheck, plus(submitted, hours(1)))
  assert.deepEqual((await h.entries(t, 'sla_started')).map((e) => e.at), [submitted, submitted])
})

// --- 21. resolved, reopened, closed -----------------------------------------------------------

test('resolved tickets are never due, and reopening resumes resolution with the time used', async (ctx) => {
  const p = policy(`[sla]\ncalendar = "always"\n${NO_WARNINGS}` +
    '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\nresolution = "4h"\n')
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, p, start)
  const t = await h.create('high')
  h.set(plus(start, mins(10)))
  await h.agentReplied(t)
  const resolvedAt = plus(start, hours(1))
  h.set(resolvedAt)
  const t1 = await h.engine.resolve(t, { summary: 'Explained the invoice', rootCause: 'other', by: 'alice' })
  assert.equal(t1.nextCheck, null)
  let r = clockOf(t1, 'resolution', 0)
  assert.deepEqual(r.stoppedAt, resolvedAt)
  assert.equal(r.consumedMs, hours(1))
  assert.equal(r.deadline, null)
  const stopped = (await h.entries(t, 'sla_stopped'))
    .filter((e) => e.at.getTime() === resolvedAt.getTime()).map((e) => e.data)
  assert.deepEqual(stopped, [{
    type: 'sla_stopped', target: 'resolution', cycle: 0, used_seconds: 3600, met: true,
  }])
  // Far past the old deadline, nothing is due and nothing breaches.
  h.set(plus(start, hours(10)))
  assert.equal(await h.sweep(), 0)
  assert.equal(await h.count(t, 'sla_breached'), 0)

  // Reopened at +10 h: 3 h left.
  const reopened = plus(start, hours(10))
  const t2 = await h.status(t, 'in_progress')
  assert.equal(t2.resolution, null)
  assert.equal(t2.resolvedAt, null)
  r = clockOf(t2, 'resolution', 0)
  assert.equal(r.stoppedAt, null)
  assert.deepEqual(r.runningSince, reopened)
  assert.equal(r.consumedMs, hours(1))
  assert.deepEqual(r.deadline, plus(reopened, hours(3)))
  assert.notEqual(clockOf(t2, 'first_response', 0).stoppedAt, null, 'first response stays met')
  assert.deepEqual(t2.nextCheck, plus(reopened, hours(3)))
  assert.deepEqual(await h.namesAt(t, reopened), ['status_changed', 'sla_resumed'])

  // Closed: never due again, and events are refused.
  h.set(plus(reopened, hours(1)))
  const t3 = await h.status(t, 'closed')
  assert.equal(t3.nextCheck, null)
  assert.equal(clockOf(t3, 'resolution', 0).consumedMs, hours(2))
  h.set(plus(reopened, hours(10)))
  assert.equal(await h.sweep(), 0)
  await rejectsCode(h.customerReplied(t), 'INVALID_INPUT', { field: 'event' })
  assert.equal(await h.count(t, 'sla_breached'), 0)
})

// --- 22. the priority trigger -----------------------------------------------------------------

test('the priority trigger pages a critical ticket at intake, once', async (ctx) => {
  const p = policy(`
[sla]
calendar = "always"
${NO_WARNINGS}
[[sla.targets]]
resolution = "8h"

[[ladder]]
name = "page-on-critical"
on = "priority"
min_priority = "critical"
actions = ["page"]
page = { repeat_every = "15m", max_repeats = 1, ack_timeout = "8h" }
`)
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, p, start)
  const t = await h.create('critical')
  const page = key(t, 'page/ticket/page-on-critical~0')
  assert.equal(t.pages.length, 1)
  assert.equal(t.pages[0].key, page)
  assert.deepEqual(t.pages[0].triggeredAt, start)
  assert.deepEqual(await h.effectKeys(t), [`${page}/0`])
  const e = await h.effect(t, `${page}/0`)
  assert.equal(e.kind, 'page_trigger')
  assert.ok(e.page)
  assert.deepEqual([e.page.severity, e.page.repeat], ['critical', 0])
  assert.deepEqual(e.notBefore, start)
  assert.equal((await h.engine.dispatch()).delivered, 1)
  assert.equal(h.pager.isOpen(page), true)

  for (const m of [5, 20, 60]) {
    h.set(plus(start, mins(m)))
    await h.customerReplied(t)
    await h.sweep()
  }
  assert.equal(await h.count(t, 'level_fired'), 1)
  assert.equal((await h.effects(t)).length, 1)
  assert.equal((await h.ticket(t)).fired.length, 1)

  // A High ticket is not paged, until the host raises it to Critical.
  const u = await h.create('high')
  assert.deepEqual(u.pages, [])
  assert.deepEqual(await h.effects(u), [])
  const raisedAt = plus(start, mins(70))
  h.set(raisedAt)
  const u1 = await h.engine.record(u, {
    type: 'priority_overridden', priority: 'critical', by: 'host-user', reason: 'VIP',
  })
  assert.equal(u1.pages.length, 1)
  assert.deepEqual(u1.pages[0].triggeredAt, raisedAt)
  assert.deepEqual(await h.effectKeys(u), [key(u, 'page/ticket/page-on-critical~0/0')])
})

// --- 23. logRange -----------------------------------------------------------------------------

test("logRange returns one tenant's entries in time order within [from, to)", async (ctx) => {
  const p = policy(`[sla]\ncalendar = "always"\n${NO_WARNINGS}` +
    '[[sla.targets]]\npriority = "high"\nfirst_response = "1h"\n')
  const start = utc('2026-11-30T15:00:00Z')
  const h = makeSla(ctx, p, start)
  const a = await h.create('high')
  h.set(plus(start, mins(5)))
  await h.customerReplied(a)
  h.set(plus(start, mins(10)))
  const other = await h.engine.createTicket({
    customer: 'c-9', category: 'billing', subject: 'Other tenant', channel: 'chat', impact: 'bug',
    priority: 'high', tenant: 'acme', receivedAt: h.now(),
  })
  h.set(plus(start, mins(20)))
  const b = await h.create('high')
  h.set(plus(start, mins(25)))
  await h.customerReplied(a)
  h.set(plus(start, mins(30)))
  await h.customerReplied(b)

  const logRange = (from, to) => h.engine.logRange(from, to)
  const countAt = async (t, at) => (await h.namesAt(t, at)).length
  const countA0 = await countAt(a, start)
  const countB0 = await countAt(b, plus(start, mins(20)))
  assert.ok(countA0 > 0 && countB0 > 0)

  // [start, start + 20 m): ticket a only; b's intake at +20 m is excluded.
  const first = await logRange(start, plus(start, mins(20)))
  assert.equal(first.length, countA0 + 1)
  assert.ok(first.every(({ ticket }) => ticket === a.id))
  assert.deepEqual(first.at(-1).entry.at, plus(start, mins(5)))

  const everything = await logRange(start, plus(start, mins(31)))
  const expected = [
    ...Array(countA0).fill([a.id, start]),
    [a.id, plus(start, mins(5))],
    ...Array(countB0).fill([b.id, plus(start, mins(20))]),
    [a.id, plus(start, mins(25))],
    [b.id, plus(start, mins(30))],
  ]
  assert.deepEqual(everything.map(({ ticket, entry }) => [ticket, entry.at]), expected)
  // Within one ticket and instant, the log's own order is kept.
  assert.deepEqual(everything.filter(({ ticket }) => ticket === a.id).map(({ entry }) => entry), await h.log(a))

  const acmeLog = await h.engine.logRange(start, plus(start, hours(1)), 'acme')
  assert.notDeepEqual(acmeLog, [])
  assert.ok(acmeLog.every(({ ticket }) => ticket === other.id))
  assert.deepEqual(await logRange(plus(start, mins(31)), plus(start, hours(1))), [])
  assert.deepEqual(await logRange(plus(start, mins(30)), plus(start, mins(30))), [])
  // The other tenant's ticket does not exist in the default tenant.
  assert.ok(![a.id, b.id].includes(other.id))
  await rejectsCode(h.engine.log(other.id), 'NOT_FOUND')
})
