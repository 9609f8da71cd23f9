/** A change-feed event as stored (an audit row). */
export interface FeedEventRow {
  id: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  actor: string;
  action: string;
  target: string;
  detail: string;
  rolloutId: string | null;
}

/** An event as event streams and webhooks send it. */
export interface StreamEventJson {
  id: number;
  timestamp: string;
  actor: string;
  action: string;
  target: string;
  rollout_id: string | null;
  detail: unknown;
}

/** The event as JSON; the audit detail is parsed when it is JSON (it nearly always is). */
export function toStreamEvent(row: FeedEventRow): StreamEventJson {
  return {
    id: row.id,
    timestamp: new Date(row.timestamp).toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    rollout_id: row.rolloutId,
    detail: parseDetail(row.detail),
  };
}

/** A webhook body in the Standard Webhooks shape: `type`, `timestamp` and the event as `data`. */
export function webhookPayload(row: FeedEventRow): string {
  const data = toStreamEvent(row);
  return JSON.stringify({ type: row.action, timestamp: data.timestamp, data });
}

function parseDetail(detail: string): unknown {
  try {
    return JSON.parse(detail);
  } catch {
    return detail;
  }
}
