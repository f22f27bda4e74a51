import { Type } from 'typebox';
import type { EventType } from '../../modules/events/event.model.js';
import { encodeCursor } from '../../modules/invitations/invitation.model.js';
import type { DeliveryRow, Webhook } from '../../modules/webhooks/webhooks.service.js';
import type { SurfaceContext } from '../context.js';
import { type AdminApp, base, errs, security } from './common.js';
import { iso, isoOrNull } from './mappers.js';
import * as S from './schemas.js';
import * as W from './webhook.schemas.js';

const webhookOut = (w: Webhook) => ({ ...w, createdAt: iso(w.createdAt), updatedAt: iso(w.updatedAt) });

const deliveryOut = (d: DeliveryRow) => ({
  id: d.id,
  eventId: d.event_id ?? '',
  eventType: d.event_type as EventType | null,
  status: d.status,
  attempts: d.attempts,
  lastResponseCode: d.last_status_code,
  lastError: d.last_error,
  lastAttemptAt: isoOrNull(d.last_attempt_at),
  nextAttemptAt: d.status === 'queued' || d.status === 'retrying' ? iso(d.next_attempt_at) : null,
  createdAt: iso(d.created_at),
});

/** Webhook endpoints (organization:write): create, list, get, update, delete, rotate, deliveries, replay. */
export function webhookRoutes(app: AdminApp, ctx: SurfaceContext): void {
  const { authenticate: auth } = ctx;
  const one = `${base}/:organizationId/webhooks/:webhookId`;
  const doc = (operationId: string, summary: string) => ({
    operationId,
    summary: `${summary} (organization:write)`,
    tags: ['webhooks'],
    security,
  });

  app.post(
    `${base}/:organizationId/webhooks`,
    {
      schema: {
        ...doc('createWebhook', 'Create a webhook endpoint; the answer shows its secret, once'),
        params: S.OrgParams,
        body: W.CreateWebhook,
        response: { 201: W.WebhookWithSecret, ...errs(403, 404, 413, 415) },
      },
    },
    async (req, reply) => {
      const w = await ctx.webhooks.create(await auth(req), req.params.organizationId, req.body);
      return reply.code(201).send({ ...webhookOut(w), secret: w.secret });
    },
  );

  app.get(
    `${base}/:organizationId/webhooks`,
    {
      schema: {
        ...doc('listWebhooks', 'List webhook endpoints'),
        params: S.OrgParams,
        response: { 200: Type.Array(W.Webhook), ...errs(403, 404) },
      },
    },
    async (req) => (await ctx.webhooks.list(await auth(req), req.params.organizationId)).map(webhookOut),
  );

  app.get(
    one,
    {
      schema: {
        ...doc('getWebhook', 'Get a webhook endpoint (never its secret)'),
        params: W.WebhookParams,
        response: { 200: W.Webhook, ...errs(403, 404) },
      },
    },
    async (req) =>
      webhookOut(await ctx.webhooks.get(await auth(req), req.params.organizationId, req.params.webhookId)),
  );

  app.patch(
    one,
    {
      schema: {
        ...doc('updateWebhook', 'Change url, events, description or enabled'),
        params: W.WebhookParams,
        body: W.UpdateWebhook,
        response: { 200: W.Webhook, ...errs(403, 404, 413, 415) },
      },
    },
    async (req) =>
      webhookOut(
        await ctx.webhooks.update(await auth(req), req.params.organizationId, req.params.webhookId, req.body),
      ),
  );

  app.delete(
    one,
    {
      schema: {
        ...doc('deleteWebhook', 'Delete a webhook endpoint'),
        params: W.WebhookParams,
        response: { 204: Type.Null(), ...errs(403, 404) },
      },
    },
    async (req, reply) => {
      await ctx.webhooks.remove(await auth(req), req.params.organizationId, req.params.webhookId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${one}/rotate-secret`,
    {
      schema: {
        ...doc('rotateWebhookSecret', 'A new secret; the old one also signs for 24 h'),
        params: W.WebhookParams,
        response: { 200: W.WebhookWithSecret, ...errs(403, 404) },
      },
    },
    async (req) => {
      const w = await ctx.webhooks.rotateSecret(
        await auth(req),
        req.params.organizationId,
        req.params.webhookId,
      );
      return { ...webhookOut(w), secret: w.secret };
    },
  );

  app.get(
    `${one}/deliveries`,
    {
      schema: {
        ...doc('listWebhookDeliveries', "An endpoint's deliveries, newest first"),
        description: 'Keyset-paginated: the next page is in the `Link: <…>; rel="next"` header.',
        params: W.WebhookParams,
        querystring: W.DeliveryQuery,
        response: { 200: Type.Array(W.Delivery), ...errs(403, 404) },
      },
    },
    async (req, reply) => {
      const { organizationId, webhookId } = req.params;
      const page = await ctx.webhooks.deliveries(await auth(req), organizationId, webhookId, req.query);
      if (page.next) {
        const q = new URLSearchParams({ limit: String(page.limit), cursor: encodeCursor(page.next) });
        reply.header(
          'link',
          `<${ctx.publicUrl}${base}/${organizationId}/webhooks/${webhookId}/deliveries?${q}>; rel="next"`,
        );
      }
      return page.items.map(deliveryOut);
    },
  );

  app.post(
    `${one}/deliveries/:deliveryId/replay`,
    {
      schema: {
        ...doc('replayWebhookDelivery', "Send a delivery's event again (same webhook-id)"),
        params: W.DeliveryParams,
        response: { 202: W.Delivery, ...errs(403, 404) },
      },
    },
    async (req, reply) => {
      const { organizationId, webhookId, deliveryId } = req.params;
      const d = await ctx.webhooks.replay(await auth(req), organizationId, webhookId, deliveryId);
      return reply.code(202).send(deliveryOut(d));
    },
  );
}
