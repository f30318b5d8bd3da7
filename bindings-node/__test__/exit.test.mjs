// A process that uses an engine with ports written in JavaScript exits by itself: `close()`
// releases every threadsafe function, and they are weak anyway, so nothing of the engine keeps
// Node's event loop alive. Each case runs in a child `node`, which must exit with status 0
// before the timeout kills it.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const POLICY = fileURLToPath(new URL('../../examples/policy.toml', import.meta.url))

/** The child's set-up: an engine on JavaScript ports (sync and async) and a manual clock. */
const PRELUDE = `
const { Engine, ManualClock, MemoryDirectory, Policy, PermanentFailure } = require(${JSON.stringify(PACKAGE)})
const clock = new ManualClock(new Date('2026-11-30T15:00:00Z'))
const directory = new MemoryDirectory()
directory.addAgent({ id: 'alice', name: 'Alice', tier: 'tier1', team: 'a', generalist: true })
directory.addTeam({ id: 'a', name: 'A', manager: { name: 'Mona', email: 'mona@example.invalid' } })
const sent = []
const engine = new Engine({
  policy: Policy.fromPath(${JSON.stringify(POLICY)}),
  clock,
  directory,
  profiles: { getProfile: async (id) => ({ customer: id, tier: 'vip', customerSince: 0, contact: { name: 'C' } }) },
  notifier: { send: async (n) => { sent.push(n.kind) } },
  pager: { trigger() {}, resolve() { throw new PermanentFailure('no pager') } },
})
async function work() {
  const t = await engine.createTicket({ customer: 'c-1', category: 'billing', subject: 's', priority: 'critical' })
  clock.set(new Date('2026-11-30T15:30:00Z'))
  await engine.sweep()
  await engine.dispatch()
  await engine.resolve(t, { summary: 'done', rootCause: 'other', by: 'alice' })
  await engine.dispatch()
  if (!sent.includes('manager_alert')) throw new Error('no alert: ' + sent)
}
`

/** Runs `body` after the prelude in a child `node`; it must exit by itself with status 0. */
function runChild(body) {
  const done = spawnSync(process.execPath, ['-e', `${PRELUDE}\n${body}`], {
    encoding: 'utf8',
    timeout: 10_000,
    killSignal: 'SIGKILL',
  })
  assert.equal(done.signal, null, `the child did not exit by itself (killed by ${done.signal})`)
  assert.equal(done.status, 0, done.stderr)
  assert.equal(done.stderr, '')
  return done.stdout.trim()
}

test('a process exits by itself after engine.close()', () => {
  const out = runChild(`
    work().then(() => engine.close()).then(() => console.log('closed'))
  `)
  assert.equal(out, 'closed')
})

test('close ends a run loop, and the process exits', () => {
  const out = runChild(`
    work().then(async () => {
      const running = engine.run()
      await new Promise((resolve) => setTimeout(resolve, 50))
      await engine.close()
      await running
      console.log('stopped')
    })
  `)
  assert.equal(out, 'stopped')
})

test('JavaScript ports never keep the process alive, even without close()', () => {
  const out = runChild(`
    work().then(() => console.log('done'))
  `)
  assert.equal(out, 'done')
})

test('a port call pending at exit does not hold the process', () => {
  // The engine waits on a port whose Promise never settles; the work is abandoned when
  // nothing else keeps the event loop alive... except the engine call's own Promise, which
  // settles when the clock passes the timeout.
  const out = runChild(`
    const hung = new Engine({ clock, profiles: { getProfile: () => new Promise(() => {}) } })
    const intake = hung.createTicket({ customer: 'c-1', category: 'billing', subject: 's' })
    setTimeout(() => clock.advance(2000), 20)
    intake.then(async (t) => { console.log(t.profileState); await hung.close() })
  `)
  assert.equal(out, 'unavailable')
})
