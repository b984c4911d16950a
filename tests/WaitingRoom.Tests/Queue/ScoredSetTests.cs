using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

public sealed class ScoredSetTests
{
    /// <summary>The ZSET order: score, then member by ordinal.</summary>
    private static readonly Comparer<(long Score, string Member)> s_order = Comparer<(long Score, string Member)>.Create((a, b) =>
    {
        var order = a.Score.CompareTo(b.Score);
        return order != 0 ? order : string.CompareOrdinal(a.Member, b.Member);
    });

    /// <summary>A slow, obviously right sorted set to hold the treap against.</summary>
    private sealed class Reference
    {
        private readonly Dictionary<string, long> _scores = new(StringComparer.Ordinal);
        private readonly SortedSet<(long Score, string Member)> _sorted = new(s_order);

        public int Count => _scores.Count;

        public IEnumerable<string> Members => _scores.Keys;

        public void Set(string member, long score)
        {
            Remove(member);
            _scores[member] = score;
            _sorted.Add((score, member));
        }

        public bool Remove(string member)
        {
            if (!_scores.Remove(member, out var score))
            {
                return false;
            }

            _sorted.Remove((score, member));
            return true;
        }

        public long Rank(string member)
        {
            if (!_scores.TryGetValue(member, out var score))
            {
                return -1;
            }

            return _sorted.GetViewBetween(_sorted.Min, (score, member)).Count - 1;
        }

        public List<string> Below(long bound, int limit) => [.. _sorted.Where(e => e.Score < bound).Take(limit).Select(e => e.Member)];

        public List<string> Ordered() => [.. _sorted.Select(e => e.Member)];
    }

    private static string Member(int n) => $"m{n:D3}";

    [Fact]
    public void Rank_FiveThousandRandomSetsAndRemoves_MatchesReference()
    {
        // Arrange
        var random = new Random(20261121);
        var set = new ScoredSet();
        var reference = new Reference();

        for (var step = 0; step < 5_000; step++)
        {
            // Act: mostly sets (few distinct scores, so ties are ordered by member), some removes.
            var member = Member(random.Next(400));
            if (random.Next(4) == 0)
            {
                Assert.Equal(reference.Remove(member), set.Remove(member));
            }
            else
            {
                var score = random.Next(50);
                set.Set(member, score);
                reference.Set(member, score);
            }

            // Assert
            Assert.Equal(reference.Count, set.Count);
            Assert.Equal(reference.Rank(member), set.Rank(member));
            var probe = Member(random.Next(400));
            Assert.Equal(reference.Rank(probe), set.Rank(probe));
            if (step % 250 == 0)
            {
                foreach (var each in reference.Members)
                {
                    Assert.Equal(reference.Rank(each), set.Rank(each));
                }

                Assert.Equal(reference.Ordered(), set.Below(long.MaxValue, int.MaxValue));
            }
        }

        Assert.Equal(reference.Ordered(), set.Below(long.MaxValue, int.MaxValue));
    }

    [Fact]
    public void Below_RandomBoundsAndLimits_MatchesReference()
    {
        // Arrange
        var random = new Random(7);
        var set = new ScoredSet();
        var reference = new Reference();
        for (var i = 0; i < 1_000; i++)
        {
            var score = random.Next(-100, 100);
            set.Set(Member(i), score);
            reference.Set(Member(i), score);
        }

        for (var round = 0; round < 500; round++)
        {
            var bound = (long)random.Next(-120, 120);
            var limit = random.Next(0, 300);

            // Act
            var below = set.Below(bound, limit);

            // Assert
            Assert.Equal(reference.Below(bound, limit), below);
        }
    }

