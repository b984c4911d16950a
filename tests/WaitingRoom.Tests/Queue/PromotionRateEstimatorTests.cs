using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Queue;

public sealed class PromotionRateEstimatorTests
{
    private readonly FakeTimeProvider _clock = new();

    private void RecordEverySecond(PromotionRateEstimator estimator, long start, long perSecond, int seconds)
    {
        for (var i = 1; i <= seconds; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            estimator.Record(start + (perSecond * i));
        }
    }

    [Fact]
    public void RatePerSecond_NoData_Null()
    {
        // Arrange
        var estimator = new PromotionRateEstimator(_clock);

        // Act
        var rate = estimator.RatePerSecond();
        var estimate = estimator.EstimateSeconds(100);

        // Assert
        Assert.Null(rate);
        Assert.Null(estimate);
    }

    [Fact]
    public void RatePerSecond_OneSample_Null()
    {
        // Arrange
        var estimator = new PromotionRateEstimator(_clock);
        estimator.Record(500);

        // Act
        var rate = estimator.RatePerSecond();
        var estimate = estimator.EstimateSeconds(100);

        // Assert
        Assert.Null(rate);
        Assert.Null(estimate);
    }

    [Fact]
    public void RatePerSecond_TwoSamplesAtSameInstant_Null()
    {
        // Arrange
        var estimator = new PromotionRateEstimator(_clock);
        estimator.Record(0);
        estimator.Record(10);

        // Act
        var rate = estimator.RatePerSecond();

        // Assert
        Assert.Null(rate);
    }

    [Fact]
    public void RatePerSecond_SteadyTenPerSecond_TenAndEstimateMatches()
    {
        // Arrange
        var estimator = new PromotionRateEstimator(_clock);
        estimator.Record(0);
        RecordEverySecond(estimator, 0, 10, 30);

        // Act
        var rate = estimator.RatePerSecond();
        var hundred = estimator.EstimateSeconds(100);
        var five = estimator.EstimateSeconds(5);
        var one = estimator.EstimateSeconds(1);

        // Assert
        Assert.NotNull(rate);
        Assert.Equal(10.0, rate.Value, 9);
        Assert.Equal(10, hundred);
        Assert.Equal(1, five);
        Assert.Equal(1, one);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-3L)]
    public void EstimateSeconds_PositionNotPositive_Null(long position)
    {
        // Arrange
        var estimator = new PromotionRateEstimator(_clock);
        estimator.Record(0);
        RecordEverySecond(estimator, 0, 10, 5);

        // Act
        var estimate = estimator.EstimateSeconds(position);

        // Assert
        Assert.Null(estimate);
    }

    [Fact]
    public void RatePerSecond_TotalUnchangedForTenSeconds_Null()
    {
        // Arrange
        var estimator = new PromotionRateEstimator(_clock);
        estimator.Record(250);
        RecordEverySecond(estimator, 250, 0, 10);

        // Act
        var rate = estimator.RatePerSecond();
        var estimate = estimator.EstimateSeconds(10);

        // Assert
        Assert.Null(rate);
        Assert.Null(estimate);
    }

    [Fact]
    public void RatePerSecond_StallAfterSteadyWithinWindow_RateDilutedNotNull()
    {
        // Arrange
        var estimator = new PromotionRateEstimator(_clock);
        estimator.Record(0);
        RecordEverySecond(estimator, 0, 10, 10);
        RecordEverySecond(estimator, 100, 0, 10);

        // Act
        var rate = estimator.RatePerSecond();

        // Assert: 100 promoted over 20 s.
        Assert.NotNull(rate);
        Assert.Equal(5.0, rate.Value, 9);
    }

    [Fact]
    public void RatePerSecond_StallLongerThanWindow_Null()
    {
        // Arrange
        var estimator = new PromotionRateEstimator(_clock);
        estimator.Record(0);
        RecordEverySecond(estimator, 0, 10, 10);
        RecordEverySecond(estimator, 100, 0, 6 * 60);

        // Act
        var rate = estimator.RatePerSecond();

        // Assert
        Assert.Null(rate);
    }

    [Fact]
    public void RatePerSecond_BurstThenSteady_AveragedOverFiveMinuteWindow()
    {
        // Arrange
        var estimator = new PromotionRateEstimator(_clock);
        estimator.Record(0);
        _clock.Advance(TimeSpan.FromSeconds(1));
        estimator.Record(1_000);

        // Act: one minute after the burst, the burst is still inside the window.
        RecordEverySecond(estimator, 1_000, 1, 60);
        var withBurst = estimator.RatePerSecond();

        // Act: ten minutes later the window holds only the steady rate.
        RecordEverySecond(estimator, 1_060, 1, 540);
        var steady = estimator.RatePerSecond();

        // Assert
        Assert.NotNull(withBurst);
        Assert.Equal(1_060.0 / 61.0, withBurst.Value, 9);
        Assert.NotNull(steady);
        Assert.Equal(1.0, steady.Value, 9);
        Assert.Equal(300, estimator.EstimateSeconds(300));
    }
}
