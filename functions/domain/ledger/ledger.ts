// The ledger: one DynamoDB item per channel (key channelId) that says what is on air, which incident
// holds the channel, and what happened recently. It is also the lock: one incident per channel at a time.
//
// Every state change is ONE single-item conditional write (dynalite, the local DynamoDB, has no
// transactions and no TTL), so the lock expiry is compared in the condition itself, never by a reader.
// `version` counts state changes (acquire, attachExecution, saveSnapshot, complete); appending to
// recent[] and marking the primary fresh do not bump it, so that a caller can pass the version it based a
// decision on (acquire's expectVersion) without being disturbed by unrelated bookkeeping.
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { LedgerItem, RoutingSnapshot } from '../contracts.js';
import { FlatlineError, InvalidInputError } from '../errors.js';
import {
  dedupeKey,
  DEDUPE_CAP,
  defaultItem,
  entry,
  excess,
  LOCKED_PHASES,
  RECENT_CAP,
  refusalReason,
  TRANSITIONS,
  type AcquireRequest,
  type AcquireResult,
  type CompleteRequest,
  type PipelineAlerts,
} from './rules.js';

/** A ledger write lost to a concurrent one (e.g. saving a snapshot for an incident that no longer holds the lock). */
export class LedgerConflictError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('Flatline.LedgerConflict', message, context);
  }
}

/** A DynamoDB call failed for another reason than a lost condition. */
export class LedgerError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown>, cause: unknown) {
    super('Flatline.LedgerError', message, context, { cause });
  }
}

/** The table's key schema, for whoever creates it (tests, the sandbox); serverless.yml declares the same. */
export function ledgerTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: 'channelId', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'channelId', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

