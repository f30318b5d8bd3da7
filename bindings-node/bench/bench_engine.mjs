// Engine benchmark from Node.js: what `await engine.createTicket(...)` costs over the Rust call.
//
// Both sides take in the same tickets as bindings-python/bench/bench_engine.py: customer
// `c-1` with a profile, category `billing`, two Tier 1 agents, the example policy, a memory
// store, received "now" on a manual clock. The Rust side runs in a loop inside the addon
// (`_timeRustCreateTicket`, blocking the event loop while it runs); the JavaScript side awaits
// `engine.createTicket` one call at a time, as a host's request handler would. Each run gets a
// fresh engine, so both stores grow the same way. The difference is the binding's overhead:
// reading the input's fields (in lib.js) and converting them, the call's first poll on the
// JavaScript thread, the answer (a Ticket, whose properties are read from the stored ticket
// on access) and settling its Promise, plus the `await` itself.
//
// Run: `make node-bench` (release build), or `node bench/bench_engine.mjs [--quick] [--json
// PATH]` in bindings-node/ after `npm run build`. Timings take the best of several repeats.

import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const require = createRequire(import.meta.url)
const escalation = require('..')
const { Engine, ManualClock, MemoryDirectory, MemoryProfiles, MemoryStore, Policy } = escalation

const POLICY = fileURLToPath(new URL('../../examples/policy.toml', import.meta.url))
const START = new Date('2026-11-30T15:00:00Z')

/** A fresh engine on a memory store, with two agents and customer c-1. */
function engine() {
  const directory = new MemoryDirectory()
  for (const name of ['alice', 'bob']) {
    directory.addAgent({ id: name, name, tier: 'tier1', team: 'team-a', generalist: true, capacity: 1_000_000 })
  }
  const profiles = new MemoryProfiles()
  profiles.add({ customer: 'c-1', tier: 'enterprise', lifetimeValue: 20000, customerSince: START, contact: { name: 'Carla' } })
  return new Engine({
    policy: Policy.fromPath(POLICY), store: new MemoryStore(), directory, profiles,
    clock: new ManualClock(START),
  })
}

function rustNs(n) {
  return escalation._timeRustCreateTicket(engine(), n)
}

async function nodeNs(n) {
  const e = engine()
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    await e.createTicket({ customer: 'c-1', category: 'billing', subject: 'bench' })
  }
  return Number(process.hrtime.bigint() - start) / n
}

/** Per ticket when `batch` calls are in flight at once (`Promise.all`). */
async function batchNs(n, batch) {
  const e = engine()
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i += batch) {
    const calls = []
    for (let j = 0; j < batch; j++) {
      calls.push(e.createTicket({ customer: 'c-1', category: 'billing', subject: 'bench' }))
    }
    await Promise.all(calls)
  }
  return Number(process.hrtime.bigint() - start) / n
}

async function best(repeats, run) {
  let min = Infinity
  for (let i = 0; i < repeats; i++) min = Math.min(min, await run())
  return min
}

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } },
})
const [n, repeats] = args.quick ? [2_000, 2] : [20_000, 5]
if (escalation._BUILD_PROFILE !== 'release') {
  console.error('warning: the addon is a debug build; run `make node-bench`')
}
const rust = await best(repeats, () => rustNs(n))
const node = await best(repeats, () => nodeNs(n))
const batched = await best(repeats, () => batchNs(n, 100))
const us = (ns) => (ns / 1000).toFixed(2).padStart(8)
console.log(`createTicket, ${n} tickets per run, best of ${repeats}:`)
console.log(`  Rust call                          ${us(rust)} us`)
console.log(`  await engine.createTicket          ${us(node)} us`)
console.log(`  overhead                           ${us(node - rust)} us`)
console.log(`  100 in flight (Promise.all), each  ${us(batched)} us`)
if (args.json) {
  const figures = {
    tickets_per_run: n,
    rust_create_ticket_ns: Math.round(rust),
    node_create_ticket_ns: Math.round(node),
    overhead_ns: Math.round(node - rust),
    batch_100_create_ticket_ns: Math.round(batched),
    node: process.version,
    build: escalation._BUILD_PROFILE,
  }
  writeFileSync(args.json, JSON.stringify(figures, null, 2) + '\n')
}
