using Xunit;

namespace WaitingRoom.Tests.Faults;

/// <summary>
/// Tests that kill, stop or restart processes (redis-server, app instances) under load and time the
/// room's answers: they run alone, not beside timing-sensitive tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultTestGroup
{
    public const string Name = "Faults";
}
