// Ports written in JavaScript (the Node port of bindings-python/tests/test_ports.py): sync
// and async (Promise-returning) methods; throws and rejections (retried), PermanentFailure
// (dead-lettered at the first attempt), answers the engine cannot read, and methods that do
// not answer before the policy's timeout. Time moves only on the manual clock.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import {
  Desk,
  Engine,
  MINUTE,
  MemoryStore,
  PermanentFailure,
  START,
  utc,
  waitUntil,
} from './engine_support.mjs'

const CARLA = {
  customer: 'c-1', tier: 'vip', lifetimeValue: 5000,
  customerSince: '2019-05-01T00:00:00Z', contact: { name: 'Carla' },
}

/** A ProfileSource that knows c-1 and records its calls. */
class Profiles {
  calls = []
  getProfile(customerId, tenant) {
    this.calls.push([customerId, tenant])
    return customerId === 'c-1' ? CARLA : null
  }
}

/** A Notifier that fails its first `failures` calls with `error` (thrown, or rejected when async). */
class Outbox {
  sent = []
  tenants = []
  constructor({ failures = 0, error = new Error('smtp down'), async = false } = {}) {
    Object.assign(this, { failures, error, async })
  }

  send(notification, tenant) {
    const deliver = () => {
      if (this.failures > 0) {
        this.failures -= 1
        throw this.error
      }
      this.sent.push(notification)
      this.tenants.push(tenant)
    }
    if (!this.async) return deliver()
    return Promise.resolve().then(deliver)
  }
}

/** A Pager with an async trigger and a sync resolve. */
class Pages {
  calls = []
  async trigger(page) {
    await null
    this.calls.push(['trigger', page])
  }

  resolve(dedupKey, tenant) {
    this.calls.push(['resolve', dedupKey, tenant])
  }
}

/** An AgentDirectory with Zed (Tier 1) and Yan (Tier 2), and team t managed by Tim. */
class Staff {
  agents(tenant) {
    assert.equal(typeof tenant, 'string')
    return [
      { id: 'zed', name: 'Zed', tier: 'tier1', team: 't', generalist: true },
      { id: 'yan', name: 'Yan', tier: 'tier2', team: 't', generalist: true },
    ]
  }

  async team(teamId) {
    return { id: teamId, name: 'T', manager: { name: 'Tim', email: 'tim@x.invalid' } }
  }
}

/** A Promise and its resolve function. */
function deferred() {
  let resolve
  const promise = new Promise((r) => { resolve = r })
  return { promise, resolve }
}

test('ports written in JavaScript serve the whole workflow', async (ctx) => {
  const profiles = new Profiles()
  const outbox = new Outbox()
  const pages = new Pages()
  const desk = new Desk(new MemoryStore(), { profiles, notifier: outbox, pager: pages, directory: new Staff() })
  const engine = desk.engine(ctx)
  const t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'critical' })
  assert.deepEqual(profiles.calls, [['c-1', 'default']])
  assert.deepEqual([t.profileState, t.assignee], ['known', 'zed'])
  assert.deepEqual([t.profile.tier, t.profile.customerSince], ['vip', utc('2019-05-01T00:00:00Z')])
  const other = await engine.createTicket({ customer: 'c-9', category: 'x', subject: 's', tenant: 'acme' })
  assert.equal(other.profileState, 'not_found')
  assert.deepEqual(profiles.calls.at(-1), ['c-9', 'acme'])

  desk.clock.set(utc('2026-11-30T15:30:00Z'))
  await engine.sweep()
  assert.ok((await engine.dispatch()).delivered >= 3)
  const kinds = new Set(outbox.sent.map((n) => n.kind))
  assert.ok(kinds.has('manager_alert') && kinds.has('customer_notice'))
  const alert = outbox.sent.find((n) => n.kind === 'manager_alert')
  assert.deepEqual(alert.to, { name: 'Tim', email: 'tim@x.invalid' })
  assert.ok(outbox.tenants.every((tenant) => tenant === 'default'))
  const [[call, page], ...rest] = pages.calls
  assert.equal(rest.length, 0)
  assert.deepEqual([call, page.ticket, page.repeat, page.severity], ['trigger', t.id, 0, 'critical'])

  await engine.resolve(t, { summary: 'done', rootCause: 'other', by: 'zed' })
  await engine.dispatch()
  assert.deepEqual(pages.calls.at(-1), ['resolve', page.dedupKey, 'default'])
})

