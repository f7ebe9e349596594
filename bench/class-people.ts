/**
 * The people of the class-arrival bench, as each hub's own pages make them act. Every person is a
 * cookie-keeping client connecting from an address of their own (127.20.x.y), as people on their
 * own laptops do: a hub's per-address limits see 300 people, not one.
 *
 * - Gatehouse: GET and POST the login form, GET /hub/home, POST /hub/spawn/<name> (the Start
 *   button), open the spawn-pending page and follow its progress stream until it ends, then GET the
 *   server through the proxy.
 * - JupyterHub: GET and POST the login form, GET /hub/spawn/<name> (which starts the server when
 *   there is no options form), then poll /user/<name>/ until the server itself answers.
 * A 429 is waited out (Retry-After) and retried, and counted; any other unexpected answer is an error.
 */
import { BrowserLikeClient, xsrfFromPage, type ClientResponse } from '../test/support/browser-like-client.ts';

/** How long one person may take from arrival to a ready server before it counts as an error. */
const PERSON_DEADLINE_MS = 300_000;
/** JupyterHub's person polls the server this often while it starts (its spawn-pending page polls progress similarly). */
const POLL_INTERVAL_MS = 500;
/** Wait after a 429 without a Retry-After. */
const DEFAULT_RETRY_AFTER_S = 1;

/** What a person's server answers on its own, once ready. */
export interface ServerProbe {
  /** Path under /user/<name>, e.g. `/api/ping`. */
  readonly path: string;
  readonly looksReady: (body: string) => boolean;
}

export const DEMO_APP_PROBE: ServerProbe = { path: '/api/ping', looksReady: (body) => body.startsWith('pong\n') };
export const CLASS_SERVER_PROBE: ServerProbe = { path: '/', looksReady: (body) => body.startsWith('class-server ok') };
/** Jupyter's /api answers its version without authentication (the hub's proxy still checks the person). */
export const JUPYTER_PROBE: ServerProbe = { path: '/api', looksReady: (body) => body.includes('"version"') };

export interface PersonOutcome {
  readonly name: string;
  /** Milliseconds from the case's start. */
  readonly arrivalMs: number;
  /** From arrival until the login form's POST answered (undefined when it never did). */
  readonly loginMs: number | undefined;
  /** From arrival until the server answered through the hub (undefined when it never did). */
  readonly readyMs: number | undefined;
  readonly retries: number;
  readonly errors: readonly string[];
}

export interface Person {
  readonly name: string;
  readonly password: string;
  readonly localAddress: string;
}

export type HubKind = 'gatehouse' | 'jupyterhub';

