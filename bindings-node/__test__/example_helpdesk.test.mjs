// The node:http helpdesk example (examples/node/helpdesk.mjs), driven over loopback with fetch()
// on an engine with a ManualClock and a MemoryStore: no sleeps, no wall clock. The mirror of
// bindings-python/tests/test_example_helpdesk.py.
//
// The example runs on the repository's policy (examples/policy.toml): a High ticket of an
// enterprise customer gets a 2 h first-response budget on the New York support calendar
// (Mon-Fri 09:00-17:00), warnings at 75 % and 90 %, and on breach a task, a manager alert, a
// customer notice and a move to Tier 2 (none here, so a "tier2-exhausted" manager alert).
// The last test runs the example as a process (its run loop on the system clock and a SQLite
// file) and stops it with SIGINT.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

import { escalation } from './scenario_support.mjs'
import {
  HTTP_STATUS, OutboxNotifier, POLICY_PATH, buildEngine, createServer,
} from '../../examples/node/helpdesk.mjs'

const { ManualClock, MemoryPager, MemoryStore } = escalation

const EXAMPLE = fileURLToPath(new URL('../../examples/node/helpdesk.mjs', import.meta.url))
/** Monday 30 Nov 2026, 10:00 in New York: business hours. */
const START = new Date('2026-11-30T15:00:00Z')
const NEW_TICKET = {
  customer: 'acme', category: 'billing', subject: 'Invoice is wrong', impact: 'bug', channel: 'web_form',
}

