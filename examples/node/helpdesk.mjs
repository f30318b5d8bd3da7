// A small helpdesk backend on node:http (no framework) that embeds the escalation engine.
//
//     make node-test                      # builds the addon in bindings-node/
//     node examples/node/helpdesk.mjs     # PORT (3000) and HELPDESK_DB (helpdesk.db) from the environment
//
// Routes (JSON in, JSON out):
//
//     POST /tickets                       {customer, category, subject, channel?, impact?, body?, priority?, intakeKey?}
//     GET  /tickets/:id                   the ticket with its SLA clocks
//     POST /tickets/:id/events            {type: 'status_changed', to, by} and the other events
//     POST /tickets/:id/resolve           {summary, rootCause, by}
//     POST /sweep                         one sweep and one dispatch, now
//     GET  /reports/weekly?year=&week=    Markdown, or HTML with &format=html
//
// Engine errors become JSON `{code, message}` answers: 400 for bad input, 404 for an unknown
// ticket, 409 for a refused status change or a lost race. `createServer({ engine })` takes any
// engine, so tests can hand it one on a ManualClock and a MemoryStore. The mirror of
// examples/python/helpdesk.py.

import { createServer as createHttpServer } from 'node:http'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// The package of this repository; in an application, `require('escalation')`.
const require = createRequire(import.meta.url)
const { Engine, MemoryDirectory, MemoryProfiles, Policy, SqliteStore } = require('../../bindings-node')

/** The reference policy of the repository (examples/policy.toml). */
export const POLICY_PATH = fileURLToPath(new URL('../policy.toml', import.meta.url))

/** Engine error code -> HTTP status; any other error is a 500. */
export const HTTP_STATUS = Object.freeze({
  INVALID_INPUT: 400,
  POLICY_INVALID: 400,
  NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  CONFLICT: 409,
})

/**
 * A Notifier that "emails" by logging and keeps what it sent.
 *
 * The engine calls `send` during `dispatch()` and retries it when it throws (or rejects); a real
 * notifier would talk to SMTP or Slack, throw `escalation.PermanentFailure` for a hopeless
 * address, and use `notification.key` to drop a repeated delivery, as here.
 */
export class OutboxNotifier {
  constructor({ quiet = false } = {}) {
    this.outbox = []
    this.quiet = quiet
  }

  send(notification) {
    if (this.outbox.some((sent) => sent.key === notification.key)) return // a retry of a delivery that already went out
    this.outbox.push(notification)
    if (!this.quiet) {
      const { name, email } = notification.to
      console.log(`email to ${name} <${email ?? '-'}>: ${notification.subject}`)
    }
  }
}

/** Stands in for the staff directory: one Tier 1 agent and her team's manager. */
export function demoDirectory() {
  const directory = new MemoryDirectory()
  directory.addTeam({ id: 'billing', name: 'Billing', manager: { name: 'Mona', email: 'mona@example.com' } })
  directory.addAgent({
    id: 'alice', name: 'Alice', tier: 'tier1', team: 'billing', skills: ['billing'], email: 'alice@example.com',
  })
  return directory
}

/** Stands in for the CRM: one enterprise customer. */
export function demoProfiles() {
  const profiles = new MemoryProfiles()
  profiles.add({
    customer: 'acme', tier: 'enterprise', lifetimeValue: 250_000, customerSince: '2021-03-01T00:00:00Z',
    priorTickets: 12, priorEscalations: 1, contact: { name: 'Carla', email: 'carla@acme.example' },
  })
  return profiles
}

/**
 * The engine on the repository's policy; `overrides` replace its store, clock or ports
 * (`EngineOptions`). The store is a SQLite file (HELPDESK_DB) unless one is given.
 */
export function buildEngine(overrides = {}) {
  const options = {
    policy: Policy.fromPath(POLICY_PATH),
    notifier: new OutboxNotifier(),
    directory: demoDirectory(),
    profiles: demoProfiles(),
    ...overrides,
  }
  options.store ??= new SqliteStore(process.env.HELPDESK_DB ?? 'helpdesk.db')
  return new Engine(options)
}

/** An error of the request itself (not the engine's): a 400 with code INVALID_INPUT. */
class BadRequest extends Error {
  constructor(message) {
    super(message)
    this.code = 'INVALID_INPUT'
  }
}

const MAX_BODY = 1 << 20

/** The request's JSON object; a BadRequest when it is not one or a `required` field is missing. */
async function jsonBody(req, ...required) {
  const chunks = []
  let size = 0
  for await (const chunk of req) {
    size += chunk.length
    if (size > MAX_BODY) throw new BadRequest('the body is larger than 1 MiB')
    chunks.push(chunk)
  }
  let data
  try {
    data = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new BadRequest('the body must be a JSON object')
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new BadRequest('the body must be a JSON object')
  }
  const missing = required.filter((name) => !(name in data))
  if (missing.length > 0) throw new BadRequest(`missing field(s): ${missing.join(', ')}`)
  return data
}

