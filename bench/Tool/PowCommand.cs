using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WaitingRoom.ProofOfWork;

namespace WaitingRoom.Bench;

/// <summary>
/// <c>pow</c>: what WR_POW costs, measured on this machine. (1) The queue page's own worker
/// (wwwroot/queue-pow.js) in headless Chromium: the time from starting a Web Worker to its solution,
/// at each difficulty, several runs (median, mean, slowest), with crypto.subtle and with the built-in
/// SHA-256 of plain-HTTP pages, and as the page runs it (race: both for 40 ms, then the faster), and the browser's hashes per second. (2) Native SHA-256 in C# on one
/// core (the hashes per second a bot written in C# gets), so the CPU a bot spends per place taken is
/// 2^difficulty / rate. (3) The server's check of one solution (one HMAC, one SHA-256). Bounded by --timeout.
/// </summary>
/// <remarks>
/// usage: pow [--difficulties 12,14,16,18,20] [--runs 7] [--engines race,subtle,js] [--timeout 300]
///            [--chromium /usr/bin/chromium] [--wwwroot DIR] [--native-seconds 2]
/// </remarks>
internal static class PowCommand
{
    private const string BenchPage = """
        <!doctype html><html><head><meta charset="utf-8"><title>pow bench</title></head><body><pre id="log"></pre><script>
        (async function () {
          const cfg = await (await fetch('/config')).json();
          const results = [];
          const log = t => { document.getElementById('log').textContent += t + '\n'; };
          const rand = () => { const a = new Uint8Array(16); crypto.getRandomValues(a); return btoa(String.fromCharCode(...a)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''); };
          for (const engine of cfg.engines) {
            for (const bits of cfg.difficulties) {
              for (let run = 0; run < cfg.runs; run++) {
                if (Date.now() > cfg.deadline) break;
                const challenge = Math.floor(Date.now() / 60000) + '-' + bits + '-' + rand();
                const started = performance.now();
                const answer = await new Promise(resolve => {
                  const w = new Worker('/queue-pow.js');
                  w.onmessage = e => { if (e.data.nonce !== undefined || e.data.error) { w.terminate(); resolve(e.data); } };
                  w.onerror = e => { w.terminate(); resolve({ error: String(e.message) }); };
                  w.postMessage({ challenge, difficulty: bits, engine });
                });
                const ms = performance.now() - started;
                results.push({ engine, winner: answer.engine, bits, ms, tried: answer.tried || 0, nonce: answer.nonce, challenge, error: answer.error });
                log(engine + ' ' + bits + ' ' + ms.toFixed(0) + ' ms');
              }
            }
          }
          await fetch('/results', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userAgent: navigator.userAgent, secure: isSecureContext, results }) });
        })().catch(e => fetch('/results', { method: 'POST', body: JSON.stringify({ error: String(e) }) }));
        </script></body></html>
        """;