/** The example on a fresh engine and a loopback port, torn down when the test ends. */
async function openDesk(ctx) {
  const clock = new ManualClock(START)
  const notifier = new OutboxNotifier({ quiet: true })
  const pager = new MemoryPager()
  const engine = buildEngine({ store: new MemoryStore(), clock, notifier, pager })
  const server = createServer({ engine })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${server.address().port}`
  ctx.after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await engine.close()
  })
  const request = (method, path, body, type = 'application/json') => fetch(base + path, {
    method,
    ...(body === undefined ? {} : {
      headers: { 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  })
  const desk = {
    clock, notifier, pager, engine,
    get: (path) => request('GET', path),
    post: (path, body, type) => request('POST', path, body, type),
    async create() {
      const r = await desk.post('/tickets', NEW_TICKET)
      const t = await r.json()
      assert.equal(r.status, 201, JSON.stringify(t))
      return t
    },
    async sweep() {
      const r = await desk.post('/sweep')
      const result = await r.json()
      assert.equal(r.status, 200, JSON.stringify(result))
      return result
    },
  }
  return desk
}

/** A record as the example answers it: through JSON. */
const asJson = (value) => JSON.parse(JSON.stringify(value))

test('the example uses the repository policy', () => {
  assert.equal(POLICY_PATH, fileURLToPath(new URL('../../examples/policy.toml', import.meta.url)))
  assert.ok(existsSync(POLICY_PATH))
})

test('create, read and record an event', async (ctx) => {
  const desk = await openDesk(ctx)
  const t = await desk.create()
  assert.deepEqual([t.customer, t.category, t.channel, t.impact], ['acme', 'billing', 'web_form', 'bug'])
  assert.equal(t.status, 'in_progress')
  assert.equal(t.assignee, 'alice')
  assert.equal(t.priority, 'high')
  assert.equal(t.policyVersion, '2026-11')
  assert.equal(t.createdAt, '2026-11-30T15:00:00.000Z')
  const clocks = Object.fromEntries(t.sla.map((c) => [c.target, [c.budget, c.deadline]]))
  // 2 h from Monday 10:00 New York: 12:00 (17:00 UTC); 2 business days: Tuesday 8 Dec 10:00
  // (Thanksgiving, 26 Nov, is already behind).
  assert.deepEqual(clocks, {
    first_response: ['2h', '2026-11-30T17:00:00.000Z'],
    resolution: ['2days', '2026-12-08T15:00:00.000Z'],
  })
  // The 75 % warning of the first response is the next thing due: 1 h 30 m in.
  assert.equal(t.nextCheck, '2026-11-30T16:30:00.000Z')

  const r = await desk.get(`/tickets/${t.id}`)
  assert.equal(r.status, 200)
  assert.match(r.headers.get('content-type'), /^application\/json/)
  const read = await r.json()
  assert.deepEqual(read, t)
  assert.deepEqual(read, asJson(await desk.engine.ticket(t.id)))

  desk.clock.set(new Date('2026-11-30T15:20:00Z'))
  const r2 = await desk.post(`/tickets/${t.id}/events`, { type: 'agent_replied', agent: 'alice' })
  const reply = await r2.json()
  assert.equal(r2.status, 200, JSON.stringify(reply))
  assert.equal(reply.version, t.version + 1)
  const first = reply.sla.find((c) => c.target === 'first_response')
  assert.equal(first.stoppedAt, '2026-11-30T15:20:00.000Z')
  assert.deepEqual((await desk.engine.log(t.id)).map((e) => e.event).slice(-2), ['agent_replied', 'sla_stopped'])
})

test('a warning, then a breach, reach the JS notifier through POST /sweep', async (ctx) => {
  const desk = await openDesk(ctx)
  const t = await desk.create()
  const tid = t.id
  assert.equal((await desk.sweep()).sweep.claimed, 0, 'nothing is due yet')
  assert.deepEqual(desk.notifier.outbox, [])

  // 75 % of the 2 h budget: Alice is warned.
  desk.clock.set(new Date('2026-11-30T16:30:00Z'))
  let result = await desk.sweep()
  assert.equal(result.sweep.claimed, 1)
  assert.deepEqual([result.dispatch.delivered, result.dispatch.deadLettered], [1, 0])
  assert.equal(desk.notifier.outbox.length, 1)
  const [warning] = desk.notifier.outbox
  assert.equal(warning.key, `default/${tid}/agent/first_response.0/warn-assignee~0`)
  assert.equal(warning.kind, 'agent_warning')
  assert.equal(warning.to.email, 'alice@example.com')

  // The deadline second: the breach ladder fires. (This sweep comes after the 90 % and
  // "15m before" instants too, but the clock has breached: no more warnings.)
  desk.clock.set(new Date('2026-11-30T17:00:00Z'))
  result = await desk.sweep()
  assert.equal(result.sweep.claimed, 1)
  assert.deepEqual([result.dispatch.delivered, result.dispatch.deadLettered], [3, 0])
  const breach = `default/${tid}/manager/first_response.0/breach~0`
  const notice = `default/${tid}/customer/first_response.0/breach~0`
  const exhausted = `default/${tid}/manager/ticket/tier2-exhausted~0`
  // Effects due at one instant go out in key order.
  assert.deepEqual(desk.notifier.outbox.map((n) => n.key), [warning.key, notice, breach, exhausted])
  const sent = Object.fromEntries(desk.notifier.outbox.map((n) => [n.key, n]))
  assert.equal(sent[breach].kind, 'manager_alert')
  assert.deepEqual([sent[breach].to.name, sent[breach].to.email, sent[breach].to.phone ?? null],
    ['Mona', 'mona@example.com', null])
  assert.equal(sent[breach].subject, `[HIGH] Ticket #${tid} breached: Invoice is wrong`)
  assert.equal(sent[notice].kind, 'customer_notice')
  assert.equal(sent[notice].to.email, 'carla@acme.example')
  assert.equal(sent[notice].subject, `Your request #${tid} has been escalated`)
  assert.equal(sent[exhausted].kind, 'manager_alert')

  const ticket = await (await desk.get(`/tickets/${tid}`)).json()
  const first = ticket.sla.find((c) => c.target === 'first_response')
  assert.equal(first.breachedAt, '2026-11-30T17:00:00.000Z')
  assert.ok((await desk.engine.effects(tid)).every((e) => e.state === 'delivered'))

  // Nothing is delivered twice.
  const count = desk.notifier.outbox.length
  result = await desk.sweep()
  assert.equal(result.dispatch.claimed, 0)
  assert.equal(desk.notifier.outbox.length, count)
})

