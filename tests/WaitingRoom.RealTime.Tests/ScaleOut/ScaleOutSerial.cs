using Xunit;

namespace WaitingRoom.Tests.ScaleOut;

/// <summary>
/// The soak runs: three app processes under a minute of load each. They run alone, never beside
/// each other or the timing-sensitive tests of other collections.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ScaleOutSerial
{
    public const string Name = "ScaleOut";
}
