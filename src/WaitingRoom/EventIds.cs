namespace WaitingRoom;

/// <summary>Every log event id, one range per area: an id names one event for good (operators alert on them).</summary>
internal static class EventIds
{
    // 1–99: Start-up and configuration (Hosting/StartupReport).
    public const int ConfigurationWarning = 1;
    public const int InMemoryStore = 2;
    public const int RedisStore = 3;
    public const int Room = 4;
    public const int DemoOrigin = 5;
    public const int Backends = 6;
    public const int SharedSecret = 7;
    public const int StoreDownAtStart = 8;
    public const int RoomEvent = 10;
    public const int Promotion = 11;
    public const int AdminApiOff = 12;
    public const int AdminApiOn = 13;
    public const int RedisRefused = 14;
    public const int AdaptiveRoom = 15;

    // 100–199: Admission: the store as visitors meet it, the pages.
    public const int StoreUnavailable = 100;
    public const int StoreRecovered = 101;
    public const int CustomQueuePageUnusable = 110;
    public const int PageUnreadable = 111;

    // 200–299: Queue: promotion and the admission cache.
    public const int PromotionRound = 200;
    public const int PromotionRoundFailed = 201;
    public const int AdmissionCacheFlushFailed = 210;

    // 300–399: Request log.
    public const int Request = 300;

    // 400–499: Proxy: commands from the origin.
    public const int OriginReleased = 400;
    public const int OriginReleaseFailed = 401;
    public const int OriginCapacity = 402;
    public const int OriginSoldOut = 403;
    public const int OriginCommandFailed = 404;

    // 500–599: Run-time state: backends, room settings, shared documents.
    public const int BackendsLoaded = 500;
    public const int BackendsUnreadable = 501;
    public const int RoomSettingsApplied = 510;
    public const int RoomSettingsInvalid = 511;
    public const int SharedStateFailed = 520;
    public const int SharedStateRecovered = 521;
    public const int CapacityChanged = 530;
    public const int CapacityHold = 531;
    public const int CapacityStepFailed = 532;
    public const int CapacityStepRecovered = 533;

    // 600–699: Admin API audit.
    public const int AdminChange = 600;

    // 700–799: Redis connection.
    public const int RedisCertificateRejected = 700;

    // 800–819: The signed admission assertion (WR-Admission) and its keys.
    public const int AdmissionKeyListed = 800;
    public const int AdmissionKeysFailed = 801;
    public const int AdmissionKeysRecovered = 802;
    public const int AdmissionUnsigned = 803;
    public const int AdmissionAssertionsOn = 804;

    // 820–839: Proof of work (WR_POW).
    public const int ProofRefused = 820;
    public const int ProofOfWorkOn = 821;

    // 840–859: Access: address lists, crawlers, the queue page's status.
    public const int AccessScreening = 840;

    // 860–869: The pages' languages (translation files in wwwroot/i18n).
    public const int TranslationIncomplete = 860;
    public const int TranslationUnusable = 861;
    public const int TranslationUnknownKeys = 862;
    public const int TranslationPhraseUnusable = 863;
    public const int PagePerLanguageIgnored = 864;

    // 870–879: Access codes (invite links, skip and priority lanes).
    public const int CodeGuessesLimited = 870;
    public const int CodeRedeemed = 871;

    // 880–889: Analytics kept in the store.
    public const int AnalyticsFlushFailed = 880;
    public const int AnalyticsFlushRecovered = 881;

    // 890–899: Webhooks (WR_WEBHOOK_URL) and the queue-size cap (WR_MAX_QUEUE).
    public const int WebhooksOn = 890;
    public const int WebhookDropped = 891;
    public const int WebhookFailed = 892;
    public const int WebhookWatchFailed = 893;
    public const int WebhookWatchRecovered = 894;
    public const int WebhookDelivered = 895;
    public const int QueueCapOn = 896;
}