test('the outbox drops a repeated delivery by notification key', () => {
  const outbox = new OutboxNotifier({ quiet: true })
  const n = { key: 'default/1/agent/x~0', to: { name: 'Alice' }, subject: 's', body: 'b', kind: 'agent_warning' }
  outbox.send(n)
  outbox.send({ ...n })
  outbox.send({ ...n, key: 'default/1/agent/x~1' })
  assert.deepEqual(outbox.outbox.map((x) => x.key), ['default/1/agent/x~0', 'default/1/agent/x~1'])
})

test('resolve', async (ctx) => {
  const desk = await openDesk(ctx)
  const t = await desk.create()
  desk.clock.set(new Date('2026-11-30T16:00:00Z'))
  const r = await desk.post(`/tickets/${t.id}/resolve`, {
    summary: 'Reissued the invoice', rootCause: 'configuration', by: 'alice',
  })
  const body = await r.json()
  assert.equal(r.status, 200, JSON.stringify(body))
  assert.equal(body.status, 'resolved')
  assert.equal(body.resolvedAt, '2026-11-30T16:00:00.000Z')
  assert.deepEqual(body.resolution, {
    summary: 'Reissued the invoice', root_cause: 'configuration', by: 'alice', at: '2026-11-30T16:00:00Z',
  })
  assert.equal(body.nextCheck ?? null, null)
})

test('errors are JSON with code and message', async (ctx) => {
  const desk = await openDesk(ctx)
  const t = await desk.create()
  const tid = t.id

  async function check(response, status, code, ...words) {
    const r = await response
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/)
    const body = await r.json()
    assert.equal(r.status, status, JSON.stringify(body))
    assert.deepEqual(Object.keys(body).sort(), ['code', 'message'])
    assert.equal(body.code, code, body.message)
    for (const word of words) assert.ok(body.message.includes(word), `${word} not in: ${body.message}`)
  }

  // 400: the engine's INVALID_INPUT, and the example's own checks.
  await check(desk.post('/tickets', { ...NEW_TICKET, impact: 'meh' }), 400, 'INVALID_INPUT', 'impact', 'meh')
  await check(desk.post('/tickets', { customer: 'acme' }), 400, 'INVALID_INPUT', 'category', 'subject')
  await check(desk.post('/tickets', 'not json', 'text/plain'), 400, 'INVALID_INPUT')
  await check(desk.post('/tickets', [1, 2]), 400, 'INVALID_INPUT', 'JSON object')
  await check(desk.post(`/tickets/${tid}/events`, { type: 'nope' }), 400, 'INVALID_INPUT', 'nope')
  await check(desk.post(`/tickets/${tid}/resolve`, { summary: 'x', rootCause: 'gremlins', by: 'alice' }),
    400, 'INVALID_INPUT', 'root_cause', 'gremlins')
  await check(desk.get('/reports/weekly?year=2026'), 400, 'INVALID_INPUT', 'week')
  // (The binding checks the range first, 0..=53; Python's message names 2026-W60.)
  await check(desk.get('/reports/weekly?year=2026&week=60'), 400, 'INVALID_INPUT', 'week', '60')
  await check(desk.get('/reports/weekly?year=2027&week=53'), 400, 'INVALID_INPUT', '2027-W53')
  await check(desk.get('/reports/weekly?year=2026&week=x'), 400, 'INVALID_INPUT', 'week')
  await check(desk.get('/reports/weekly?year=2026&week=49&format=pdf'), 400, 'INVALID_INPUT', 'pdf')

  // 404: an unknown ticket, on every ticket route; an unknown route.
  await check(desk.get('/tickets/999'), 404, 'NOT_FOUND', '999')
  await check(desk.post('/tickets/999/events', { type: 'customer_replied' }), 404, 'NOT_FOUND', '999')
  await check(desk.post('/tickets/999/resolve', { summary: 'x', rootCause: 'other', by: 'alice' }),
    404, 'NOT_FOUND', '999')
  await check(desk.get('/nowhere'), 404, 'NOT_FOUND', '/nowhere')
  await check(desk.get('/sweep'), 405, 'METHOD_NOT_ALLOWED')

  // 409: a status change the transition table refuses.
  await check(desk.post(`/tickets/${tid}/events`, { type: 'status_changed', to: 'draft', by: 'alice' }),
    409, 'INVALID_TRANSITION', 'in_progress', 'draft')
  // The refused requests changed nothing.
  assert.deepEqual(asJson(await desk.engine.ticket(tid)), t)
})

