using Microsoft.Extensions.Configuration;
using WaitingRoom.Configuration;
using WaitingRoom.ProofOfWork;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.ProofOfWork;

/// <summary>WR_POW and WR_POW_DIFFICULTY as the reader takes them, and a bad value stopping the real process.</summary>
public sealed class ProofOfWorkOptionsTests
{
    private static IConfiguration Configuration(params (string Name, string? Value)[] variables) =>
        new ConfigurationBuilder().AddInMemoryCollection(variables.ToDictionary(v => v.Name, v => v.Value)).Build();

    [Fact]
    public void Read_Unset_OffAtTheMeasuredDefault()
    {
        var options = WaitingRoomOptionsReader.Read(Configuration());

        Assert.Equal(ProofOfWorkMode.Off, options.ProofOfWork);
        Assert.Equal(ProofOfWorkChallenges.DefaultDifficulty, options.ProofOfWorkDifficulty);
    }

    [Theory]
    [InlineData("on", "20", ProofOfWorkMode.On, 20)]
    [InlineData("AUTO", "1", ProofOfWorkMode.Auto, 1)]
    [InlineData("off", null, ProofOfWorkMode.Off, ProofOfWorkChallenges.DefaultDifficulty)]
    public void Read_ValidValues_Taken(string mode, string? difficulty, ProofOfWorkMode expected, int bits)
    {
        var options = WaitingRoomOptionsReader.Read(Configuration(("WR_POW", mode), ("WR_POW_DIFFICULTY", difficulty)));

        Assert.Equal((expected, bits), (options.ProofOfWork, options.ProofOfWorkDifficulty));
    }

    [Theory]
    [InlineData("WR_POW", "sometimes", "WR_POW='sometimes' is not valid: expected one of off, auto, on.")]
    [InlineData("WR_POW_DIFFICULTY", "0", "WR_POW_DIFFICULTY='0' is not valid: expected a whole number from 1 to 32.")]
    [InlineData("WR_POW_DIFFICULTY", "33", "WR_POW_DIFFICULTY='33' is not valid: expected a whole number from 1 to 32.")]
    [InlineData("WR_POW_DIFFICULTY", "18 bits", "WR_POW_DIFFICULTY='18 bits' is not valid: expected a whole number from 1 to 32.")]
    public void Read_BadValue_OneLineNamingTheVariable(string name, string value, string expected)
    {
        var configuration = name == "WR_POW" ? Configuration((name, value)) : Configuration(("WR_POW", "on"), (name, value));

        var error = Assert.Throws<WaitingRoomConfigurationException>(() => WaitingRoomOptionsReader.Read(configuration));

        Assert.Equal(expected, Assert.Single(error.Message.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Read_DifficultyWithoutTheStep_Warns()
    {
        var warnings = new List<string>();

        WaitingRoomOptionsReader.Read(Configuration(("WR_POW_DIFFICULTY", "20")), warnings);

        Assert.Contains(warnings, w => w.StartsWith("WR_POW_DIFFICULTY is set but WR_POW is off", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_BadWrPow_ExitsNonZeroNamingIt()
    {
        using var app = AppProcess.Start(new Dictionary<string, string> { ["WR_POW"] = "maybe", ["WR_PORT"] = "0" });

        var exitCode = await app.ExitCodeAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Equal("WR_POW='maybe' is not valid: expected one of off, auto, on.", app.StandardError.Trim());
    }
}