const isConditionFailure = (err: unknown): boolean => (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

export class Ledger {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly now: () => number;

  constructor(opts: { tableName: string; client: DynamoDBDocumentClient; now?: () => number }) {
    if (!opts.tableName) throw new InvalidInputError('ledger table name is empty (set LEDGER_TABLE)');
    this.tableName = opts.tableName;
    this.client = opts.client;
    this.now = opts.now ?? Date.now;
  }

  async get(channelId: string): Promise<LedgerItem> {
    const out = await this.send('get', channelId, () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { channelId }, ConsistentRead: true })),
    );
    return normalize(channelId, out.Item);
  }

  /**
   * Takes the channel's lock for one incident in a single conditional write: it succeeds when nobody holds it
   * (absent item, steady/on-standby phase, or an expired lock). Holding it means phase failing-over /
   * failing-back until lockExpiresAt. The incident that already holds the lock gets acquired:false with
   * reason 'held by this incident' (the caller decides whether to re-issue its idempotent StartExecution).
   */
  async acquire(req: AcquireRequest): Promise<AcquireResult> {
    const now = this.now();
    const phase = req.action === 'failover' ? 'failing-over' : 'failing-back';
    const free =
      '(attribute_not_exists(#channelId) OR attribute_not_exists(#phase) OR NOT (#phase IN (:failingOver, :failingBack)) ' +
      'OR attribute_not_exists(#lockExpiresAt) OR #lockExpiresAt <= :now)';
    const values: Record<string, unknown> = {
      ...LOCKED_PHASES,
      ':now': now,
      ':phase': phase,
      ':incidentId': req.incidentId,
      ':expires': now + req.ttlMs,
      ':one': 1,
      ':zero': 0,
      ':primary': 'primary',
      ':empty': [],
      ':entry': [
        entry(
          now,
          'lock-acquired',
          req.takeOver
            ? `${req.action} lock taken over from incident ${req.takeOver.incidentId} (its execution ${req.takeOver.executionArn} is not running)`
            : `${req.action} lock acquired`,
          req.incidentId,
        ),
      ],
    };
    let condition = free;
    if (req.takeOver) {
      values[':staleIncident'] = req.takeOver.incidentId;
      values[':staleExecution'] = req.takeOver.executionArn;
      condition = `(${free} OR (#incidentId = :staleIncident AND #executionArn = :staleExecution))`;
    }
    if (req.expectVersion !== undefined) {
      values[':expect'] = req.expectVersion;
      condition +=
        req.expectVersion === 0 ? ' AND (attribute_not_exists(#version) OR #version = :expect)' : ' AND #version = :expect';
    }
    try {
      const out = await this.client.send(
        new UpdateCommand(withNames({
          TableName: this.tableName,
          Key: { channelId: req.channelId },
          ConditionExpression: condition,
          UpdateExpression:
            'SET #phase = :phase, #incidentId = :incidentId, #lockExpiresAt = :expires, #version = if_not_exists(#version, :zero) + :one, ' +
            '#onAir = if_not_exists(#onAir, :primary), #recent = list_append(if_not_exists(#recent, :empty), :entry) ' +
            // A failover starts because the primary is bad: its freshness counts again from the next fresh signal.
            `REMOVE #executionArn, #snapshot${req.action === 'failover' ? ', #primaryFreshSince' : ''}`,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        })),
      );
      await this.trimRecent(req.channelId, out.Attributes);
      return { acquired: true, item: normalize(req.channelId, out.Attributes) };
    } catch (err) {
      if (!isConditionFailure(err)) throw new LedgerError(`ledger acquire failed: ${(err as Error).message}`, { ...req }, err);
      const item = await this.get(req.channelId);
      return { acquired: false, item, reason: refusalReason(item, req, now) };
    }
  }

  /** Records the execution started for the incident. A no-op when another incident has taken the item since. */
  async attachExecution(channelId: string, incidentId: string, executionArn: string): Promise<void> {
    await this.conditional(
      {
        Key: { channelId },
        // Attaching the same ARN again (a re-issued, idempotent start) changes nothing, not even the version.
        ConditionExpression: '#incidentId = :incidentId AND (attribute_not_exists(#executionArn) OR #executionArn <> :arn)',
        UpdateExpression: 'SET #executionArn = :arn, #version = #version + :one',
        ExpressionAttributeValues: { ':incidentId': incidentId, ':arn': executionArn, ':one': 1 },
      },
      'attachExecution',
    );
  }

  /** Saves the routing snapshot of the incident; throws LedgerConflictError when that incident does not hold the lock. */
  async saveSnapshot(channelId: string, incidentId: string, snapshot: RoutingSnapshot): Promise<void> {
    const ok = await this.conditional(
      {
        Key: { channelId },
        ConditionExpression: '#incidentId = :incidentId AND #phase IN (:failingOver, :failingBack)',
        UpdateExpression: 'SET #snapshot = :snapshot, #version = #version + :one',
        ExpressionAttributeValues: { ...LOCKED_PHASES, ':incidentId': incidentId, ':snapshot': snapshot, ':one': 1 },
      },
      'saveSnapshot',
    );
    if (!ok) {
      throw new LedgerConflictError(`incident ${incidentId} does not hold the lock of ${channelId}: snapshot not saved`, {
        channelId,
        incidentId,
      });
    }
  }

  /**
   * Ends the incident and releases the lock: phase steady (onAir primary) or on-standby (standby/slate),
   * lastTransitionAt on success (the dwell for hysteresis starts there). primaryFreshSince is kept: the
   * primary may have come back while the failover ran (acquire of a failover clears it).
   * Idempotent: completing an incident that no longer holds the lock changes nothing and returns the item.
   */
  async complete(req: CompleteRequest): Promise<LedgerItem> {
    const now = this.now();
    const succeeded = TRANSITIONS.has(req.outcome);
    const values: Record<string, unknown> = {
      ...LOCKED_PHASES,
      ':incidentId': req.incidentId,
      ':phase': req.onAir === 'primary' ? 'steady' : 'on-standby',
      ':onAir': req.onAir,
      ':one': 1,
      ':empty': [],
      ':entry': [entry(now, `incident-${req.outcome}`, `incident ${req.outcome}, on air: ${req.onAir}`, req.incidentId)],
    };
    let update = 'SET #phase = :phase, #onAir = :onAir, #version = #version + :one, #recent = list_append(if_not_exists(#recent, :empty), :entry)';
    if (succeeded) {
      values[':now'] = now;
      update += ', #lastTransitionAt = :now REMOVE #lockExpiresAt';
    } else {
      update += ' REMOVE #lockExpiresAt';
    }
    try {
      const out = await this.client.send(
        new UpdateCommand(withNames({
          TableName: this.tableName,
          Key: { channelId: req.channelId },
          ConditionExpression: '#incidentId = :incidentId AND #phase IN (:failingOver, :failingBack)',
          UpdateExpression: update,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        })),
      );
      await this.trimRecent(req.channelId, out.Attributes);
      return normalize(req.channelId, out.Attributes);
    } catch (err) {
      if (!isConditionFailure(err)) throw new LedgerError(`ledger complete failed: ${(err as Error).message}`, { ...req }, err);
      return this.get(req.channelId);
    }
  }

  /**
   * Appends an entry to recent[] (creating the item with defaults when absent); lock-free, capped at RECENT_CAP.
   * An entry with an incidentId is written once per (kind, incident): the list `dedupe` remembers what was
   * written (its own cap, DEDUPE_CAP, outlives recent[]'s) and the condition refuses a second copy, so a
   * storm of concurrent duplicates costs one write. Returns false for such a duplicate.
   */
  async record(channelId: string, e: { kind: string; message: string; incidentId?: string }): Promise<boolean> {
    const key = e.incidentId ? dedupeKey(e.kind, e.incidentId) : undefined;
    let out;
    try {
      out = await this.client.send(
        new UpdateCommand(withNames({
          TableName: this.tableName,
          Key: { channelId },
          UpdateExpression:
            'SET #recent = list_append(if_not_exists(#recent, :empty), :entry), #onAir = if_not_exists(#onAir, :primary), ' +
            '#phase = if_not_exists(#phase, :steady), #version = if_not_exists(#version, :zero)' +
            (key ? ', #dedupe = list_append(if_not_exists(#dedupe, :empty), :keys)' : ''),
          ...(key ? { ConditionExpression: 'NOT contains(#dedupe, :key)' } : {}),
          ExpressionAttributeValues: {
            ':empty': [],
            ':entry': [entry(this.now(), e.kind, e.message, e.incidentId)],
            ':primary': 'primary',
            ':steady': 'steady',
            ':zero': 0,
            ...(key ? { ':key': key, ':keys': [key] } : {}),
          },
          ReturnValues: 'ALL_NEW',
        })),
      );
    } catch (err) {
      if (key && isConditionFailure(err)) return false;
      throw new LedgerError(`ledger record failed: ${(err as Error).message}`, { op: 'record', channelId, table: this.tableName }, err);
    }
    await this.trimRecent(channelId, out.Attributes);
    return true;
  }

  /**
   * since = epoch ms: the primary is fresh; keeps an earlier time when one is already set (the dwell counts
   * from the first fresh observation). since = null: the primary is not fresh, clears it.
   */
  async markPrimaryFresh(channelId: string, since: number | null): Promise<void> {
    const input: Omit<UpdateCommandInput, 'TableName'> =
      since === null
        ? { Key: { channelId }, UpdateExpression: 'REMOVE #primaryFreshSince', ConditionExpression: 'attribute_exists(#channelId)' }
        : {
            Key: { channelId },
            UpdateExpression:
              'SET #primaryFreshSince = if_not_exists(#primaryFreshSince, :since), #onAir = if_not_exists(#onAir, :primary), ' +
              '#phase = if_not_exists(#phase, :steady), #version = if_not_exists(#version, :zero), #recent = if_not_exists(#recent, :empty)',
            ExpressionAttributeValues: { ':since': since, ':primary': 'primary', ':steady': 'steady', ':zero': 0, ':empty': [] },
          };
    // Clearing on an absent item is a no-op (the condition just fails), so the result is ignored.
    await this.conditional(input, 'markPrimaryFresh');
  }

  /**
   * Tracks the alerts SET on each pipeline of the channel's primary MediaLive channel (string sets alerts0 /
   * alerts1; ADD/DELETE are atomic, so concurrent alerts never lose each other). Returns the ids active
   * per pipeline after this change: both pipelines alerting is an outage, one is degraded.
   */
  async setPipelineAlert(channelId: string, pipeline: '0' | '1', alarmId: string, active: boolean): Promise<PipelineAlerts> {
    const out = await this.send('setPipelineAlert', channelId, () =>
      this.client.send(
        new UpdateCommand(
          withNames({
            TableName: this.tableName,
            Key: { channelId },
            UpdateExpression:
              `${active ? 'ADD' : 'DELETE'} #alerts${pipeline} :ids ` +
              'SET #onAir = if_not_exists(#onAir, :primary), #phase = if_not_exists(#phase, :steady), ' +
              '#version = if_not_exists(#version, :zero), #recent = if_not_exists(#recent, :empty)',
            ExpressionAttributeValues: { ':ids': new Set([alarmId]), ':primary': 'primary', ':steady': 'steady', ':zero': 0, ':empty': [] },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      ),
    );
    return pipelineAlerts(out.Attributes);
  }

  /** Forgets every tracked alert (alert ids reset when the channel restarts). */
  async clearPipelineAlerts(channelId: string): Promise<void> {
    await this.conditional(
      { Key: { channelId }, UpdateExpression: 'REMOVE #alerts0, #alerts1', ConditionExpression: 'attribute_exists(#channelId)' },
      'clearPipelineAlerts',
    );
  }

  /** A conditional update; false when the condition failed, throws LedgerError on anything else. */
  private async conditional(input: Omit<UpdateCommandInput, 'TableName'>, op: string): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand(withNames({ TableName: this.tableName, ...input })));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw new LedgerError(`ledger ${op} failed: ${(err as Error).message}`, { op, key: input.Key }, err);
    }
  }

  /**
   * DynamoDB cannot append and truncate a list in one expression; a second write drops the oldest items of
   * recent[] and dedupe, each list on its own cap. The condition asks for at least the length this write saw,
   * so the oldest items are what goes: a concurrent append does not stop the trim (it is not lost: only
   * indexes below the seen excess are removed), and two concurrent trims never cut a list below its cap (the
   * second one's condition fails; the next write trims what is left). Best effort: errors are swallowed
   * because trimming is housekeeping.
   */
  private async trimRecent(channelId: string, attributes: Record<string, unknown> | undefined): Promise<void> {
    const lists = [
      { name: 'recent', cap: RECENT_CAP },
      { name: 'dedupe', cap: DEDUPE_CAP },
    ].map(({ name, cap }) => {
      const value = attributes?.[name];
      const length = Array.isArray(value) ? value.length : 0;
      return { name, length, drop: excess(length, cap) };
    }).filter((l) => l.drop > 0);
    if (lists.length === 0) return;
    await this.conditional(
      {
        Key: { channelId },
        ConditionExpression: lists.map((l) => `size(#${l.name}) >= :${l.name}Length`).join(' AND '),
        UpdateExpression: `REMOVE ${lists.flatMap((l) => Array.from({ length: l.drop }, (_, i) => `#${l.name}[${i}]`)).join(', ')}`,
        ExpressionAttributeValues: Object.fromEntries(lists.map((l) => [`:${l.name}Length`, l.length])),
      },
      'trimRecent',
    ).catch(() => false);
  }

  private async send<T>(op: string, channelId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new LedgerError(`ledger ${op} failed: ${(err as Error).message}`, { op, channelId, table: this.tableName }, err);
    }
  }
}

