using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace WaitingRoom.Proxy;

/// <summary>
/// The backend destinations at run time (HAProxy's add/del server): WR_BACKEND_URL at first, then one
/// JSON document in the store changed by compare-and-set, loaded into YARP's in-memory configuration by
/// every instance within one interval. YARP keeps the health of destinations whose id stays.
/// </summary>
internal sealed partial class BackendDestinations(IWaitingRoomStore store, IServiceProvider services, IOptions<WaitingRoomOptions> options, ILogger<BackendDestinations> logger)
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly WaitingRoomOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, RequestCount> _requests = new(StringComparer.Ordinal);
    private readonly Lock _applyLock = new();
    private string? _appliedText;
    private volatile IReadOnlyList<BackendDestination> _current = ProxyConfiguration.Configured(options.Value);

    /// <summary>False when WR_BACKEND_URL is unset: the demo origin answers and there is no cluster to change.</summary>
    public bool HasCluster => _options.BackendUrls.Count > 0;

    /// <summary>The destinations this instance forwards to (disabled ones included, marked).</summary>
    public IReadOnlyList<BackendDestination> Current => _current;

    /// <summary>Loads the stored list when it changed since the last call; the configured list while none is stored.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (!HasCluster)
        {
            return;
        }

        Apply(await store.GetDocumentAsync(RoomKeys.BackendsDocument, cancellationToken));
    }

    /// <summary>Adds a destination; null with a reason when the address is not valid or already there.</summary>
    public Task<Change> AddAsync(Uri address, CancellationToken cancellationToken) =>
        ChangeAsync(
            document =>
            {
                var normalized = address.ToString();
                if (document.Destinations.Exists(d => string.Equals(d.Address, normalized, StringComparison.OrdinalIgnoreCase)))
                {
                    return (null, "duplicate-address");
                }

                var added = new BackendDestination("d" + document.NextId.ToString(System.Globalization.CultureInfo.InvariantCulture), normalized, Disabled: false);
                return (document with { Destinations = [.. document.Destinations, added], NextId = document.NextId + 1 }, null);
            },
            cancellationToken);

    /// <summary>Removes a destination; its id is not given out again.</summary>
    public Task<Change> RemoveAsync(string id, CancellationToken cancellationToken) =>
        ChangeAsync(
            document => document.Destinations.Exists(d => d.Id == id)
                ? (document with { Destinations = document.Destinations.FindAll(d => d.Id != id) }, null)
                : (null, "unknown-backend"),
            cancellationToken);

    /// <summary>Keeps a destination in the list but gives it no traffic (or gives it traffic again).</summary>
    public Task<Change> SetDisabledAsync(string id, bool disabled, CancellationToken cancellationToken) =>
        ChangeAsync(
            document => document.Destinations.Exists(d => d.Id == id)
                ? (document with { Destinations = document.Destinations.ConvertAll(d => d.Id == id ? d with { Disabled = disabled } : d) }, null)
                : (null, "unknown-backend"),
            cancellationToken);

    /// <summary>Counts one forwarded request by the destination YARP chose; <paramref name="failed"/> when forwarding failed.</summary>
    public void RecordRequest(string destinationId, bool failed)
    {
        var count = _requests.GetOrAdd(destinationId, static _ => new RequestCount());
        Interlocked.Increment(ref count.Requests);
        if (failed)
        {
            Interlocked.Increment(ref count.Failures);
        }
    }

    /// <summary>
    /// YARP's view of a destination (active and passive health, requests in flight; unknown when YARP
    /// does not have it: disabled) and what this instance forwarded to it since start.
    /// </summary>
    public DestinationView ViewOf(BackendDestination destination)
    {
        var (requests, failures) = _requests.TryGetValue(destination.Id, out var count) ? (Volatile.Read(ref count.Requests), Volatile.Read(ref count.Failures)) : (0, 0);
        var lookup = services.GetService<IProxyStateLookup>();
        if (destination.Disabled || lookup is null || !lookup.TryGetCluster(ProxyConfiguration.ClusterId, out var cluster) ||
            !cluster.Destinations.TryGetValue(destination.Id, out var state))
        {
            return new DestinationView(destination, DestinationHealth.Unknown, DestinationHealth.Unknown, requests, failures, 0);
        }

        return new DestinationView(destination, state.Health.Active, state.Health.Passive, requests, failures, state.ConcurrentRequestCount);
    }

    /// <summary>A list as logs and audit lines show it: <c>[d1=http://a/, d2=http://b/ (disabled)]</c>.</summary>
    public static string Describe(IEnumerable<BackendDestination> destinations) =>
        "[" + string.Join(", ", destinations.Select(d => d.Disabled ? $"{d.Id}={d.Address} (disabled)" : $"{d.Id}={d.Address}")) + "]";

    /// <summary>One change of the stored list: read, change, compare-and-set (again if another instance changed it meanwhile), then apply here.</summary>
    private async Task<Change> ChangeAsync(Func<Document, (Document? After, string? Error)> change, CancellationToken cancellationToken)
    {
        if (!HasCluster)
        {
            return new Change(null, null, "no-backend-cluster");
        }

        var done = await SharedDocument.ChangeAsync(
            store,
            RoomKeys.BackendsDocument,
            text =>
            {
                var before = Parse(text) ?? Initial();
                var (after, error) = change(before);
                return after is null
                    ? (new Change(before.Destinations, null, error), null)
                    : (new Change(before.Destinations, after.Destinations, null), JsonSerializer.Serialize(after, s_json));
            },
            cancellationToken);
        if (done is not { } stored)
        {
            return new Change(null, null, "conflict");
        }

        if (stored.Stored is not null)
        {
            Apply(stored.Stored);
        }

        return stored.Outcome;
    }

    private void Apply(string? text)
    {
        lock (_applyLock)
        {
            if (string.Equals(text, _appliedText, StringComparison.Ordinal))
            {
                return;
            }

            var document = text is null ? Initial() : Parse(text);
            if (document is null)
            {
                LogStoredListUnreadable(logger, text!.Length);
                _appliedText = text;
                return;
            }

            services.GetRequiredService<InMemoryConfigProvider>().Update(ProxyConfiguration.Routes(), ProxyConfiguration.Clusters(_options, document.Destinations));
            _current = document.Destinations;
            _appliedText = text;
            var summary = Describe(document.Destinations);
            LogDestinationsLoaded(logger, summary);
        }
    }

    private Document Initial()
    {
        var configured = ProxyConfiguration.Configured(_options);
        return new Document([.. configured], configured.Count + 1);
    }

    private static Document? Parse(string? text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            var document = JsonSerializer.Deserialize<Document>(text, s_json);
            return document is { Destinations: not null } && document.Destinations.TrueForAll(d => d is not null && ProxyConfiguration.IsBackendUrl(d.Address, out _))
                ? document
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The stored form: the destinations and the next id to give out.</summary>
    internal sealed record Document(List<BackendDestination> Destinations, int NextId);

    /// <summary>The outcome of a change: the list before and after, or why nothing changed.</summary>
    internal sealed record Change(IReadOnlyList<BackendDestination>? Before, IReadOnlyList<BackendDestination>? After, string? Error);

    /// <summary>A destination with YARP's health and this instance's request counts.</summary>
    internal sealed record DestinationView(BackendDestination Destination, DestinationHealth Active, DestinationHealth Passive, long Requests, long Failures, int ConcurrentRequests)
    {
        /// <summary>Overall: unhealthy when either check says so, healthy when one says so, else unknown.</summary>
        public DestinationHealth Health =>
            Active == DestinationHealth.Unhealthy || Passive == DestinationHealth.Unhealthy ? DestinationHealth.Unhealthy
            : Active == DestinationHealth.Healthy || Passive == DestinationHealth.Healthy ? DestinationHealth.Healthy
            : DestinationHealth.Unknown;
    }

    private sealed class RequestCount
    {
        public long Requests;
        public long Failures;
    }
}