function pick(data, names) {
  return Object.fromEntries(names.filter((name) => name in data).map((name) => [name, data[name]]))
}

function send(res, status, type, text) {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function sendJson(res, status, value) {
  send(res, status, 'application/json', JSON.stringify(value))
}

/** A required integer query parameter. */
function intParam(url, name) {
  const text = url.searchParams.get(name)
  if (text === null || !/^-?\d+$/.test(text)) throw new BadRequest(`${name} is a required integer (year and week)`)
  return Number(text)
}

/** The routes: [method, path pattern, handler(req, url, ...captures) -> [status, type, body]]. */
function routes(engine) {
  const json = (status, value) => [status, 'application/json', JSON.stringify(value)]
  return [
    ['POST', /^\/tickets$/, async (req) => {
      const data = await jsonBody(req, 'customer', 'category', 'subject')
      const input = pick(data, ['customer', 'category', 'subject', 'channel', 'impact', 'body', 'priority', 'intakeKey'])
      return json(201, await engine.createTicket(input))
    }],
    ['GET', /^\/tickets\/(\d+)$/, async (_req, _url, id) => json(200, await engine.ticket(Number(id)))],
    ['POST', /^\/tickets\/(\d+)\/events$/, async (req, _url, id) => {
      const event = await jsonBody(req, 'type')
      return json(200, await engine.record(Number(id), event))
    }],
    ['POST', /^\/tickets\/(\d+)\/resolve$/, async (req, _url, id) => {
      const data = await jsonBody(req, 'summary', 'rootCause', 'by')
      return json(200, await engine.resolve(Number(id), pick(data, ['summary', 'rootCause', 'by'])))
    }],
    ['POST', /^\/sweep$/, async () => {
      // What engine.run() does in a loop: breaches and ladder steps, then deliveries.
      const sweep = await engine.sweep()
      const dispatch = await engine.dispatch()
      return json(200, { sweep, dispatch })
    }],
    ['GET', /^\/reports\/weekly$/, async (_req, url) => {
      const year = intParam(url, 'year')
      const week = intParam(url, 'week')
      const format = url.searchParams.get('format') ?? 'md'
      if (format !== 'md' && format !== 'html') throw new BadRequest(`format must be md or html, got ${format}`)
      const report = await engine.weeklyReport(year, week, { timezone: 'America/New_York' })
      return format === 'html' ? [200, 'text/html', report.toHtml()] : [200, 'text/markdown', report.toMarkdown()]
    }],
  ]
}

/** An http.Server (not listening yet) that serves the helpdesk on `engine`. */
export function createServer({ engine }) {
  const table = routes(engine)
  return createHttpServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://helpdesk.invalid')
    try {
      const matches = table.map(([method, pattern, handler]) => [method, url.pathname.match(pattern), handler])
        .filter(([, match]) => match !== null)
      if (matches.length === 0) {
        req.resume()
        return sendJson(res, 404, { code: 'NOT_FOUND', message: `no route ${url.pathname}` })
      }
      const route = matches.find(([method]) => method === req.method)
      if (route === undefined) {
        req.resume()
        res.setHeader('allow', matches.map(([method]) => method).join(', '))
        return sendJson(res, 405, { code: 'METHOD_NOT_ALLOWED', message: `${req.method} ${url.pathname}` })
      }
      const [, match, handler] = route
      const [status, type, text] = await handler(req, url, ...match.slice(1))
      send(res, status, type, text)
    } catch (err) {
      const status = HTTP_STATUS[err?.code]
      if (status === undefined) {
        console.error('helpdesk: unexpected error', err)
        return sendJson(res, 500, { code: err?.code ?? 'INTERNAL', message: String(err?.message ?? err) })
      }
      sendJson(res, status, { code: err.code, message: err.message })
    }
  })
}

async function main() {
  const engine = buildEngine()
  const server = createServer({ engine })
  // The engine's own loop (sweep, dispatch, sleep until something is due) runs beside the
  // server; POST /sweep stays available for impatient demos.
  const running = engine.run().catch((err) => {
    console.error('helpdesk: the engine loop failed', err)
    process.exitCode = 1
  })
  server.listen(Number(process.env.PORT ?? 3000), () => {
    console.log(`helpdesk listening on http://localhost:${server.address().port}`)
  })
  process.once('SIGINT', async () => {
    console.log('helpdesk: shutting down')
    server.close()
    server.closeAllConnections()
    await engine.close()
    await running
  })
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main()
}
