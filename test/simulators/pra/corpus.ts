// A deterministic corpus of realistic access sessions: Jump Groups (shared and personal), Jumpoints
// (or none: Jump Client sessions), several representatives per session, endpoints with `Unknown`
// values and public IPs carrying ports (IPv4 and bracketed IPv6), the event types PRA logs, chat
// bodies that need <encoded_body>, names that need escaping. Same seed → same corpus.
//
// Large sessions hold their events lazily (see LazyEvents): a test can serve hundreds of megabytes
// from a handful of sessions without the simulator keeping them in memory.
import { createPrng, type Prng } from './prng.ts';
import type { LazyEvents, SimCustomer, SimEvent, SimParty, SimRepresentative, SimSession, UnixSeconds } from './types.ts';

export interface CorpusOptions {
  seed: number | string;
  /** Sessions start in [from, to) (Unix seconds). */
  from: UnixSeconds;
  to: UnixSeconds;
  /** Number of ordinary sessions. */
  sessions: number;
  /** Events between the opening and closing ones: a number or an inclusive range (default [3, 25]). */
  eventsPerSession?: number | readonly [number, number];
  /** Share of sessions still in progress (endTime null), 0..1 (default 0.1). */
  inProgressShare?: number;
  /** Extra, ended sessions whose events are generated on demand (`eventsPerSession` events each). */
  largeSessions?: { count: number; eventsPerSession: number };
}

const REPS = [
  { id: '1', username: 'admin', displayName: 'Admin' },
  { id: '7', username: 'amartin', displayName: 'Alice Martin' },
  { id: '12', username: 'jmueller', displayName: 'Jürgen Müller' },
  { id: '15', username: 'zorsted', displayName: 'Zoë Ørsted' },
  { id: '21', username: 'obrien', displayName: "Pat O'Brien & Co" },
  { id: '33', username: 'ops-night', displayName: 'Ops <night shift>' },
  { id: '41', username: 'svc_vendor', displayName: 'Vendor Support (ACME)' },
  { id: '58', username: 'lchen', displayName: '陈丽 (Li Chen)' },
] as const;

const SHARED_GROUPS = [
  { id: '1', name: 'Servers' },
  { id: '3', name: 'Network Devices' },
  { id: '4', name: 'Finance & HR' },
  { id: '9', name: 'Datacenter "Paris"' },
] as const;

const JUMPOINTS = [
  { id: '1', name: 'DC1 Jumpoint' },
  { id: '2', name: 'Azure West Europe' },
  { id: '5', name: 'OT Network <isolated>' },
] as const;

const ENDPOINT_OS = [
  'Windows Server 2022 Datacenter Azure Edition (21H2)', 'Windows Server 2019 Standard', 'Windows 11 Enterprise (23H2)',
  'Ubuntu 22.04.4 LTS', 'Red Hat Enterprise Linux 9.3', 'Cisco IOS XE', 'Unknown',
] as const;

const REP_OS = ['Windows 11 Pro', 'macOS 14.4', 'Ubuntu 24.04 LTS', 'Unknown'] as const;

const CHAT_LINES = [
  'Starting maintenance now',
  'Rebooting the server in 5 minutes, please save your work',
  'Can you confirm the service <Spooler> is stopped?',
  'Tom & Jerry\'s ticket is done',
  'Überprüfung abgeschlossen ✔',
  'Redémarrage terminé',
  'ok',
  'Path is C:\\Program Files\\App\\config.xml',
  '"quoted" and \'single\' quotes',
  '日本語のメッセージ',
] as const;

/** Bodies with characters XML 1.0 cannot carry: the appliance sends these as <encoded_body>. */
const CONTROL_BODIES = [
  'ANSI colours \u001b[31mred\u001b[0m from the shell',
  'bell\u0007 and backspace\u0008 typed',
  'form feed \u000c page break',
  'NUL\u0000 in the middle',
] as const;

