// Dashboard sessions (README, "Dashboard"): what the cookie holds and how a session ends.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

/** A session lasts this long after login (less if its key expires or is revoked first). */
export const SESSION_TTL_MS = 12 * 3600 * 1000;

/** A fresh session token: what the cookie holds, 256 random bits. */
export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The session's row id: the token's SHA-256, so the database never holds a usable token. */
export function sessionIdOf(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function derivedKey(token: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(token, "utf8"), Buffer.alloc(0), `nixfleet ui ${purpose}`, 32));
}

/** The API key sealed under the token (AES-256-GCM): `iv.ciphertext.tag`, base64url. */
export function sealApiKey(token: string, apiKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", derivedKey(token, "key seal"), iv);
  const sealed = Buffer.concat([cipher.update(apiKey, "utf8"), cipher.final()]);
  return [iv, sealed, cipher.getAuthTag()].map((part) => part.toString("base64url")).join(".");
}

/** The API key a session sealed, or null when the token does not open it. */
export function unsealApiKey(token: string, sealed: string): string | null {
  const [iv, data, tag] = sealed.split(".").map((part) => Buffer.from(part, "base64url"));
  if (!iv || !data || !tag) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", derivedKey(token, "key seal"), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

/** The CSRF token of a session's forms: derived from the cookie's token, so it needs no storage. */
export function csrfTokenOf(token: string): string {
  return createHmac("sha256", derivedKey(token, "csrf")).update("csrf").digest("base64url");
}

/** True when a form's CSRF token is the session's (compared in constant time). */
export function isCsrfTokenOf(token: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const expected = Buffer.from(csrfTokenOf(token));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** True when the API would take the key now (the auth middleware's rule): neither revoked nor expired. */
export function isUsableKey(key: { revokedAt: number | null; expiresAt: number | null }, now: number): boolean {
  return key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now);
}
