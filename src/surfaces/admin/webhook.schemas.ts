import { Type } from 'typebox';
import { DateTime, Nullable, Uuid } from '../../http/schemas.js';
import { EventType } from './event.schemas.js';

// Webhook endpoints and their deliveries (SPEC §10).

const Url = Type.String({ minLength: 8, maxLength: 2048, description: 'https URL of a public host.' });
const Events = Type.Array(EventType, {
  minItems: 1,
  uniqueItems: true,
  description: 'Event types to deliver; omit for every type.',
});
const Description = Type.String({ maxLength: 500 });

export const WebhookParams = Type.Object({ organizationId: Uuid(), webhookId: Uuid('ID of the webhook.') });
export const DeliveryParams = Type.Object({
  organizationId: Uuid(),
  webhookId: Uuid(),
  deliveryId: Uuid('ID of the delivery.'),
});

export const Webhook = Type.Object({
  id: Uuid(),
  url: Type.String(),
  description: Nullable(Type.String()),
  events: Nullable(Type.Array(EventType, { description: 'null: every type, present and future.' })),
  enabled: Type.Boolean(),
  disabledReason: Nullable(Type.String({ description: 'Why it is disabled (e.g. it failed for 3 days).' })),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
export const WebhookWithSecret = Type.Object({
  ...Webhook.properties,
  secret: Type.String({
    description: '`whsec_` + base64 key: shown in this response only. Verify with Standard Webhooks.',
  }),
});

export const CreateWebhook = Type.Object(
  { url: Url, events: Type.Optional(Events), description: Type.Optional(Description) },
  { additionalProperties: false },
);
export const UpdateWebhook = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Nullable(Events)),
    description: Type.Optional(Nullable(Description)),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Delivery = Type.Object({
  id: Uuid(),
  eventId: Uuid(),
  eventType: Nullable(EventType),
  status: Type.Enum(['queued', 'sending', 'retrying', 'sent', 'failed', 'cancelled']),
  attempts: Type.Integer({ minimum: 0 }),
  lastResponseCode: Nullable(Type.Integer({ description: "The endpoint's last HTTP status." })),
  lastError: Nullable(Type.String()),
  lastAttemptAt: Nullable(DateTime()),
  nextAttemptAt: Nullable(DateTime('When the next attempt is due (queued or retrying).')),
  createdAt: DateTime(),
});

export const DeliveryQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});
