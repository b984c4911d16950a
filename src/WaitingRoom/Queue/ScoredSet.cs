namespace WaitingRoom.Queue;

/// <summary>
/// A sorted set of members by score, with Redis ZSET semantics the in-memory store needs:
/// ordered by (score, member ordinal), rank in O(log N), range removal by score, pop of the lowest.
/// A treap with subtree sizes; not thread-safe (the store locks around it).
/// </summary>
internal sealed class ScoredSet
{
    private readonly Dictionary<string, long> _scores = new(StringComparer.Ordinal);
    private Node? _root;

    public int Count => _scores.Count;

    public bool TryGetScore(string member, out long score) => _scores.TryGetValue(member, out score);

    /// <summary>Adds the member or moves it to a new score (ZADD).</summary>
    public void Set(string member, long score)
    {
        if (_scores.TryGetValue(member, out var old))
        {
            if (old == score)
            {
                return;
            }

            _root = Delete(_root, old, member);
        }

        _scores[member] = score;
        _root = Insert(_root, new Node(score, member, Random.Shared.Next()));
    }

    /// <summary>Removes the member (ZREM); false when absent.</summary>
    public bool Remove(string member)
    {
        if (!_scores.Remove(member, out var score))
        {
            return false;
        }

        _root = Delete(_root, score, member);
        return true;
    }

    /// <summary>Removes every member (DEL).</summary>
    public void Clear()
    {
        _scores.Clear();
        _root = null;
    }

    /// <summary>0-based rank (ZRANK), or -1 when absent.</summary>
    public long Rank(string member)
    {
        if (!_scores.TryGetValue(member, out var score))
        {
            return -1;
        }

        long rank = 0;
        var node = _root;
        while (node is not null)
        {
            var order = Compare(score, member, node);
            if (order == 0)
            {
                return rank + Size(node.Left);
            }

            if (order < 0)
            {
                node = node.Left;
            }
            else
            {
                rank += Size(node.Left) + 1;
                node = node.Right;
            }
        }

        return -1;
    }

    /// <summary>The member at 0-based <paramref name="rank"/> (ZRANGE key rank rank), or null when out of range. O(log N).</summary>
    public string? At(long rank)
    {
        var node = _root;
        while (node is not null && rank >= 0)
        {
            var left = Size(node.Left);
            if (rank < left)
            {
                node = node.Left;
            }
            else if (rank == left)
            {
                return node.Member;
            }
            else
            {
                rank -= left + 1;
                node = node.Right;
            }
        }

        return null;
    }

    /// <summary>How many members score strictly below <paramref name="bound"/> (ZCOUNT key -inf (bound). O(log N).</summary>
    public long CountBelow(long bound)
    {
        long count = 0;
        var node = _root;
        while (node is not null)
        {
            if (node.Score < bound)
            {
                count += Size(node.Left) + 1;
                node = node.Right;
            }
            else
            {
                node = node.Left;
            }
        }

        return count;
    }

    /// <summary>Members with a score strictly below <paramref name="bound"/>, lowest first, at most <paramref name="limit"/>.</summary>
    public List<string> Below(long bound, int limit)
    {
        var found = new List<string>();
        Collect(_root, bound, limit, found);
        return found;
    }

    /// <summary>Removes and returns up to <paramref name="count"/> lowest members (ZPOPMIN).</summary>
    public List<string> PopMin(int count)
    {
        var popped = Below(long.MaxValue, count);
        foreach (var member in popped)
        {
            Remove(member);
        }

        return popped;
    }

    /// <summary>Removes every member scored strictly below <paramref name="bound"/> (ZREMRANGEBYSCORE -inf (bound); returns the count.</summary>
    public long RemoveBelow(long bound)
    {
        long removed = 0;
        while (_root is not null)
        {
            var lowest = Below(bound, 256);
            if (lowest.Count == 0)
            {
                break;
            }

            foreach (var member in lowest)
            {
                Remove(member);
                removed++;
            }
        }

        return removed;
    }

    private static void Collect(Node? node, long bound, int limit, List<string> found)
    {
        if (node is null || found.Count >= limit)
        {
            return;
        }

        Collect(node.Left, bound, limit, found);
        if (found.Count >= limit || node.Score >= bound)
        {
            return;
        }

        found.Add(node.Member);
        Collect(node.Right, bound, limit, found);
    }

    private static int Compare(long score, string member, Node node)
    {
        var order = score.CompareTo(node.Score);
        return order != 0 ? order : string.CompareOrdinal(member, node.Member);
    }

    private static int Size(Node? node) => node?.Size ?? 0;

    private static Node Update(Node node)
    {
        node.Size = 1 + Size(node.Left) + Size(node.Right);
        return node;
    }

    private static Node Insert(Node? root, Node node)
    {
        if (root is null)
        {
            return node;
        }

        if (Compare(node.Score, node.Member, root) < 0)
        {
            root.Left = Insert(root.Left, node);
            if (root.Left.Priority > root.Priority)
            {
                return RotateRight(root);
            }
        }
        else
        {
            root.Right = Insert(root.Right, node);
            if (root.Right.Priority > root.Priority)
            {
                return RotateLeft(root);
            }
        }

        return Update(root);
    }

    private static Node? Delete(Node? root, long score, string member)
    {
        if (root is null)
        {
            return null;
        }

        var order = Compare(score, member, root);
        if (order < 0)
        {
            root.Left = Delete(root.Left, score, member);
        }
        else if (order > 0)
        {
            root.Right = Delete(root.Right, score, member);
        }
        else
        {
            return Merge(root.Left, root.Right);
        }

        return Update(root);
    }

    private static Node? Merge(Node? left, Node? right)
    {
        if (left is null)
        {
            return right;
        }

        if (right is null)
        {
            return left;
        }

        if (left.Priority > right.Priority)
        {
            left.Right = Merge(left.Right, right);
            return Update(left);
        }

        right.Left = Merge(left, right.Left);
        return Update(right);
    }

    private static Node RotateRight(Node node)
    {
        var left = node.Left!;
        node.Left = left.Right;
        left.Right = Update(node);
        return Update(left);
    }

    private static Node RotateLeft(Node node)
    {
        var right = node.Right!;
        node.Right = right.Left;
        right.Left = Update(node);
        return Update(right);
    }

    private sealed class Node(long score, string member, int priority)
    {
        public long Score { get; } = score;

        public string Member { get; } = member;

        public int Priority { get; } = priority;

        public int Size { get; set; } = 1;

        public Node? Left { get; set; }

        public Node? Right { get; set; }
    }
}
