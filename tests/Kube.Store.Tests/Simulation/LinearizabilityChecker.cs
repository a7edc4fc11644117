namespace Kube.Store.Tests.Simulation;

/// <summary>
/// Checks a KV history for linearizability with the Wing &amp; Gong / Lowe search (memoized on the set of linearized
/// operations and the model state), as Porcupine does. Every operation touches one key and the model's per-key state
/// (value, version) does not depend on other keys, so the history is checked per key (P-compositionality); the global
/// revision is checked separately by the simulator's apply-sequence check. An operation with an unknown outcome may take
/// effect at any point after its call (its return is at infinity) and accepts any result.
/// </summary>
internal static class LinearizabilityChecker
{
    public static string? Check(IReadOnlyList<KvOperation> history)
    {
        foreach (var group in history.GroupBy(o => o.Key))
        {
            var ops = group.ToList();
            if (!CheckKey(ops))
            {
                return $"key {group.Key} is not linearizable:\n  " + string.Join("\n  ", ops.OrderBy(o => o.Call).Select(o => o.ToString()));
            }
        }
        return null;
    }

    private sealed class Node
    {
        public required KvOperation Op;
        public required bool IsCall;
        public required int Bit;
        public Node? Prev;
        public Node? Next;
        public Node? Match;
    }

    private readonly record struct State(string? Value, long Version);

    private static bool CheckKey(List<KvOperation> ops)
    {
        if (ops.Count > 64)
        {
            throw new InvalidOperationException($"The checker handles up to 64 operations per key; this history has {ops.Count}.");
        }
        var events = new List<Node>(ops.Count * 2);
        for (var i = 0; i < ops.Count; i++)
        {
            var call = new Node { Op = ops[i], IsCall = true, Bit = i };
            var ret = new Node { Op = ops[i], IsCall = false, Bit = i };
            call.Match = ret;
            events.Add(call);
            events.Add(ret);
        }
        events.Sort((a, b) => Stamp(a).CompareTo(Stamp(b)));
        var head = new Node { Op = ops[0], IsCall = false, Bit = -1 };
        var prev = head;
        foreach (var e in events)
        {
            prev.Next = e;
            e.Prev = prev;
            prev = e;
        }

        var cache = new HashSet<(ulong, State)>();
        var stack = new Stack<(Node Call, State Before)>();
        var state = new State(null, 0);
        ulong linearized = 0;
        var entry = head.Next;
        while (head.Next is not null)
        {
            if (entry!.IsCall)
            {
                if (Step(state, entry.Op, out var next))
                {
                    var bits = linearized | (1UL << entry.Bit);
                    if (cache.Add((bits, next)))
                    {
                        stack.Push((entry, state));
                        state = next;
                        linearized = bits;
                        Lift(entry);
                        entry = head.Next;
                        continue;
                    }
                }
                entry = entry.Next;
            }
            else
            {
                if (stack.Count == 0)
                {
                    return false;
                }
                var (call, before) = stack.Pop();
                state = before;
                linearized &= ~(1UL << call.Bit);
                Unlift(call);
                entry = call.Next;
            }
        }
        return true;
    }

    private static long Stamp(Node n) => n.IsCall ? n.Op.Call * 2 : n.Op.Return == long.MaxValue ? long.MaxValue : n.Op.Return * 2 + 1;

    private static void Lift(Node call)
    {
        call.Prev!.Next = call.Next;
        call.Next!.Prev = call.Prev;
        var ret = call.Match!;
        ret.Prev!.Next = ret.Next;
        if (ret.Next is not null)
        {
            ret.Next.Prev = ret.Prev;
        }
    }

    private static void Unlift(Node call)
    {
        var ret = call.Match!;
        ret.Prev!.Next = ret;
        if (ret.Next is not null)
        {
            ret.Next.Prev = ret;
        }
        call.Prev!.Next = call;
        call.Next!.Prev = call;
    }

    private static bool Step(State s, KvOperation op, out State next)
    {
        var r = op.Result;
        switch (op.Kind)
        {
            case KvOpKind.Get:
                next = s;
                return r is null || (r.Value == s.Value && r.Version == s.Version);
            case KvOpKind.Put:
                next = new State(op.Arg1, s.Version + 1);
                return r is null || r.Value == s.Value;
            case KvOpKind.Delete:
                next = new State(null, 0);
                return r is null || r.Flag == (s.Value is not null);
            case KvOpKind.Cas:
                var ok = op.Arg1 is null ? s.Value is null : s.Value == op.Arg1;
                next = ok ? new State(op.Arg2, s.Version + 1) : s;
                return r is null || r.Flag == ok;
            default:
                throw new InvalidOperationException(op.Kind.ToString());
        }
    }
}
