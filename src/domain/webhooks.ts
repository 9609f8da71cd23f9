/** How long a delivery is retried: the attempt that finds this much time passed since the first is the last. */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The shortest wait before a retry. */
export const MIN_RETRY_DELAY_MS = 5_000;
/** The longest wait between two attempts (before jitter). */
export const MAX_RETRY_DELAY_MS = 8 * 60 * 60 * 1000;
/** Each wait is this many times the time already spent retrying, so the waits grow geometrically. */
const RETRY_GROWTH = 3;
/** The wait is spread by up to this fraction either way, so receivers that failed together do not all retry at once. */
const RETRY_JITTER = 0.25;

/**
 * When to try a failed delivery again, or null to give up. `windowStartedAt` is its first
 * attempt (or the redeliver that reopened it), `failedAt` the attempt that just failed. The wait
 * is three times the time already spent (at least 5 s, at most 8 h) ± 25 %: about 0 s, 5 s,
 * 20 s, 80 s, 5 min, 21 min, 85 min, 5.7 h, 13.7 h, 21.7 h and 29.7 h after the first attempt.
 */
export function nextAttemptAt(windowStartedAt: number, failedAt: number, random: () => number): number | null {
  const spent = failedAt - windowStartedAt;
  if (spent >= RETRY_WINDOW_MS) return null;
  const wait = Math.min(MAX_RETRY_DELAY_MS, Math.max(MIN_RETRY_DELAY_MS, spent * RETRY_GROWTH));
  return failedAt + Math.round(wait * (1 + RETRY_JITTER * (2 * random() - 1)));
}

/** The Standard Webhooks secret prefix. */
export const SECRET_PREFIX = "whsec_";
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

/** The sentence explaining a valid secret in a 400. */
export const SECRET_RULE = `must be ${SECRET_PREFIX} followed by the base64 of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes, or other text without control characters`;

/** True when `secret` is in the convention's form (`whsec_` + base64); other text is signed with as its bytes. */
export function isConventionSecret(secret: string): boolean {
  return secret.startsWith(SECRET_PREFIX);
}

/**
 * True for a secret in the convention's form, `whsec_` + base64 of 24–64 bytes, or for any other
 * non-empty text without control characters, whose UTF-8 bytes are the key (the libraries'
 * "raw" format: what a receiver computing the HMAC by hand with its own password uses).
 */
export function isValidSecret(secret: string): boolean {
  if (!isConventionSecret(secret)) return secret.length > 0 && !/[\u0000-\u001f\u007f]/.test(secret);
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return false;
  const bytes = (encoded.length / 4) * 3 - (encoded.length - encoded.replace(/=+$/, "").length);
  return bytes >= MIN_SECRET_BYTES && bytes <= MAX_SECRET_BYTES;
}

/** True for a URL a webhook may be sent to: absolute http or https. */
export function isDeliverableUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.hostname !== "";
}
