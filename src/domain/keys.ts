// SPEC §13, no lock-out: at least one admin key that never expires must remain. Keys that expire
// (or are revoked) leave by themselves, so only a key that never expires guarantees an admin
// can still get in; every key change that would leave none is refused.

/** The parts of an API key the rule looks at. */
export interface KeyShape {
  role: "admin" | "deploy" | "readonly";
  expiresAt: number | null;
}

/** True for an admin key that never expires (revoked keys are not counted by the callers). */
export function isPermanentAdmin(key: KeyShape): boolean {
  return key.role === "admin" && key.expiresAt === null;
}

/**
 * Why revoking `key` (not yet revoked) is refused, or null when it may go: an admin key can go
 * only while another admin key that never expires remains (`otherPermanentAdmins` of them).
 */
export function revocationLockOut(key: KeyShape, otherPermanentAdmins: number): string | null {
  if (key.role !== "admin" || otherPermanentAdmins > 0) return null;
  return isPermanentAdmin(key)
    ? "cannot revoke the last active admin key that does not expire: at least one must remain, or every admin is locked out once the others expire; create another admin key without expires_at first"
    : "cannot revoke an admin key while no admin key that does not expire exists: at least one must remain; create an admin key without expires_at first";
}

/**
 * Why creating `key` is refused, or null when it may be created: an expiring admin key is
 * refused while no admin key that never expires exists (`permanentAdmins` of them), since
 * creating it would leave every admin key expiring.
 */
export function creationLockOut(key: KeyShape, permanentAdmins: number): string | null {
  if (key.role !== "admin" || key.expiresAt === null || permanentAdmins > 0) return null;
  return "cannot create an expiring admin key while no admin key that does not expire exists: at least one must remain; create this one without expires_at";
}
