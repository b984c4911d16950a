using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;
using WaitingRoom.Configuration;
using WaitingRoom.Operations;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Composition of the logs (Serilog) and the metrics (System.Diagnostics.Metrics, OpenTelemetry's Prometheus exporter).</summary>
internal static class TelemetryServiceCollectionExtensions
{
    public const string MetricsPath = "/_wr/metrics";

    /// <summary>
    /// Every log event, request lines included, goes through one Serilog logger (levels, filters and sinks
    /// from the configuration) to a background stdout writer: JSON lines, or text with WR_LOG_FORMAT=text.
    /// </summary>
    public static WebApplicationBuilder AddWaitingRoomTelemetry(this WebApplicationBuilder builder, WaitingRoomOptions options)
    {
        var logger = CreateLogger(builder.Configuration, options.LogFormat);
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);
        builder.Services.AddSingleton<Serilog.ILogger>(logger);

        // Only meters made by this host's IMeterFactory (tests and embedders run several hosts in one process).
        builder.Services.AddMetrics(metrics => metrics.EnableMetrics(WaitingRoomMetrics.MeterName, instrumentName: null, listenerName: "OpenTelemetry", MeterScope.Local));
        builder.Services.AddSingleton<WaitingRoomMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter(prometheus =>
        {
            // The series as dashboards know them: wr_admitted_total, wr_decision_duration_seconds, …
            // without the exporter's scope labels or target_info, and every scrape current.
            prometheus.ScopeInfoEnabled = false;
            prometheus.TargetInfoEnabled = false;
            prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
        }));
        return builder;
    }

    /// <summary>One line per request, written when it ends (see <see cref="RequestLog"/>).</summary>
    public static WebApplication UseWaitingRoomRequestLog(this WebApplication app)
    {
        app.UseMiddleware<RequestLog>(app.Services.GetRequiredService<Serilog.ILogger>());
        return app;
    }

    /// <summary>The Prometheus text exposition of the room's instruments (see <see cref="WaitingRoomMetrics"/>).</summary>
    public static IEndpointConventionBuilder MapWaitingRoomMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch => branch.Use((context, next) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return next(context);
        }), optionsName: null);

    private static Serilog.Core.Logger CreateLogger(ConfigurationManager configuration, string format)
    {
        // Framework and proxy logs at warnings, start and stop lines at information, unless the
        // configuration raises the default level above them (tests set Warning: a quiet app).
        var floor = Enum.TryParse<LogEventLevel>(configuration["Serilog:MinimumLevel:Default"] ?? configuration["Serilog:MinimumLevel"], ignoreCase: true, out var level)
            ? level
            : LogEventLevel.Information;
        var framework = (LogEventLevel)Math.Max((int)LogEventLevel.Warning, (int)floor);
        var logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", framework)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", floor)
            .MinimumLevel.Override("Yarp", framework)
            // ASP.NET Core starts an Activity per request (and HttpClient a child one, with trace
            // headers) whenever this category is on, even at Critical, though it only logs
            // "Request starting/finished" at Information. Off, a request has an Activity only when
            // something listens for one (a tracer); the request line carries its own RequestId.
            .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LevelAlias.Off);

        // The request line's category before Serilog.AspNetCore wrote it: an override of it still applies.
        if (Enum.TryParse<LogEventLevel>(configuration[$"Serilog:MinimumLevel:Override:{RequestLog.LegacyCategory}"], ignoreCase: true, out var requestLevel))
        {
            logger.MinimumLevel.Override(RequestLog.Category, requestLevel);
        }

        logger.ReadFrom.Configuration(configuration);
        if (format == "json")
        {
            // A batch at least once a second, written to stdout in one call (see StandardOutputSink), each
            // line exactly as Serilog's JsonFormatter writes it (see JsonLineFormatter). The batch loop
            // wakes once per period even with nothing to write: at 50 ms an idle room's wake-ups cost
            // about half a second of CPU a minute.
            logger.WriteTo.Sink(new PeriodicBatchingSink(new StandardOutputSink(new JsonLineFormatter()), batchSize: 1_000, period: TimeSpan.FromSeconds(1), queueLimit: 50_000));
        }
        else
        {
            logger.WriteTo.Async(console => console.Console(formatProvider: CultureInfo.InvariantCulture), bufferSize: 50_000);
        }

        return logger.CreateLogger();
    }
}