const FILES = [
  'C:\\Windows\\System32\\drivers\\etc\\hosts', 'C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex240101.log',
  '/var/log/syslog', '/etc/nginx/nginx.conf', 'D:\\Backups\\finance & hr\\Q1 <draft>.xlsx', 'report_2024.pdf',
] as const;

const SHELLS = ['cmd.exe', 'powershell.exe', '/bin/bash', 'ssh'] as const;

interface SessionCast {
  customer: SimCustomer;
  reps: SimRepresentative[];
  system: SimParty;
}

export function generateCorpus(opts: CorpusOptions): SimSession[] {
  const root = createPrng(opts.seed);
  const span = Math.max(1, opts.to - opts.from);
  const out: SimSession[] = [];
  for (let i = 0; i < opts.sessions; i++) {
    const prng = root.fork(`session-${i}`);
    out.push(ordinarySession(prng, opts.from + Math.floor(prng.next() * span), opts));
  }
  for (let i = 0; i < (opts.largeSessions?.count ?? 0); i++) {
    const prng = root.fork(`large-${i}`);
    out.push(largeSession(prng, opts.from + Math.floor(prng.next() * span), opts.largeSessions!.eventsPerSession, `${opts.seed}/large-${i}`));
  }
  out.sort((a, b) => a.startTime - b.startTime || (a.lsid < b.lsid ? -1 : 1));
  out.forEach((s, i) => (s.lseq = i + 1));
  return out;
}

function publicIp(prng: Prng): string {
  const r = prng.next();
  if (r < 0.07) return 'Unknown';
  const port = prng.int(1024, 65535);
  if (r < 0.35) {
    const groups = Array.from({ length: 4 }, () => prng.int(0, 0xffff).toString(16));
    return `[2a01:e34:ec57:b230:${groups.join(':')}]:${port}`;
  }
  return `${prng.int(2, 223)}.${prng.int(0, 255)}.${prng.int(0, 255)}.${prng.int(1, 254)}:${port}`;
}

function privateIp(prng: Prng): string {
  if (prng.chance(0.1)) return 'Unknown';
  return prng.chance(0.5) ? `10.${prng.int(0, 255)}.${prng.int(0, 255)}.${prng.int(1, 254)}` : `192.168.${prng.int(0, 255)}.${prng.int(1, 254)}`;
}

function makeCast(prng: Prng, durationSeconds: number): SessionCast {
  const gsBase = prng.int(2, 40);
  const host = `${prng.pick(['WIN-SRV', 'web', 'db', 'fw', 'LAPTOP'])}-${prng.hex(4).toUpperCase()}`;
  const customer: SimCustomer = {
    gsnumber: String(gsBase),
    username: prng.chance(0.1) ? 'Unknown' : host,
    publicIp: publicIp(prng),
    privateIp: privateIp(prng),
    hostname: prng.chance(0.05) ? 'Unknown' : host,
    os: prng.pick(ENDPOINT_OS),
  };
  const repCount = prng.weighted([[1, 6], [2, 3], [3, 1]] as const);
  const chosen = new Set<number>();
  while (chosen.size < repCount) chosen.add(prng.int(0, REPS.length - 1));
  const reps = [...chosen].map((idx, n): SimRepresentative => {
    const rep = REPS[idx]!;
    return {
      gsnumber: String(gsBase + 1 + n),
      id: rep.id,
      username: rep.username,
      displayName: rep.displayName,
      publicDisplayName: rep.displayName,
      privateDisplayName: prng.chance(0.2) ? `${rep.displayName} (private)` : rep.displayName,
      publicIp: publicIp(prng),
      privateIp: privateIp(prng),
      os: prng.pick(REP_OS),
      sessionOwner: n === 0,
      secondsInvolved: n === 0 ? durationSeconds : prng.int(0, durationSeconds),
    };
  });
  return { customer, reps, system: { type: 'system', gsnumber: '0', name: 'Pre-start Conference' } };
}

function repParty(r: SimRepresentative): SimParty {
  return { type: 'representative', gsnumber: r.gsnumber, name: r.displayName };
}

function customerParty(c: SimCustomer): SimParty {
  return { type: 'customer', gsnumber: c.gsnumber, name: c.username };
}

