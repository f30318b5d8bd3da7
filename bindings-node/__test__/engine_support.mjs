// The engine tests' shared set-up (the Node port of bindings-python/tests/engine_support.py):
// the example policy, a desk with agents and a customer on a manual clock, and the three
// stores.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { escalation } from './support.mjs'

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
  PostgresStore,
  SqliteStore,
} = escalation

/** The project's example policy (read from the project, never from outside it). */
export const POLICY_PATH = fileURLToPath(new URL('../../examples/policy.toml', import.meta.url))

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** An instant from RFC 3339 text, which must carry its offset (or `Z`). */
export function utc(text) {
  assert.match(text, /(Z|[+-]\d\d:\d\d)$/, `${text} has no UTC offset`)
  return new Date(text)
}

/** Monday 30 November 2026, 10:00 in New York: business hours on the support calendar. */
export const START = utc('2026-11-30T15:00:00Z')

/** The instant `ms` after `t`. */
export const plus = (t, ms) => new Date(t.getTime() + ms)

/** The PostgreSQL of `make node-test` (tests/scripts/with_postgres.sh); fails without it. */
export function postgresUrl() {
  const url = process.env.ESCALATION_PG_URL
  if (!url) {
    throw new Error(
      'ESCALATION_PG_URL is not set: run the suite with `make node-test`, which starts a ' +
        'throwaway PostgreSQL cluster (tests/scripts/with_postgres.sh)',
    )
  }
  return url
}

export const STORES = ['memory', 'sqlite', 'postgres']

/** A fresh store of `kind`: a SQLite file in a temporary directory, a fresh PostgreSQL schema. */
export async function makeStore(kind, ctx) {
  if (kind === 'memory') return new MemoryStore()
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'escalation-node-'))
    ctx.after(() => rmSync(dir, { recursive: true, force: true }))
    return new SqliteStore(join(dir, 'desk.db'))
  }
  if (kind === 'postgres') {
    const schema = 'js_' + randomBytes(6).toString('hex')
    return PostgresStore.connect(postgresUrl(), { schema })
  }
  throw new Error(`no store ${kind}`)
}

/**
 * Alice and Bob (Tier 1, team-a, managed by Mona), Tara (Tier 2, team-b, Mark), and customer
 * c-1 (Enterprise, contact Carla), on a manual clock. `ports` replace the in-memory ones.
 */
export class Desk {
  constructor(store, { start = START, ...ports } = {}) {
    this.clock = new ManualClock(start)
    this.directory = new MemoryDirectory()
    this.directory.addAgent({
      id: 'alice', name: 'Alice', tier: 'tier1', team: 'team-a', skills: ['billing'],
      email: 'alice@example.invalid',
    })
    this.directory.addAgent({ id: 'bob', name: 'Bob', tier: 'tier1', team: 'team-a', generalist: true })
    this.directory.addAgent({ id: 'tara', name: 'Tara', tier: 'tier2', team: 'team-b', generalist: true })
    this.directory.addTeam({
      id: 'team-a', name: 'Team A', manager: { name: 'Mona', email: 'mona@example.invalid' },
    })
    this.directory.addTeam({
      id: 'team-b', name: 'Team B', manager: { name: 'Mark', email: 'mark@example.invalid' },
    })
    this.profiles = new MemoryProfiles()
    this.profiles.add({
      customer: 'c-1', tier: 'enterprise', lifetimeValue: 20000,
      customerSince: utc('2020-01-01T00:00:00Z'), contact: { name: 'Carla', email: 'carla@example.invalid' },
    })
    this.notifier = new MemoryNotifier()
    this.pager = new MemoryPager()
    this.store = store
    this.ports = {
      profiles: this.profiles, notifier: this.notifier, pager: this.pager,
      directory: this.directory, ...ports,
    }
    this.policy = Policy.fromPath(POLICY_PATH)
  }

  /** An engine on the desk; closed when the test ends. */
  engine(ctx, options = {}) {
    const engine = new Engine({
      policy: this.policy, store: this.store, clock: this.clock, ...this.ports, ...options,
    })
    ctx?.after(() => engine.close())
    return engine
  }
}

/** The SLA clock of `ticket` for `target`. */
export const clockOf = (ticket, target) => ticket.sla.find((c) => c.target === target)

/** Waits (on the event loop, up to 30 s) until `condition()` holds. */
export async function waitUntil(condition) {
  for (let i = 0; i < 3000; i++) {
    if (await condition()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('the condition never held')
}

/** Asserts that `promise` rejects with an `Error` with `code` and `fields`; returns the error. */
export async function rejectsCode(promise, code, fields = {}, type = Error) {
  let caught
  await assert.rejects(promise, (err) => {
    caught = err
    return true
  })
  assert.ok(caught instanceof type, `expected a ${type.name}, got ${caught?.constructor?.name}: ${caught}`)
  assert.equal(caught.code, code, String(caught))
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof RegExp) {
      assert.match(String(caught[key]), value, `${key} of ${caught}`)
    } else {
      assert.deepEqual(caught[key], value, `${key} of ${caught}`)
    }
  }
  return caught
}