    public static async Task<int> RunAsync(Arguments args)
    {
        var difficulties = (args.OptionalText("difficulties") ?? "12,14,16,18,20").Split(',').Select(d => int.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        var runs = (int)args.Number("runs", 7);
        var engines = (args.OptionalText("engines") ?? "race,subtle,js").Split(',');
        var timeout = TimeSpan.FromSeconds(args.Number("timeout", 300));
        var chromium = args.OptionalText("chromium") ?? "/usr/bin/chromium";
        var wwwroot = args.OptionalText("wwwroot") ?? FindWwwroot();
        var nativeSeconds = args.Number("native-seconds", 2);

        var native = NativeHashesPerSecond(TimeSpan.FromSeconds(nativeSeconds));
        var checkMicroseconds = CheckMicroseconds();
        Console.Error.WriteLine($"native SHA-256: {native:N0} hashes/s on one core; server check: {checkMicroseconds:0.00} µs per solution");

        var results = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var deadline = DateTimeOffset.UtcNow + timeout - TimeSpan.FromSeconds(10);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapGet("/bench", () => Results.Content(BenchPage, "text/html; charset=utf-8"));
        app.MapGet("/queue-pow.js", () => Results.File(Path.Combine(wwwroot, "queue-pow.js"), "text/javascript"));
        app.MapGet("/config", () => Results.Text(JsonSerializer.Serialize(new { difficulties, runs, engines, deadline = deadline.ToUnixTimeMilliseconds() }), "application/json"));
        app.MapPost("/results", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            results.TrySetResult(await reader.ReadToEndAsync());
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var profile = Directory.CreateTempSubdirectory("wr-pow-bench-");
        using var browser = Process.Start(new ProcessStartInfo(chromium)
        {
            ArgumentList = { "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", $"--user-data-dir={profile.FullName}", address + "/bench" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        browser.ErrorDataReceived += (_, _) => { };
        browser.OutputDataReceived += (_, _) => { };
        browser.BeginErrorReadLine();
        browser.BeginOutputReadLine();
        string raw;
        try
        {
            raw = await results.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"no results from Chromium within {timeout.TotalSeconds} s");
            return 2;
        }
        finally
        {
            // Only the browser this command started, by its process.
            browser.Kill(entireProcessTree: true);
            await browser.WaitForExitAsync();
            profile.Delete(recursive: true);
        }

        var document = JsonDocument.Parse(raw).RootElement;
        if (document.TryGetProperty("error", out var error))
        {
            Console.Error.WriteLine("the bench page failed: " + error.GetString());
            return 2;
        }

        var rows = document.GetProperty("results").EnumerateArray()
            .Select(r => (Engine: r.GetProperty("engine").GetString()!, Bits: r.GetProperty("bits").GetInt32(), Ms: r.GetProperty("ms").GetDouble(), Tried: r.GetProperty("tried").GetDouble(),
                Valid: r.TryGetProperty("nonce", out var n) && n.ValueKind == JsonValueKind.String && ProofOfWorkChallenges.LeadingZeroBits(r.GetProperty("challenge").GetString() + "." + n.GetString()) >= r.GetProperty("bits").GetInt32()))
            .ToList();
        if (rows.Exists(r => !r.Valid))
        {
            Console.Error.WriteLine("a solution from the browser does not check out");
            return 3;
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Chromium: {document.GetProperty("userAgent").GetString()} (secure context: {document.GetProperty("secure").GetBoolean()})");
        text.AppendLine(CultureInfo.InvariantCulture, $"native SHA-256 (C#, one core): {native:N0} hashes/s; server check of one solution: {checkMicroseconds:0.00} µs");
        text.AppendLine();
        text.AppendLine("| engine | bits | runs | median s | mean s | slowest s | browser hashes/s | expected s (2^bits / rate) | bot CPU per place (native) |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var group in rows.GroupBy(r => (r.Engine, r.Bits)).OrderBy(g => g.Key.Engine, StringComparer.Ordinal).ThenBy(g => g.Key.Bits))
        {
            var times = group.Select(r => r.Ms / 1000).Order().ToArray();
            var rate = group.Sum(r => r.Tried) / group.Sum(r => r.Ms / 1000);
            var expected = Math.Pow(2, group.Key.Bits);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {group.Key.Engine} | {group.Key.Bits} | {times.Length} | {Median(times):0.000} | {times.Average():0.000} | {times[^1]:0.000} | {rate:N0} | {expected / rate:0.000} | {expected / native * 1000:0.0} ms |");
        }

        Console.Write(text.ToString());
        return 0;
    }

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    /// <summary>SHA-256 of "&lt;challenge&gt;.&lt;nonce&gt;" with the nonce's digits written in place, as a bot in C# would search: hashes per second on one thread.</summary>
    private static double NativeHashesPerSecond(TimeSpan duration)
    {
        var prefix = Encoding.ASCII.GetBytes("29400000-20-AAAAAAAAAAAAAAAAAAAAAA.");
        var buffer = new byte[prefix.Length + 20];
        prefix.CopyTo(buffer, 0);
        Span<byte> hash = stackalloc byte[32];
        long nonce = 0, zeros = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            for (var i = 0; i < 10_000; i++, nonce++)
            {
                nonce.TryFormat(buffer.AsSpan(prefix.Length), out var digits, default, CultureInfo.InvariantCulture);
                SHA256.HashData(buffer.AsSpan(0, prefix.Length + digits), hash);
                zeros += hash[0] == 0 ? 1 : 0;
            }
        }

        GC.KeepAlive(zeros);
        return nonce / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Microseconds the proxy spends checking one valid solution (the product's own check: parse, HMAC, SHA-256).</summary>
    private static double CheckMicroseconds()
    {
        var challenges = new ProofOfWorkChallenges(() => RandomNumberGenerator.GetBytes(32) is var key ? key : key, TimeProvider.System);
        var challenge = challenges.Issue("default", "AAAAAAAAAAAAAAAAAAAAAA", 8);
        var nonce = 0;
        while (ProofOfWorkChallenges.LeadingZeroBits(challenge.Text + "." + nonce) < 8)
        {
            nonce++;
        }

        var proof = challenge.Text + "." + nonce;
        const int Count = 200_000;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Count; i++)
        {
            if (challenges.Check(proof, "default", "AAAAAAAAAAAAAAAAAAAAAA", 8) != ProofCheck.Valid)
            {
                throw new InvalidOperationException("the check refused a valid solution");
            }
        }

        return clock.Elapsed.TotalMicroseconds / Count;
    }

    private static string FindWwwroot()
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "wwwroot", "queue-pow.js")))
            {
                return Path.Combine(directory.FullName, "wwwroot");
            }
        }

        throw new ArgumentException("wwwroot/queue-pow.js not found above the current directory; pass --wwwroot");
    }
}