function openingEvents(start: UnixSeconds, cast: SessionCast): SimEvent[] {
  const owner = cast.reps[0]!;
  return [
    { timestamp: start, eventType: 'Session Start' },
    { timestamp: start, eventType: 'Conference Owner Changed', destination: cast.system, data: [{ name: 'owner', value: cast.system.name }] },
    { timestamp: start, eventType: 'Conference Member Added', destination: repParty(owner), data: [{ name: 'role', value: 'owner' }] },
    { timestamp: start, eventType: 'Conference Owner Changed', destination: repParty(owner), data: [{ name: 'owner', value: owner.displayName }] },
  ];
}

function closingEvents(end: UnixSeconds, cast: SessionCast): SimEvent[] {
  return [
    ...cast.reps.map((r): SimEvent => ({ timestamp: end, eventType: 'Conference Member Departed', destination: repParty(r) })),
    { timestamp: end, eventType: 'Session End' },
  ];
}

function middleEvent(prng: Prng, t: UnixSeconds, cast: SessionCast): SimEvent {
  const rep = prng.pick(cast.reps);
  const by = repParty(rep);
  const to = customerParty(cast.customer);
  const kind = prng.weighted([
    ['chat', 20], ['download', 10], ['upload', 8], ['delete', 4], ['move', 2], ['shell', 6], ['registry', 4],
    ['screen', 8], ['sysinfo', 3], ['member', 3],
  ] as const);
  switch (kind) {
    case 'chat':
      return { timestamp: t, eventType: 'Chat Message', performedBy: by, body: prng.chance(0.1) ? prng.pick(CONTROL_BODIES) : prng.pick(CHAT_LINES) };
    case 'download':
    case 'upload': {
      const eventType = kind === 'download' ? 'File Download' : 'File Upload';
      if (prng.chance(0.3)) {
        const files = Array.from({ length: prng.int(2, 4) }, () => ({ filename: prng.pick(FILES), filesize: prng.int(0, 5_000_000) }));
        return { timestamp: t, eventType, performedBy: by, destination: to, filename: files[0]!.filename, filesize: files[0]!.filesize, files };
      }
      return { timestamp: t, eventType, performedBy: by, destination: to, filename: prng.pick(FILES), filesize: prng.int(0, 50_000_000) };
    }
    case 'delete':
      return { timestamp: t, eventType: 'File Delete', performedBy: by, destination: to, filename: prng.pick(FILES) };
    case 'move':
      return { timestamp: t, eventType: 'File Move', performedBy: by, destination: to, filename: prng.pick(FILES), data: [{ name: 'destination', value: '/tmp/moved' }] };
    case 'shell':
      return { timestamp: t, eventType: 'Command Shell Session Started', performedBy: by, destination: to, data: [{ name: 'shell', value: prng.pick(SHELLS) }] };
    case 'registry':
      return { timestamp: t, eventType: 'Registry Editor Access', performedBy: by, destination: to };
    case 'screen':
      return { timestamp: t, eventType: prng.chance(0.5) ? 'Screen Sharing Started' : 'Screen Sharing Stopped', performedBy: by, destination: to };
    case 'sysinfo':
      return {
        timestamp: t, eventType: 'System Information Retrieved', performedBy: by, destination: to,
        systemInformation: [{
          name: 'Operating System',
          description: [{ name: 'os', label: 'Operating System' }, { name: 'hostname', label: 'Host Name' }],
          rows: [[{ name: 'os', value: cast.customer.os }, { name: 'hostname', value: cast.customer.hostname }]],
        }],
      };
    case 'member':
      return { timestamp: t, eventType: 'Conference Member Added', performedBy: by, destination: repParty(rep), data: [{ name: 'role', value: 'member' }] };
  }
}

function plannedDuration(prng: Prng): number {
  const bucket = prng.weighted([['short', 50], ['medium', 35], ['long', 15]] as const);
  if (bucket === 'short') return prng.int(60, 900);
  if (bucket === 'medium') return prng.int(900, 3600);
  return prng.int(3600, 4 * 3600);
}