test('the error table maps each code to its status', () => {
  assert.deepEqual(
    ['INVALID_INPUT', 'POLICY_INVALID', 'NOT_FOUND', 'INVALID_TRANSITION', 'CONFLICT'].map((c) => HTTP_STATUS[c]),
    [400, 400, 404, 409, 409])
})

test('weekly report in Markdown and HTML', async (ctx) => {
  const desk = await openDesk(ctx)
  const t = await desk.create()
  desk.clock.set(new Date('2026-11-30T17:00:00Z'))
  await desk.sweep() // the first response breaches
  desk.clock.set(new Date('2026-11-30T18:00:00Z'))
  const resolved = await desk.post(`/tickets/${t.id}/resolve`, { summary: 'Fixed', rootCause: 'configuration', by: 'alice' })
  assert.equal(resolved.status, 200)

  let r = await desk.get('/reports/weekly?year=2026&week=49')
  assert.equal(r.status, 200)
  assert.match(r.headers.get('content-type'), /^text\/markdown/)
  const text = await r.text()
  assert.ok(text.startsWith('# Weekly escalation report — default, 2026-W49\n'), text)
  assert.ok(text.includes('- **1** tickets created, **1** resolved.'), text)
  assert.ok(text.includes('| billing | 2 | 0 | new |'), text)
  assert.ok(text.includes('| configuration | 1 | 100.0 % |'), text)
  assert.equal(await (await desk.get('/reports/weekly?year=2026&week=49&format=md')).text(), text)

  r = await desk.get('/reports/weekly?year=2026&week=49&format=html')
  assert.equal(r.status, 200)
  assert.match(r.headers.get('content-type'), /^text\/html/)
  const html = await r.text()
  assert.ok(html.startsWith('<!DOCTYPE html>'), html.slice(0, 200))
  assert.ok(html.includes('2026-W49'))

  // An empty week renders too.
  r = await desk.get('/reports/weekly?year=2026&week=40')
  assert.equal(r.status, 200)
  assert.ok((await r.text()).includes('- **0** tickets created, **0** resolved.'))
})

test('run directly, it serves with its run loop and exits cleanly on SIGINT', { timeout: 60_000 }, async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'helpdesk-'))
  ctx.after(() => rmSync(dir, { recursive: true, force: true }))
  const child = spawn(process.execPath, [EXAMPLE], {
    env: { ...process.env, PORT: '0', HELPDESK_DB: join(dir, 'helpdesk.db') },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  ctx.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      const m = stdout.match(/listening on http:\/\/localhost:(\d+)/)
      if (m) resolve(Number(m[1]))
    })
    exited.then(({ code, signal }) => reject(new Error(`exited early (${code ?? signal}): ${stdout}${stderr}`)))
  })

  const base = `http://127.0.0.1:${port}`
  const created = await fetch(`${base}/tickets`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(NEW_TICKET),
  })
  const t = await created.json()
  assert.equal(created.status, 201, JSON.stringify(t))
  assert.equal(t.assignee, 'alice')
  const read = await fetch(`${base}/tickets/${t.id}`, { headers: { connection: 'close' } })
  assert.equal(read.status, 200)
  assert.equal((await read.json()).id, t.id)

  child.kill('SIGINT')
  const { code, signal } = await exited
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr)
  assert.match(stdout, /shutting down/)
  assert.ok(existsSync(join(dir, 'helpdesk.db')), 'the ticket went to the SQLite file')
})
