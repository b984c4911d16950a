using System.Globalization;
using System.Net;
using Yarp.ReverseProxy.Configuration;

// Bare YARP, the baseline of the admitted hot path: one catch-all route to one cluster with one
// destination (the backend), YARP's defaults otherwise, on 127.0.0.1 only. No logging.
// Arguments: port and backend URL (else BENCH_YARP_PORT and BENCH_BACKEND_URL).
var port = int.Parse(args.ElementAtOrDefault(0) ?? Environment.GetEnvironmentVariable("BENCH_YARP_PORT") ?? "5081", CultureInfo.InvariantCulture);
var backend = args.ElementAtOrDefault(1) ?? Environment.GetEnvironmentVariable("BENCH_BACKEND_URL") ?? "http://127.0.0.1:5080/";

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "backend", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig { ClusterId = "backend", Destinations = new Dictionary<string, DestinationConfig> { ["d1"] = new() { Address = backend } } }]);

var app = builder.Build();
app.MapReverseProxy();
await app.RunAsync();
