// The harness of scenarios.test.mjs: instants, policies and `Sla`, an engine on in-memory
// adapters and a manual clock. The Node port of the fixtures of
// bindings-python/tests/test_scenarios.py (itself a port of escalation-core/tests/sla_scenarios.rs).

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

/** The package, as `require('escalation')` gives it (its main module, with PermanentFailure). */
export const escalation = createRequire(import.meta.url)('..')

export const {
  Engine,
  ManualClock,
  MemoryDirectory,
  MemoryNotifier,
  MemoryPager,
  MemoryProfiles,
  MemoryStore,
  PermanentFailure,
  Policy,
} = escalation

// --- time -------------------------------------------------------------------------------------

export const SECOND = 1_000
export const MIN = 60 * SECOND
export const H = 60 * MIN
export const DAY = 24 * H

/** `n` minutes, `n` hours, in milliseconds. */
export const mins = (n) => n * MIN
export const hours = (n) => n * H

/** The instant `ms` milliseconds after `t` (before, when negative). */
export function plus(t, ms) {
  return new Date(t.getTime() + ms)
}

/**
 * An instant given as New York wall-clock time. Every date these scenarios use lies between
 * November and February, when New York keeps EST (UTC-05:00); the guard keeps it that way.
 */
export function ny(y, m, d, h, minute) {
  assert.ok(m >= 11 || m <= 2, `ny() assumes EST, not ${y}-${m}-${d}`)
  const pad = (n) => String(n).padStart(2, '0')
  return new Date(`${y}-${pad(m)}-${pad(d)}T${pad(h)}:${pad(minute)}:00-05:00`)
}

/** An instant from RFC 3339 text, which must carry its offset (or `Z`). */
export function utc(text) {
  assert.match(text, /(Z|[+-]\d\d:\d\d)$/, `${text} has no UTC offset`)
  const t = new Date(text)
  assert.ok(!Number.isNaN(t.getTime()), `bad instant ${text}`)
  return t
}