/** The address person `index` connects from: 127.20.0.1, 127.20.0.2, … (250 per /24). */
export function personAddress(block: number, index: number): string {
  return `127.${block}.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

class PersonError extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One step that may be told to wait (429): retried after Retry-After until `accept` or another status. */
async function step(person: PersonState, what: string, send: () => Promise<ClientResponse>, accept: (response: ClientResponse) => boolean): Promise<ClientResponse> {
  for (;;) {
    if (performance.now() > person.deadline) throw new PersonError(`${what}: still not through after ${PERSON_DEADLINE_MS / 1000} s`);
    const response = await send();
    if (response.status === 429) {
      person.retries += 1;
      const retryAfter = Number(response.headers.get('retry-after') ?? DEFAULT_RETRY_AFTER_S);
      await sleep((Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : DEFAULT_RETRY_AFTER_S) * 1000);
      continue;
    }
    if (!accept(response)) throw new PersonError(`${what}: ${response.status} ${response.headers.get('location') ?? ''} ${response.body.slice(0, 160).replace(/\s+/g, ' ')}`);
    return response;
  }
}

interface PersonState {
  readonly client: BrowserLikeClient;
  readonly deadline: number;
  retries: number;
  loginAt: number | undefined;
}

const isRedirectAwayFromLogin = (response: ClientResponse) => response.status === 302 && !(response.headers.get('location') ?? '').includes('/hub/login');

async function gatehousePerson(state: PersonState, person: Person, probe: ServerProbe): Promise<void> {
  const { client } = state;
  const name = encodeURIComponent(person.name);
  const form = await step(state, 'GET /hub/login', () => client.get('/hub/login'), (r) => r.status === 200);
  await step(state, 'POST /hub/login', () => client.request('POST', '/hub/login', { form: { _xsrf: xsrfFromPage(form.body), username: person.name, password: person.password } }), isRedirectAwayFromLogin);
  state.loginAt = performance.now();
  const home = await step(state, 'GET /hub/home', () => client.get('/hub/home'), (r) => r.status === 200);
  const xsrf = xsrfFromPage(home.body);
  await step(state, 'POST /hub/spawn', () => client.request('POST', `/hub/spawn/${name}`, { form: { _xsrf: xsrf } }), (r) => r.status === 302);
  await step(state, 'GET /hub/spawn-pending', () => client.get(`/hub/spawn-pending/${name}`), (r) => r.status === 200 || r.status === 302);
  const progress = await step(state, 'progress', () => client.get(`/hub/api/users/${name}/server/progress`, { accept: 'text/event-stream' }), (r) => r.status === 200);
  const events = progress.body
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as { ready?: boolean; message?: string });
  const last = events.at(-1);
  // An empty stream means the server was already running when it was opened.
  if (last !== undefined && last.ready !== true) throw new PersonError(`progress ended without ready: ${last.message ?? ''}`);
  await step(state, `GET /user${probe.path}`, () => client.get(`/user/${name}${probe.path}`), (r) => r.status === 200 && probe.looksReady(r.body));
}

async function jupyterhubPerson(state: PersonState, person: Person, probe: ServerProbe): Promise<void> {
  const { client } = state;
  const name = encodeURIComponent(person.name);
  const form = await step(state, 'GET /hub/login', () => client.get('/hub/login'), (r) => r.status === 200);
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form.body)?.[1];
  const fields = { username: person.name, password: person.password, ...(xsrf === undefined ? {} : { _xsrf: xsrf }) };
  await step(state, 'POST /hub/login', () => client.request('POST', '/hub/login', { form: fields }), isRedirectAwayFromLogin);
  state.loginAt = performance.now();
  await step(state, 'GET /hub/spawn', () => client.get(`/hub/spawn/${name}`), (r) => r.status === 302 || r.status === 200);
  for (;;) {
    const response = await step(state, `GET /user${probe.path}`, () => client.get(`/user/${name}${probe.path}`), (r) => r.status < 500 || r.status === 503);
    if (response.status === 200 && probe.looksReady(response.body)) return;
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Plays one person from `arrivalMs` (relative to `caseStart`) to a ready server; never throws. */
export async function playPerson(hub: HubKind, baseUrl: string, person: Person, probe: ServerProbe, caseStart: number, arrivalMs: number): Promise<PersonOutcome> {
  const wait = caseStart + arrivalMs - performance.now();
  if (wait > 0) await sleep(wait);
  const arrived = performance.now();
  const state: PersonState = { client: new BrowserLikeClient(baseUrl, { localAddress: person.localAddress }), deadline: arrived + PERSON_DEADLINE_MS, retries: 0, loginAt: undefined };
  const errors: string[] = [];
  let readyAt: number | undefined;
  try {
    await (hub === 'gatehouse' ? gatehousePerson(state, person, probe) : jupyterhubPerson(state, person, probe));
    readyAt = performance.now();
  } catch (error) {
    errors.push(`${person.name}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await state.client.close();
  }
  return {
    name: person.name,
    arrivalMs: arrived - caseStart,
    loginMs: state.loginAt === undefined ? undefined : state.loginAt - arrived,
    readyMs: readyAt === undefined ? undefined : readyAt - arrived,
    retries: state.retries,
    errors,
  };
}

/** Signs a person in and starts their server, for the working users set up before the class arrives. */
export async function signInWithRunningServer(hub: HubKind, baseUrl: string, person: Person, probe: ServerProbe): Promise<BrowserLikeClient> {
  const client = new BrowserLikeClient(baseUrl, { localAddress: person.localAddress });
  const outcome = await playPersonWith(hub, client, person, probe);
  if (outcome !== undefined) throw new Error(`working user ${outcome}`);
  return client;
}

async function playPersonWith(hub: HubKind, client: BrowserLikeClient, person: Person, probe: ServerProbe): Promise<string | undefined> {
  const state: PersonState = { client, deadline: performance.now() + PERSON_DEADLINE_MS, retries: 0, loginAt: undefined };
  try {
    await (hub === 'gatehouse' ? gatehousePerson(state, person, probe) : jupyterhubPerson(state, person, probe));
    return undefined;
  } catch (error) {
    return `${person.name}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export interface WorkingLoad {
  /** Latencies (ms) of the requests completed since the last `take()`, and errors among them. */
  take(): { latenciesMs: number[]; errors: number };
  stop(): Promise<void>;
}

/**
 * Working users keep using their servers: each sends one request to its server every `intervalMs`
 * (a steady rate, not as fast as possible), measured end to end.
 */
export function startWorkingLoad(users: ReadonlyArray<{ client: BrowserLikeClient; name: string }>, probe: ServerProbe, intervalMs: number): WorkingLoad {
  let latenciesMs: number[] = [];
  let errors = 0;
  let running = true;
  const loops = users.map(async ({ client, name }, index) => {
    await sleep((intervalMs * index) / users.length); // spread the users over the interval
    while (running) {
      const started = performance.now();
      try {
        const response = await client.get(`/user/${encodeURIComponent(name)}${probe.path}`);
        if (response.status === 200 && probe.looksReady(response.body)) latenciesMs.push(performance.now() - started);
        else errors += 1;
      } catch {
        errors += 1;
      }
      const next = started + intervalMs - performance.now();
      if (next > 0) await sleep(next);
    }
  });
  return {
    take() {
      const taken = { latenciesMs, errors };
      latenciesMs = [];
      errors = 0;
      return taken;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