function sessionShell(prng: Prng, start: UnixSeconds, cast: SessionCast): Omit<SimSession, 'endTime' | 'events' | 'lazyEvents' | 'commandShellRecordings'> {
  const personal = prng.chance(0.2);
  const owner = cast.reps[0]!;
  const attrs: SimSession['customAttributes'] = [];
  if (prng.chance(0.4)) attrs.push({ displayName: 'Ticket ID', codeName: 'ticket_id', value: `INC${prng.int(1_000_000, 9_999_999)}` });
  if (prng.chance(0.2)) attrs.push({ displayName: 'Change Reason', codeName: 'change_reason', value: 'Patch Tuesday & reboot' });
  return {
    lsid: prng.hex(32),
    sessionType: 'support',
    lseq: 0,
    startTime: start,
    externalKey: prng.chance(0.3) ? `CHG${prng.int(100_000, 999_999)}` : '',
    customAttributes: attrs,
    hasChat: true,
    hasRecording: prng.chance(0.6),
    primaryCustomer: { gsnumber: cast.customer.gsnumber, name: cast.customer.username },
    primaryRep: { gsnumber: owner.gsnumber, id: owner.id, name: owner.displayName },
    jumpGroup: personal ? { type: 'personal', id: owner.id, name: owner.displayName } : { type: 'shared', ...prng.pick(SHARED_GROUPS) },
    jumpoint: prng.chance(0.3) ? undefined : { ...prng.pick(JUMPOINTS) },
    customers: [cast.customer],
    reps: cast.reps,
  };
}

function ordinarySession(prng: Prng, start: UnixSeconds, opts: CorpusOptions): SimSession {
  const duration = plannedDuration(prng);
  const cast = makeCast(prng, duration);
  const shell = sessionShell(prng, start, cast);
  const range = opts.eventsPerSession ?? [3, 25];
  const n = typeof range === 'number' ? range : prng.int(range[0], range[1]);
  const times = Array.from({ length: n }, () => start + 1 + Math.floor(prng.next() * Math.max(1, duration - 2))).sort((a, b) => a - b);
  const inProgress = prng.chance(opts.inProgressShare ?? 0.1);
  const end = start + duration;
  const events = [...openingEvents(start, cast), ...times.map((t) => middleEvent(prng, t, cast))];
  if (!inProgress) events.push(...closingEvents(end, cast));
  return {
    ...shell,
    endTime: inProgress ? null : end,
    events,
    commandShellRecordings: events.filter((e) => e.eventType === 'Command Shell Session Started').length,
  };
}

function largeSession(prng: Prng, start: UnixSeconds, count: number, eventSeed: string): SimSession {
  const duration = Math.max(plannedDuration(prng), Math.ceil(count / 20));
  const cast = makeCast(prng, duration);
  const shell = sessionShell(prng, start, cast);
  const end = start + duration;
  const lazyEvents: LazyEvents = {
    count: count + 5 + cast.reps.length,
    *iterate() {
      const events = createPrng(eventSeed);
      yield* openingEvents(start, cast);
      for (let k = 0; k < count; k++) yield middleEvent(events, start + 1 + Math.floor((k * (duration - 2)) / count), cast);
      yield* closingEvents(end, cast);
    },
  };
  // The counters a real appliance keeps, computed once here so that serving needs a single pass.
  let transfer = 0;
  let move = 0;
  let del = 0;
  let shells = 0;
  for (const e of lazyEvents.iterate()) {
    const files = e.files?.length ?? 1;
    if (e.eventType === 'File Download' || e.eventType === 'File Upload') transfer += files;
    else if (e.eventType === 'File Move') move += files;
    else if (e.eventType === 'File Delete') del += files;
    else if (e.eventType === 'Command Shell Session Started') shells += 1;
  }
  return {
    ...shell,
    endTime: end,
    events: [],
    lazyEvents,
    commandShellRecordings: shells,
    fileTransferCount: transfer,
    fileMoveCount: move,
    fileDeleteCount: del,
  };
}
