import type { Schema } from "../../client/index.ts";
import { fields, table, when } from "../output.ts";

/** `webhooks list`. */
export function webhookTable(webhooks: Schema<"Webhook">[]): string {
  return table(
    [
      { header: "WEBHOOK", value: (w) => w.id },
      { header: "URL", value: (w) => w.url },
      { header: "EVENTS", value: (w) => w.events.join(",") },
      { header: "CREATED", value: (w) => when(w.created_at) },
      { header: "BY", value: (w) => w.created_by },
    ],
    webhooks,
  );
}

/** `webhooks create`: the webhook; its secret, shown once, goes to stdout alone on the last line. */
export function createdWebhook(webhook: Schema<"CreatedWebhook">): string {
  return `${fields([
    ["webhook", webhook.id],
    ["url", webhook.url],
    ["events", webhook.events.join(", ")],
  ])}${webhook.secret}\n`;
}

/** `webhooks deliveries`: one line per delivery, with its latest attempt. */
export function deliveryTable(deliveries: Schema<"WebhookDelivery">[]): string {
  return table(
    [
      { header: "DELIVERY", value: (d) => d.id },
      { header: "EVENT", value: (d) => String(d.event_id), right: true },
      { header: "ACTION", value: (d) => d.action },
      { header: "STATUS", value: (d) => d.status },
      { header: "ATTEMPTS", value: (d) => String(d.attempts.length), right: true },
      { header: "LAST", value: (d) => lastAttempt(d) },
      { header: "NEXT", value: (d) => when(d.next_attempt_at) },
    ],
    deliveries,
  );
}

function lastAttempt(delivery: Schema<"WebhookDelivery">): string {
  const last = delivery.attempts.at(-1);
  if (!last) return "-";
  return `${when(last.attempted_at)} ${last.status_code ?? "-"}${last.error ? ` ${last.error}` : ""}`;
}
