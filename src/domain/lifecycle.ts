/** Machine lifecycle states, in the order an operator usually meets them. */
export const LIFECYCLES = ["pending", "provisioning", "active", "maintenance", "decommissioned"] as const;

export type Lifecycle = (typeof LIFECYCLES)[number];

const ALLOWED: Record<Lifecycle, readonly Lifecycle[]> = {
  pending: ["provisioning", "active", "decommissioned"],
  provisioning: ["active", "pending"],
  active: ["maintenance", "decommissioned"],
  maintenance: ["active", "decommissioned"],
  decommissioned: [],
};

/** True when an operator may move a machine from `from` to `to` (self-transitions are not moves). */
export function canTransition(from: Lifecycle, to: Lifecycle): boolean {
  return ALLOWED[from].includes(to);
}

/** The lifecycle a machine has after it reports: a first report brings pending/provisioning machines online. */
export function lifecycleAfterReport(current: Lifecycle | null): Lifecycle {
  if (current === null || current === "pending" || current === "provisioning") return "active";
  return current;
}