/** An instant as the records' JSON documents write it (log entry data, resolutions): to the second. */
export function rfc3339(t) {
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** The instant the Rust fixtures' profiles date from (`common::t0`). */
export const T0 = new Date(1_800_000_000_000)

export const NO_WARNINGS = '[sla.warnings]\npercent = []\n'

// --- policies ---------------------------------------------------------------------------------

/**
 * Everything before the scenario's own sections: the support calendar (New York, Mon-Fri
 * 09:00-17:00, Christmas off), a root-cause taxonomy, no age factor in the score, and a last,
 * catch-all target rule without budgets, so priorities a scenario leaves out start no clock.
 * A scenario without `[[ladder]]` levels has none (not the default ladder).
 */
export function policyV(version, sections, { maxAttempts } = {}) {
  const text = `
version = "${version}"
root_causes = ["product_defect", "configuration", "other"]

[scoring.weights]
age = 0.0

[calendars.support]
timezone = "America/New_York"
holidays = ["2026-12-25"]

[calendars.support.hours]
mon = [["09:00", "17:00"]]
tue = [["09:00", "17:00"]]
wed = [["09:00", "17:00"]]
thu = [["09:00", "17:00"]]
fri = [["09:00", "17:00"]]

${sections}

# Any other priority: no clocks.
[[sla.targets]]
`
  let policy = Policy.fromToml(text)
  const noLadder = !sections.includes('[[ladder]]')
  if (noLadder || maxAttempts !== undefined) {
    const doc = policy.toJSON()
    if (noLadder) doc.ladder = []
    if (maxAttempts !== undefined) doc.dispatch.max_attempts = maxAttempts
    policy = Policy.fromObject(doc)
  }
  return policy
}

export function policy(sections, options) {
  return policyV('v1', sections, options)
}

// --- the directory and the customer -----------------------------------------------------------

export const alice = () => ({
  id: 'alice', name: 'alice', tier: 'tier1', team: 'team-a', skills: ['billing'],
  email: 'alice@example.invalid',
})

export const tara = () => ({
  id: 'tara', name: 'tara', tier: 'tier2', team: 'team-b', skills: ['billing'],
  email: 'tara@example.invalid',
})

export const team = (id, manager) => ({
  id, name: id, manager: { name: manager, email: `${manager.toLowerCase()}@example.invalid` },
})

// --- the harness ------------------------------------------------------------------------------

/**
 * An engine on in-memory adapters and a manual clock, with a handle on every adapter: Alice
 * (Tier 1, team-a, managed by Mona), teams team-a and team-b (managed by Mark), Tara (Tier 2,
 * team-b) when `tier2`, and customer `c-1` (Enterprise, contact Carla).
 */
export class Sla {
  constructor(policy, start, { tier2 = false, notifier } = {}) {
    this.clock = new ManualClock(start)
    this.store = new MemoryStore()
    this.directory = new MemoryDirectory()
    this.directory.addAgent(alice())
    if (tier2) this.directory.addAgent(tara())
    this.directory.addTeam(team('team-a', 'Mona'))
    this.directory.addTeam(team('team-b', 'Mark'))
    this.profiles = new MemoryProfiles()
    this.profiles.add({
      customer: 'c-1', tier: 'enterprise', lifetimeValue: 20_000, customerSince: plus(T0, -400 * DAY),
      priorTickets: 3, priorEscalations: 0, contact: { name: 'Carla', email: 'carla@example.invalid' },
    })
    this.notifier = new MemoryNotifier()
    this.pager = new MemoryPager()
    this.engines = []
    this.engine = this.#engine(policy, undefined, notifier ?? this.notifier)
  }

  #engine(policy, engineId, notifier) {
    const engine = new Engine({
      policy, store: this.store, profiles: this.profiles, notifier, pager: this.pager,
      directory: this.directory, clock: this.clock, ...(engineId === undefined ? {} : { engineId }),
    })
    this.engines.push(engine)
    return engine
  }

  /** Another engine, with another policy, on the same store, adapters and clock. */
  engineWith(engineId, policy) {
    return this.#engine(policy, engineId, this.notifier)
  }

  async close() {
    for (const engine of this.engines) await engine.close()
  }

  now() {
    return this.engine.now()
  }

  set(at) {
    this.clock.set(at)
    assert.deepEqual(this.now(), at, 'the manual clock never goes backwards')
  }

  /** A ticket of customer c-1 in category billing, at `priority` (set at intake), received now. */
  create(priority, { subject = 'Invoice is wrong', draft = false } = {}) {
    return this.engine.createTicket({
      customer: 'c-1', category: 'billing', subject, channel: 'email', impact: 'bug', priority,
      draft, receivedAt: this.now(),
    })
  }

  ticket(t) {
    return this.engine.ticket(t)
  }

  async sweep() {
    return (await this.engine.sweep()).claimed
  }

  /** Moves the clock to the ticket's next check and sweeps; returns the ticket. */
  async tick(t) {
    const at = (await this.ticket(t)).nextCheck
    assert.ok(at instanceof Date, 'the ticket is due again')
    this.set(at)
    assert.ok((await this.sweep()) >= 1, 'a due ticket is claimed')
    return this.ticket(t)
  }

  status(t, to) {
    return this.engine.record(t, { type: 'status_changed', to, by: 'host-user' })
  }

  customerReplied(t) {
    return this.engine.record(t, { type: 'customer_replied' })
  }

  agentReplied(t, agent = 'alice') {
    return this.engine.record(t, { type: 'agent_replied', agent })
  }

  log(t) {
    return this.engine.log(t)
  }

  /** The names of the ticket's log entries at the instant `at`, in log order. */
  async namesAt(t, at) {
    return (await this.log(t)).filter((e) => e.at.getTime() === at.getTime()).map((e) => e.event)
  }

  async count(t, name) {
    return (await this.entries(t, name)).length
  }

  async entries(t, name) {
    return (await this.log(t)).filter((e) => e.event === name)
  }

  effects(t) {
    return this.engine.effects(t)
  }

  async effect(t, key) {
    const found = (await this.effects(t)).find((e) => e.key === key)
    assert.ok(found, `no effect ${key}`)
    return found
  }

  async effectKeys(t) {
    return (await this.effects(t)).map((e) => e.key)
  }
}

/** A new `Sla`, closed when the test `ctx` ends. */
export function makeSla(ctx, policy, start, options) {
  const h = new Sla(policy, start, options)
  ctx.after(() => h.close())
  return h
}

export function clockOf(t, target, cycle) {
  const found = t.sla.find((c) => c.target === target && c.cycle === cycle)
  assert.ok(found, `no ${target} clock, cycle ${cycle}`)
  return found
}

export function key(t, rest) {
  return `default/${t.id}/${rest}`
}

export function notification(e) {
  assert.equal(e.kind, 'notify', `not a notification: ${e.key}`)
  assert.ok(e.notification)
  return e.notification
}

/** The only element of `list` (Python's `[x] = list`). */
export function one(list) {
  assert.equal(list.length, 1, `expected one element, got ${list.length}`)
  return list[0]
}

/** Asserts that `promise` rejects with an `Error` of `code` and the given own fields; returns it. */
export async function rejectsCode(promise, code, fields = {}) {
  let caught
  await assert.rejects(promise, (err) => {
    caught = err
    return true
  })
  assert.ok(caught instanceof Error, `expected an Error, got ${caught}`)
  assert.equal(caught.code, code, String(caught))
  for (const [name, value] of Object.entries(fields)) {
    if (value instanceof RegExp) assert.match(String(caught[name]), value, `${name} of ${caught}`)
    else assert.deepEqual(caught[name], value, `${name} of ${caught}`)
  }
  return caught
}
