/** The seal context of an endpoint's secrets: a secret sealed for one endpoint opens for no other. */
export const sealContext = (webhookId: string) => `webhook:${webhookId}`;