test('async ports: many calls at once on one event loop', async (ctx) => {
  const outbox = new Outbox({ async: true })
  const pages = new Pages()
  const profiles = { getProfile: async (id) => (id === 'c-1' ? { ...CARLA, customerSince: Date.UTC(2019, 4, 1) } : null) }
  const desk = new Desk(new MemoryStore(), { profiles, notifier: outbox, pager: pages })
  const engine = desk.engine(ctx)
  const tickets = await Promise.all([1, 2, 3].map((i) =>
    engine.createTicket({ customer: 'c-1', category: 'billing', subject: `#${i}`, priority: 'critical' })))
  assert.ok(tickets.every((t) => t.profileState === 'known'))
  assert.deepEqual(tickets[0].profile.customerSince, utc('2019-05-01T00:00:00Z'))
  desk.clock.set(utc('2026-11-30T15:30:00Z'))
  await engine.sweep()
  const reports = await Promise.all([engine.dispatch(), engine.dispatch()])
  const delivered = reports.reduce((n, r) => n + r.delivered, 0)
  assert.ok(delivered >= 9)
  assert.equal(outbox.sent.length + pages.calls.length, delivered)
  assert.equal(pages.calls.length, 3)
})

for (const async of [false, true]) {
  const how = async ? 'rejects' : 'throws'

  test(`a port that ${how} is retried; a PermanentFailure is dead-lettered at once`, async (ctx) => {
    const flaky = new Outbox({ failures: 1, async })
    let desk = new Desk(new MemoryStore(), { notifier: flaky })
    let engine = desk.engine(ctx)
    let t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'critical' })
    desk.clock.set(utc('2026-11-30T15:30:00Z'))
    await engine.sweep()
    const first = await engine.dispatch()
    assert.deepEqual([first.retried, first.deadLettered], [1, 0])
    const [failed, ...others] = (await engine.effects(t)).filter((e) => e.state === 'pending')
    assert.equal(others.length, 0)
    assert.equal(failed.attempts, 1)
    assert.match(failed.lastError, /^Notifier failed: send\(\): Error: smtp down$/)
    desk.clock.set(failed.nextAttemptAt)
    assert.equal((await engine.dispatch()).delivered, 1)
    assert.ok((await engine.effects(t)).filter((e) => e.kind === 'notify').every((e) => e.state === 'delivered'))

    for (const error of [new PermanentFailure('mailbox does not exist'), { permanent: true, message: 'no' }]) {
      const refused = new Outbox({ failures: 100, error, async })
      desk = new Desk(new MemoryStore(), { notifier: refused })
      engine = desk.engine(ctx)
      t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'critical' })
      desk.clock.set(utc('2026-11-30T15:30:00Z'))
      await engine.sweep()
      const report = await engine.dispatch()
      const notices = (await engine.effects(t)).filter((e) => e.kind === 'notify')
      assert.ok(notices.length >= 2)
      assert.deepEqual([report.deadLettered, report.retried], [notices.length, 0])
      assert.ok(notices.every((e) => e.attempts === 1 && e.state === 'dead_lettered'))
      assert.equal(refused.failures, 100 - notices.length)
    }
    assert.match((await engine.effects(t)).find((e) => e.kind === 'notify').lastError, /object Object|no/)
  })
}

test('PermanentFailure is an Error that says "do not retry"', () => {
  const err = new PermanentFailure('gone', { cause: 'x' })
  assert.ok(err instanceof Error && err instanceof PermanentFailure)
  assert.deepEqual([err.name, err.message, err.permanent, err.cause], ['PermanentFailure', 'gone', true, 'x'])
  assert.match(String(err), /^PermanentFailure: gone$/)
})

test('a profile source that throws leaves the ticket scored, and is asked again later', async (ctx) => {
  let calls = 0
  const broken = {
    getProfile() {
      calls += 1
      if (calls === 1) throw new TypeError('CRM unreachable')
      return null
    },
  }
  const desk = new Desk(new MemoryStore(), { profiles: broken })
  const engine = desk.engine(ctx)
  const t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's' })
  assert.equal(t.profileState, 'unavailable')
  const log = await engine.log(t)
  assert.ok(log.some((e) => JSON.stringify(e.data).includes('getProfile(): TypeError: CRM unreachable')))
  desk.clock.advance(5 * MINUTE) // intake.profile_retry_seconds = 300
  assert.equal((await engine.sweep()).profilesFetched, 0) // the retry answered "not found"
  assert.equal((await engine.ticket(t)).profileState, 'not_found')
  assert.equal(calls, 2)
})

