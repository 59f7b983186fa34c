// Fills in a SessionInput so that tests can write `addSession({ lsid, startTime })` and still get a
// session shaped like real output (one customer, one owning representative, a shared Jump Group).
import type { SessionInput, SimSession } from './types.ts';

export function completeSession(input: SessionInput): SimSession {
  const customer = input.customers?.[0] ?? {
    gsnumber: '22',
    username: 'Jump Item',
    publicIp: '4.231.237.19:61606',
    privateIp: '10.0.0.4',
    hostname: 'WIN-SRV-01',
    os: 'Windows Server 2022 Datacenter',
  };
  const rep = input.reps?.[0] ?? {
    gsnumber: '21',
    id: '1',
    username: 'admin',
    displayName: 'Admin',
    publicDisplayName: 'Admin',
    privateDisplayName: 'Admin',
    publicIp: '[2a01:e34:ec57:b230:f188:56c5:7089:d987]:56722',
    privateIp: 'Unknown',
    os: 'Unknown',
    sessionOwner: true,
    secondsInvolved: 0,
  };
  return {
    lsid: input.lsid,
    sessionType: input.sessionType ?? 'support',
    lseq: input.lseq ?? 1,
    startTime: input.startTime,
    endTime: input.endTime ?? null,
    externalKey: input.externalKey ?? '',
    customAttributes: [...(input.customAttributes ?? [])],
    hasChat: input.hasChat ?? true,
    hasRecording: input.hasRecording ?? false,
    commandShellRecordings: input.commandShellRecordings ?? 0,
    fileTransferCount: input.fileTransferCount,
    fileMoveCount: input.fileMoveCount,
    fileDeleteCount: input.fileDeleteCount,
    primaryCustomer: input.primaryCustomer ?? { gsnumber: customer.gsnumber, name: customer.username },
    primaryRep: input.primaryRep === undefined ? { gsnumber: rep.gsnumber, id: rep.id, name: rep.displayName } : input.primaryRep,
    jumpGroup: input.jumpGroup ?? { type: 'shared', id: '1', name: 'Servers' },
    jumpoint: input.jumpoint,
    customers: input.customers ? [...input.customers] : [customer],
    reps: input.reps ? [...input.reps] : [rep],
    events: [...(input.events ?? [{ timestamp: input.startTime, eventType: 'Session Start' }])].sort(byTime),
    lazyEvents: input.lazyEvents,
  };
}

export function byTime(a: { timestamp: number }, b: { timestamp: number }): number {
  return a.timestamp - b.timestamp;
}
