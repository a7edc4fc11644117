using Kube.Store.Raft.Core;

namespace Kube.Store.Tests.Raft;

/// <summary>A synchronous harness for <see cref="RaftNode"/> unit tests: persists, delivers and applies until quiet.</summary>
internal sealed class RaftTestCluster
{
    public Dictionary<ulong, RaftNode> Nodes { get; } = [];

    public Dictionary<ulong, MemoryRaftStorage> Storage { get; } = [];

    public Dictionary<ulong, List<byte[]>> Applied { get; } = [];

    public Dictionary<ulong, List<ReadState>> Reads { get; } = [];

    /// <summary>Messages for which this returns true are dropped.</summary>
    public Func<RaftMessage, bool> Drop { get; set; } = _ => false;

    public HashSet<ulong> Isolated { get; } = [];

    public RaftTestCluster(int members, ulong maxSizePerMsg = 1024 * 1024)
    {
        var voters = Enumerable.Range(1, members).Select(i => (ulong)i).ToArray();
        foreach (var id in voters)
        {
            Add(id, MemoryRaftStorage.Bootstrap(voters), maxSizePerMsg);
        }
    }

    public RaftNode Add(ulong id, MemoryRaftStorage storage, ulong maxSizePerMsg = 1024 * 1024)
    {
        Storage[id] = storage;
        Applied[id] = [];
        Reads[id] = [];
        var node = new RaftNode(new RaftConfig
        {
            Id = id,
            Storage = storage,
            Random = new Random((int)id),
            MaxSizePerMsg = maxSizePerMsg,
            Applied = storage.Snapshot()?.Index ?? 0,
        });
        Nodes[id] = node;
        return node;
    }

    public RaftNode this[ulong id] => Nodes[id];

    public RaftNode? Leader => Nodes.Values.Where(n => n.Role == RaftRole.Leader).MaxBy(n => n.Term);

    /// <summary>Processes Readies and delivers messages until nothing is left.</summary>
    public void Stabilize()
    {
        for (var round = 0; round < 10_000; round++)
        {
            var messages = new List<RaftMessage>();
            foreach (var (id, node) in Nodes)
            {
                while (node.HasReady)
                {
                    var rd = node.Ready();
                    var storage = Storage[id];
                    if (rd.Snapshot is { } snap)
                    {
                        storage.ApplySnapshot(snap);
                        Applied[id].Clear();
                        Applied[id].Add(snap.Data);
                    }
                    storage.Append(rd.Entries);
                    if (rd.HardState is { } hs)
                    {
                        storage.SetHardState(hs);
                    }
                    messages.AddRange(rd.Messages);
                    foreach (var e in rd.CommittedEntries)
                    {
                        if (e.Type == RaftEntryType.ConfChange)
                        {
                            node.ApplyConfChange(ConfChange.Decode(e.Data));
                        }
                        else if (e.Data.Length > 0)
                        {
                            Applied[id].Add(e.Data);
                        }
                    }
                    Reads[id].AddRange(rd.ReadStates);
                    node.Advance();
                }
            }
            if (messages.Count == 0)
            {
                return;
            }
            foreach (var m in messages)
            {
                if (!Drop(m) && !Isolated.Contains(m.From) && !Isolated.Contains(m.To) && Nodes.TryGetValue(m.To, out var to))
                {
                    to.Step(m);
                }
            }
        }
        throw new InvalidOperationException("The cluster did not settle.");
    }

    public void Tick(int times, params ulong[] ids)
    {
        for (var i = 0; i < times; i++)
        {
            foreach (var id in ids.Length == 0 ? Nodes.Keys.ToArray() : ids)
            {
                Nodes[id].Tick();
            }
            Stabilize();
        }
    }

    public RaftNode Elect(ulong id)
    {
        Stabilize(); // applies the bootstrap membership entries first
        Nodes[id].Campaign();
        Stabilize();
        return Nodes[id];
    }
}