/**
 * Every attribute in an expression is written as #name (several, e.g. snapshot, are DynamoDB reserved
 * words); this derives ExpressionAttributeNames from the expressions so the two never drift apart.
 */
function withNames<T extends UpdateCommandInput>(input: T): T {
  const text = `${input.ConditionExpression ?? ''} ${input.UpdateExpression ?? ''}`;
  const names = Object.fromEntries([...text.matchAll(/#(\w+)/g)].map((m) => [`#${m[1]}`, m[1] as string]));
  return { ...input, ExpressionAttributeNames: names };
}

function pipelineAlerts(raw: Record<string, unknown> | undefined): PipelineAlerts {
  const ids = (v: unknown): string[] => (v instanceof Set ? [...(v as Set<string>)].sort() : []);
  return { '0': ids(raw?.alerts0), '1': ids(raw?.alerts1) };
}

/** Fills the defaults of an item read back from the table (absent item => the default item). */
function normalize(channelId: string, raw: Record<string, unknown> | undefined): LedgerItem {
  if (!raw) return defaultItem(channelId);
  // dedupe (and recorded, its string-set form before it was bounded) is the ledger's own bookkeeping.
  const { alerts0: _a0, alerts1: _a1, dedupe: _dedupe, recorded: _recorded, ...rest } = raw;
  const item = rest as Partial<LedgerItem>;
  return {
    ...defaultItem(channelId),
    ...item,
    channelId,
    recent: Array.isArray(item.recent) ? item.recent : [],
    version: typeof item.version === 'number' ? item.version : 0,
  };
}

/** The ledger of the deployed stage: the table named by LEDGER_TABLE, through the caller's client. */
export function ledgerFromEnv(client: DynamoDBDocumentClient, env: NodeJS.ProcessEnv = process.env): Ledger {
  return new Ledger({ tableName: env.LEDGER_TABLE ?? '', client });
}
