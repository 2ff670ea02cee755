/**
 * The verification report every cutover command ends with (docs/architecture.md §13,
 * Verification): per channel, what this run saw, moved, stored in `damaged` and left at the
 * source, a checksum of what it moved, and the channel's totals over every run. A run is good
 * only when every message it saw is in the target or in `damaged`.
 */
import type { ChannelTotals, CutoverLedger } from './ledger';
import { xorChecksum } from './ledger';
import type { MovedBatch } from './mover';

export interface ChannelReport {
  channel: string;
  target: string;
  dryRun: boolean;
  /** Distinct messages read at the source by this run (a redelivery counts once). */
  seen: number;
  /** Of them, held by the target queue (in a dry run: would be moved). */
  moved: number;
  /** Of them, stored in `damaged` (in a dry run: would be). */
  damaged: number;
  /** Removed at the source after the target held them (ActiveMQ; the importers remove nothing). */
  acked: number;
  /** Messages the source still holds at the end; null when it could not be counted. */
  atSource: number | null;
  /** Of those, held neither by the target nor by `damaged`: still to move. */
  left: number | null;
  /** Seen by this run, yet neither in the target nor in `damaged` after it (by any run's ledger). */
  unaccounted: number;
  /** XOR of the content hashes this run moved. */
  checksum: string;
  /** The channel over every run (ledger); absent in a dry run. */
  total?: ChannelTotals;
}

export interface CutoverReport {
  command: string;
  startedAt: string;
  finishedAt: string;
  channels: ChannelReport[];
  /** False when any channel has unaccounted messages: the command exits non-zero. */
  ok: boolean;
}

/** A run's distinct messages by hash, with how each was settled. */
export class RunTally {
  private readonly outcomes = new Map<string, 'moved' | 'damaged'>();
  acked = 0;
  private readonly ackedIds = new Set<string>();

  add(batch: MovedBatch): void {
    batch.hashes.forEach((hash, i) => this.outcomes.set(hash, batch.outcomes[i]!));
  }

  /** Counts an acknowledgement at the source once per legacy message id. */
  ack(messageId: string): void {
    if (this.ackedIds.has(messageId)) return;
    this.ackedIds.add(messageId);
    this.acked += 1;
  }

  /** The channel's line of the report; `unaccounted` is checked against the ledger of every run. */
  async report(
    ledger: CutoverLedger,
    channel: { name: string; target: string },
    dryRun: boolean,
    atSource: { count: number; hashes: string[] } | null,
  ): Promise<ChannelReport> {
    const moved = [...this.outcomes].filter(([, o]) => o === 'moved').map(([h]) => h);
    const damaged = [...this.outcomes].filter(([, o]) => o === 'damaged').length;
    const unsettled = dryRun ? [] : await ledger.unsettled(channel.name, [...this.outcomes.keys()]);
    const left = atSource === null ? null : dryRun ? atSource.count : (await ledger.unsettled(channel.name, [...new Set(atSource.hashes)])).length;
    return {
      channel: channel.name,
      target: channel.target,
      dryRun,
      seen: this.outcomes.size,
      moved: moved.length,
      damaged,
      acked: this.acked,
      atSource: atSource?.count ?? null,
      left,
      unaccounted: unsettled.length,
      checksum: xorChecksum(moved),
      ...(dryRun ? {} : { total: await ledger.totals(channel.name) }),
    };
  }
}

/** The ledger's totals of `channels` over every run, as a report of their own (`npm run cutover -- report`). */
export async function ledgerReport(ledger: CutoverLedger, channels: Array<{ name: string; target: string }>): Promise<CutoverReport> {
  const startedAt = new Date();
  const lines = await Promise.all(
    channels.map(async (channel): Promise<ChannelReport> => ({
      channel: channel.name,
      target: channel.target,
      dryRun: false,
      seen: 0,
      moved: 0,
      damaged: 0,
      acked: 0,
      atSource: null,
      left: null,
      unaccounted: 0,
      checksum: xorChecksum([]),
      total: await ledger.totals(channel.name),
    })),
  );
  return cutoverReport('report', startedAt, lines);
}

/** The report of a command over its channels. */
export function cutoverReport(command: string, startedAt: Date, channels: ChannelReport[]): CutoverReport {
  return { command, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), channels, ok: channels.every((c) => c.unaccounted === 0) };
}

/** The report as a table for a terminal (counts and checksums only: no message content). */
export function formatReport(report: CutoverReport): string {
  const header = ['channel', 'target', 'seen', 'moved', 'damaged', 'acked', 'at source', 'left', 'unaccounted', 'checksum (run)', 'total moved', 'total checksum'];
  const rows = report.channels.map((c) => [
    c.channel + (c.dryRun ? ' (dry run)' : ''),
    c.target,
    String(c.seen),
    String(c.moved),
    String(c.damaged),
    String(c.acked),
    c.atSource === null ? '-' : String(c.atSource),
    c.left === null ? '-' : String(c.left),
    String(c.unaccounted),
    c.checksum.slice(0, 16),
    c.total ? String(c.total.moved) : '-',
    c.total ? c.total.checksum.slice(0, 16) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const verdict = report.ok ? 'every message seen is in its target or in damaged' : 'UNACCOUNTED messages: see the channels above; run the command again';
  return [`cutover ${report.command}: ${verdict}`, line(header), ...rows.map(line)].join('\n');
}