    [Fact]
    public void PopMinAndRemoveBelow_InterleavedWithSets_MatchReference()
    {
        // Arrange
        var random = new Random(42);
        var set = new ScoredSet();
        var reference = new Reference();

        for (var step = 0; step < 5_000; step++)
        {
            switch (random.Next(10))
            {
                case 0:
                {
                    // Act
                    var count = random.Next(0, 20);
                    var expected = reference.Below(long.MaxValue, count);
                    foreach (var member in expected)
                    {
                        reference.Remove(member);
                    }

                    var popped = set.PopMin(count);

                    // Assert
                    Assert.Equal(expected, popped);
                    break;
                }

                case 1:
                {
                    // Act
                    var bound = (long)random.Next(0, 1_000);
                    var expected = reference.Below(bound, int.MaxValue);
                    foreach (var member in expected)
                    {
                        reference.Remove(member);
                    }

                    var removed = set.RemoveBelow(bound);

                    // Assert
                    Assert.Equal(expected.Count, removed);
                    break;
                }

                default:
                {
                    var member = Member(random.Next(1_000));
                    var score = (long)random.Next(0, 1_000);
                    set.Set(member, score);
                    reference.Set(member, score);
                    break;
                }
            }

            Assert.Equal(reference.Count, set.Count);
        }

        Assert.Equal(reference.Ordered(), set.Below(long.MaxValue, int.MaxValue));
        foreach (var member in reference.Members)
        {
            Assert.Equal(reference.Rank(member), set.Rank(member));
        }
    }

    [Fact]
    public void RemoveBelow_MoreThanOneBatch_RemovesAllBelowAndKeepsRest()
    {
        // Arrange
        var set = new ScoredSet();
        for (var i = 0; i < 1_000; i++)
        {
            set.Set(Member(i), i);
        }

        // Act
        var removed = set.RemoveBelow(700);

        // Assert
        Assert.Equal(700, removed);
        Assert.Equal(300, set.Count);
        Assert.Equal(0, set.Rank(Member(700)));
        Assert.Equal(-1, set.Rank(Member(699)));
        Assert.False(set.TryGetScore(Member(0), out _));
    }

    [Fact]
    public void Set_NewScore_MovesMember()
    {
        // Arrange
        var set = new ScoredSet();
        set.Set("a", 1);
        set.Set("b", 2);
        set.Set("c", 3);

        // Act
        set.Set("a", 5);

        // Assert
        Assert.Equal(3, set.Count);
        Assert.Equal(2, set.Rank("a"));
        Assert.Equal(0, set.Rank("b"));
        Assert.Equal(1, set.Rank("c"));
        Assert.True(set.TryGetScore("a", out var score));
        Assert.Equal(5, score);
        Assert.Equal(["b", "c", "a"], set.Below(long.MaxValue, 10));
        Assert.Equal(["b", "c"], set.Below(5, 10));
    }

    [Fact]
    public void Set_SameScoreAgain_NoChange()
    {
        // Arrange
        var set = new ScoredSet();
        set.Set("a", 1);
        set.Set("b", 1);

        // Act
        set.Set("a", 1);

        // Assert
        Assert.Equal(2, set.Count);
        Assert.Equal(["a", "b"], set.Below(long.MaxValue, 10));
    }

    [Fact]
    public void Rank_EqualScores_OrderedByOrdinalMember()
    {
        // Arrange
        var set = new ScoredSet();
        set.Set("b", 7);
        set.Set("a", 7);
        set.Set("B", 7);
        set.Set("z", 6);

        // Act
        var ranks = new[] { set.Rank("z"), set.Rank("B"), set.Rank("a"), set.Rank("b") };

        // Assert
        Assert.Equal([0L, 1L, 2L, 3L], ranks);
    }

    [Fact]
    public void RemoveAndRank_AbsentMember_FalseAndMinusOne()
    {
        // Arrange
        var set = new ScoredSet();
        set.Set("a", 1);

        // Act
        var removed = set.Remove("x");
        var rank = set.Rank("x");

        // Assert
        Assert.False(removed);
        Assert.Equal(-1, rank);
        Assert.Equal(1, set.Count);
    }

    [Fact]
    public void PopMin_EmptyOrZero_NothingPopped()
    {
        // Arrange
        var empty = new ScoredSet();
        var one = new ScoredSet();
        one.Set("a", 1);

        // Act
        var fromEmpty = empty.PopMin(5);
        var zero = one.PopMin(0);

        // Assert
        Assert.Empty(fromEmpty);
        Assert.Empty(zero);
        Assert.Equal(1, one.Count);
    }

    [Fact]
    public void Below_ExtremeScores_OrderedAndBoundExclusive()
    {
        // Arrange
        var set = new ScoredSet();
        set.Set("max", long.MaxValue);
        set.Set("min", long.MinValue);
        set.Set("zero", 0);

        // Act
        var belowZero = set.Below(0, 10);
        var all = set.Below(long.MaxValue, 10);

        // Assert
        Assert.Equal(["min"], belowZero);
        Assert.Equal(["min", "zero"], all);
        Assert.Equal(2, set.Rank("max"));
    }
}
