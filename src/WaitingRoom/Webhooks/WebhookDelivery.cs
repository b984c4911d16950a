namespace WaitingRoom.Webhooks;

/// <summary>One webhook to send: where, its signed body, and the id a receiver can deduplicate retries by.</summary>
/// <param name="Url">The room's webhookUrl, or WR_WEBHOOK_URL.</param>
/// <param name="Type">The event type (for logs and metrics).</param>
/// <param name="Id">Sent as WR-Webhook-Id; the same on every attempt of this delivery.</param>
/// <param name="Body">The UTF-8 JSON body, exactly as signed.</param>
/// <param name="Signature">The WR-Signature header value: <c>sha256=</c> and the hex HMAC-SHA256 of <paramref name="Body"/>.</param>
internal sealed record WebhookDelivery(Uri Url, string Type, string Id, byte[] Body, string Signature);
