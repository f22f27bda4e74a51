import { AppError } from '../../errors.js';

export const webhookErrors = {
  notFound: () => new AppError(404, 'webhook_not_found', 'The webhook was not found.'),
  deliveryNotFound: () => new AppError(404, 'delivery_not_found', 'The delivery was not found.'),
  urlNotAllowed: (reason: string) =>
    new AppError(
      400,
      'webhook_url_not_allowed',
      `Webhook URLs must be https and name a public host (${reason}).`,
    ),
};