test('answers the engine cannot read, and odd throws, are retryable failures', async (ctx) => {
  let desk = new Desk(new MemoryStore(), {
    profiles: { getProfile: () => ({ customer: 'c-1' }) },
    directory: { agents: () => 'nobody' },
  })
  let engine = desk.engine(ctx)
  let t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's' })
  assert.equal(t.profileState, 'unavailable')
  assert.deepEqual([t.status, t.assignee], ['new', null])
  assert.ok(t.routeRetryAt instanceof Date)
  const text = JSON.stringify(await engine.log(t))
  assert.match(text, /getProfile\(\) answered invalid profile: missing field/)
  assert.match(text, /agents\(\) answered invalid agents: must be an array of agents/)

  desk = new Desk(new MemoryStore(), {
    notifier: {
      send() {
        throw 'a string' // eslint-disable-line no-throw-literal
      },
    },
  })
  engine = desk.engine(ctx)
  t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'critical' })
  desk.clock.set(utc('2026-11-30T15:30:00Z'))
  await engine.sweep()
  const report = await engine.dispatch()
  assert.ok(report.retried >= 1)
  const notice = (await engine.effects(t)).find((e) => e.kind === 'notify')
  assert.equal(notice.lastError, 'Notifier failed: send(): a string')
})

test('a profile source that does not answer in time is given up on; its late answer is ignored', async (ctx) => {
  const entered = deferred()
  const late = deferred()
  const slow = {
    getProfile() {
      entered.resolve()
      return late.promise
    },
  }
  const desk = new Desk(new MemoryStore(), { profiles: slow })
  const engine = desk.engine(ctx)
  const intake = engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's' })
  await entered.promise
  desk.clock.advance(2000) // intake.profile_timeout_ms
  const t = await intake
  assert.equal(t.profileState, 'unavailable')
  const unavailable = (await engine.log(t)).find((e) => e.event === 'profile_unavailable')
  assert.match(JSON.stringify(unavailable.data), /ProfileSource timed out after 2000 ms/)
  late.resolve(CARLA) // nobody listens any more
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal((await engine.ticket(t)).profileState, 'unavailable')
})

test('a notifier that does not answer in time is retried', async (ctx) => {
  let entered = false
  const hanging = {
    send() {
      entered = true
      return new Promise(() => {}) // never settles
    },
  }
  const desk = new Desk(new MemoryStore(), { notifier: hanging })
  const engine = desk.engine(ctx)
  const t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'critical' })
  desk.clock.set(utc('2026-11-30T15:30:00Z'))
  await engine.sweep()
  let report
  const dispatch = engine.dispatch().then((r) => { report = r })
  await waitUntil(() => entered)
  // Each notification waits at most dispatch.timeout_ms (10 s) on the engine's clock.
  await waitUntil(() => {
    desk.clock.advance(10_000)
    return report !== undefined
  })
  await dispatch
  assert.ok(report.retried >= 1)
  const timedOut = (await engine.effects(t)).filter((e) => e.lastError?.includes('10000 ms'))
  assert.ok(timedOut.length >= 1)
})

test('ports missing a method are refused at construction', () => {
  assert.throws(() => new Engine({ pager: { resolve() {} } }), (err) =>
    err instanceof TypeError && err.code === 'INVALID_INPUT' && /Pager needs a method trigger\(\)/.test(err.message))
  assert.throws(() => new Engine({ profiles: {} }), { code: 'INVALID_INPUT', field: 'profiles', message: /getProfile/ })
  assert.throws(() => new Engine({ directory: { team() {} } }), { field: 'directory', message: /agents\(\)/ })
  assert.throws(() => new Engine({ notifier: 'smtp' }), { code: 'INVALID_INPUT', field: 'notifier' })
  // team() is optional.
  assert.ok(new Engine({ directory: { agents: () => [] } }))
})

test('methods keep their object as `this`, and get the tenant last', async (ctx) => {
  const outbox = new Outbox()
  const desk = new Desk(new MemoryStore(), { notifier: outbox })
  desk.directory.addAgent({ id: 'ann', name: 'Ann', tier: 'tier1', team: 'a', generalist: true }, 'acme')
  desk.directory.addTeam({ id: 'a', name: 'A', manager: { name: 'Max' } }, 'acme')
  const engine = desk.engine(ctx)
  await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'critical', tenant: 'acme' })
  desk.clock.set(utc('2026-11-30T15:30:00Z'))
  await engine.sweep()
  await engine.dispatch()
  assert.ok(outbox.sent.length >= 1)
  assert.ok(outbox.tenants.every((tenant) => tenant === 'acme'))
})

test('after close, the ports are released and calls to them fail retryably', async () => {
  const outbox = new Outbox()
  const desk = new Desk(new MemoryStore(), { notifier: outbox })
  const engine = desk.engine()
  const t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'critical' })
  desk.clock.set(utc('2026-11-30T15:30:00Z'))
  await engine.sweep()
  await engine.close()
  await engine.close() // twice is fine
  const report = await engine.dispatch()
  assert.ok(report.retried >= 1)
  assert.equal(outbox.sent.length, 0)
  const notice = (await engine.effects(t)).find((e) => e.kind === 'notify')
  assert.match(notice.lastError, /the engine is closed/)
  assert.deepEqual(START, utc('2026-11-30T15:00:00Z'))
})
