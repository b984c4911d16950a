using System.Net;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.DependencyInjection;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// While Redis fails fast (the circuit open after a call it did not answer), a request gets the
/// outage's answer without an exception thrown on its path, a page as well as a status poll: under
/// load, thrown and rethrown through each async layer, they cost a room failing fast about a third
/// of its CPU.
/// </summary>
public sealed class FailingFastTests
{
    [Fact]
    public async Task CircuitOpen_Request_OutageAnswerWithNoExceptionThrown()
    {
        await using var backend = await TestBackend.StartAsync();
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_SECRET"] = "a-test-secret-of-at-least-32-characters!";
        settings["WR_FAILURE_MODE"] = "closed";
        await using var proxy = await ProxyInstance.StartAsync(settings, storeDeadline: StoreAvailability.DefaultRequestDeadline);
        var availability = proxy.Services.GetRequiredService<StoreAvailability>();
        using var client = proxy.Anonymous();
        using var visitor = proxy.Visitor();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await visitor.GetAsync("/")).StatusCode);

        // This test's silence, told apart from other tests' by its message: the exceptions a failing-fast call throws carry it.
        var marker = "test silence " + Guid.NewGuid().ToString("N");
        var thrown = 0;
        void Count(object? sender, FirstChanceExceptionEventArgs args)
        {
            if (args.Exception is StoreUnavailableException && args.Exception.Message.Contains(marker, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref thrown);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            // The circuit closes again at the first probe after 200 ms: a request that came too late for it is asked again.
            int[] outageAnswers = [0, 0]; // pages, polls
            for (var attempt = 0; attempt < 40 && outageAnswers.Min() < 3; attempt++)
            {
                while (!availability.IsDown)
                {
                    availability.Record<bool>(new TimeoutException(marker));
                }

                // A newcomer's page on even attempts, an admitted visitor's status poll (the store's answer, not the instance's) on odd ones.
                var response = attempt % 2 == 0 ? await client.GetAsync("/") : await visitor.GetAsync("/_wr/status");
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && availability.LastFailure?.Message == marker)
                {
                    outageAnswers[attempt % 2]++;
                }
            }

            Assert.True(outageAnswers.Min() >= 3, $"{outageAnswers[0]} pages and {outageAnswers[1]} polls answered the outage while the circuit was open");
            Assert.Equal(0, Volatile.Read(ref thrown));
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        // The probe (a PING Redis answers) closes the circuit by itself.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        HttpStatusCode status;
        while ((status = (await client.GetAsync("/")).StatusCode) != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(StoreAvailability.ProbeInterval);
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }
}
