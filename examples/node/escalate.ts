// Typed use of the engine: a Notifier of our own, a ticket, a sweep, a dispatch and the
// explanation of its SLA. Type-checked by `make node-test` (tsc --noEmit -p examples/node);
// in an application, import from 'escalation' instead of the relative path.

import {
  Engine, ManualClock, MemoryDirectory, Policy,
  type DispatchReport, type Notification, type Notifier, type SweepReport, type Ticket,
} from '../../bindings-node'

declare const console: { log(...data: unknown[]): void } // no @types/node in this package

/** Prints each notification; `send` may be sync or async, and a throw means "retry later". */
class ConsoleNotifier implements Notifier {
  readonly sent: Notification[] = []
  async send(notification: Notification): Promise<void> {
    this.sent.push(notification)
    console.log(`to ${notification.to.name}: ${notification.subject}`)
  }
}

const POLICY = `
version = "typed-example"
[sla]
calendar = "always"
[[sla.targets]]
first_response = "1h"
[[ladder]]
name = "breach"
on = "breach"
actions = ["alert_manager"]
`

async function main(): Promise<void> {
  const clock = new ManualClock(new Date('2026-11-30T15:00:00Z'))
  const directory = new MemoryDirectory()
  directory.addTeam({ id: 'billing', name: 'Billing', manager: { name: 'Mona', email: 'mona@example.com' } })
  directory.addAgent({ id: 'alice', name: 'Alice', tier: 'tier1', team: 'billing', skills: ['billing'] })
  const engine = new Engine({ policy: Policy.fromToml(POLICY), notifier: new ConsoleNotifier(), directory, clock })
  try {
    const ticket: Ticket = await engine.createTicket({
      customer: 'acme', category: 'billing', subject: 'Invoice is wrong', impact: 'outage',
    })
    console.log(`#${ticket.id} is ${ticket.priority}, next check ${ticket.nextCheck?.toISOString() ?? 'none'}`)
    clock.advance(60 * 60 * 1000) // the first-response deadline
    const swept: SweepReport = await engine.sweep()
    const dispatched: DispatchReport = await engine.dispatch()
    console.log(`swept ${swept.claimed}, delivered ${dispatched.delivered}`)
    console.log((await engine.explain(ticket)).text)
  } finally {
    await engine.close()
  }
}

void main()
