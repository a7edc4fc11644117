using Kube.Store.Raft.Core;

namespace Kube.Store.Tests.Simulation;

/// <summary>The simulated network (delivery, delay, duplication, drops) and the fault schedule: partitions, crashes, leader transfers, membership changes, healing.</summary>
internal sealed partial class SimCluster
{
    // ---- network ----

    private void Send(SimMember from, RaftMessage msg)
    {
        Stats.Messages++;
        var to = _members.FirstOrDefault(x => x.Id == msg.To);
        if (to is null || _blocked.Contains((from.Id, msg.To)) || (_faultsOn && _rng.NextDouble() < _mix.Drop))
        {
            Dropped(from, msg);
            return;
        }
        var copies = _faultsOn && _rng.NextDouble() < _mix.Duplicate ? 2 : 1;
        var epoch = from.Epoch;
        for (var i = 0; i < copies; i++)
        {
            At(1 + _rng.Next(_mix.MaxExtraDelayMs + 1), () =>
            {
                if (!to.Up || _blocked.Contains((from.Id, to.Id)))
                {
                    Dropped(from, msg);
                    return;
                }
                if (msg.Type == RaftMessageType.Snap && from.Up && from.Epoch == epoch)
                {
                    from.Raft.ReportSnapshot(to.Id, true);
                    Process(from);
                }
                if (Trace && msg.Type is not (RaftMessageType.Heartbeat or RaftMessageType.HeartbeatResp))
                {
                    Log($"deliver {msg} to {to.Id} (term {to.Raft.Term}, {to.Raft.Role}, conf {to.Conf}, applied {to.LastApplied})");
                }
                to.Raft.Step(msg);
                Process(to);
            });
        }
    }

    private void Dropped(SimMember from, RaftMessage msg)
    {
        if (msg.Type == RaftMessageType.Snap && from.Up)
        {
            from.Raft.ReportSnapshot(msg.To, false);
        }
    }

    // ---- faults ----

    private void Fault()
    {
        if (!_faultsOn)
        {
            return;
        }
        var kinds = new List<Action>();
        if (_mix.Partitions)
        {
            kinds.Add(Partition);
        }
        if (_mix.Crashes)
        {
            kinds.Add(CrashOne);
        }
        if (_mix.Transfers)
        {
            kinds.Add(Transfer);
        }
        if (_mix.Membership)
        {
            kinds.Add(ChangeMembership);
        }
        _holdMs = 0;
        kinds[_rng.Next(kinds.Count)]();
        At(Math.Max(_holdMs, 200 + _rng.Next(1500)), Fault);
    }

    private SimMember? Leader() => _members.Where(m => m.Up && m.Raft.Role == RaftRole.Leader).MaxBy(m => m.Raft.Term);

    private void Partition()
    {
        _blocked.Clear();
        var ids = _members.Where(m => !m.Removed).Select(m => m.Id).ToList();
        switch (_rng.Next(5))
        {
            case 0:
                Log("heal");
                break;
            case 1:
            case 4:
                {
                    // isolating the leader is the interesting case: a new leader is elected while the old one may still believe it leads
                    var lone = Leader()?.Id is { } l && _rng.Next(4) != 0 ? l : ids[_rng.Next(ids.Count)];
                    foreach (var other in ids.Where(i => i != lone))
                    {
                        _blocked.Add((lone, other));
                        _blocked.Add((other, lone));
                    }
                    Log($"isolate {lone}");
                    _holdMs = 1500 + _rng.Next(1500); // long enough for the others to elect a new leader
                    break;
                }
            case 2:
                {
                    var side = ids.Where(_ => _rng.Next(2) == 0).ToHashSet();
                    foreach (var a in ids)
                    {
                        foreach (var b in ids)
                        {
                            if (side.Contains(a) != side.Contains(b))
                            {
                                _blocked.Add((a, b));
                            }
                        }
                    }
                    Log($"split [{string.Join(',', side)}]");
                    break;
                }
            default:
                {
                    // asymmetric: one member can send but not receive, or receive but not send
                    var one = Leader()?.Id is { } l && _rng.Next(2) == 0 ? l : ids[_rng.Next(ids.Count)];
                    var outbound = _rng.Next(2) == 0;
                    foreach (var other in ids.Where(i => i != one))
                    {
                        _blocked.Add(outbound ? (one, other) : (other, one));
                    }
                    Log($"asymmetric {one} {(outbound ? "cannot send" : "cannot receive")}");
                    break;
                }
        }
    }

    private void CrashOne()
    {
        var candidates = _members.Where(m => m.Up && !m.Removed).ToList();
        if (candidates.Count == 0)
        {
            return;
        }
        var victim = Leader() is { } l && _rng.Next(2) == 0 ? l : candidates[_rng.Next(candidates.Count)];
        if (_rng.Next(2) == 0)
        {
            victim.CrashDuringNextFsync = true;
            return;
        }
        Crash(victim);
        ScheduleRestart(victim);
    }

    private void ScheduleRestart(SimMember victim) =>
        At(100 + _rng.Next(500), () =>
        {
            if (!victim.Up && !victim.Removed)
            {
                Log($"restart {victim.Id}");
                Start(victim);
            }
        });

    private void Transfer()
    {
        if (Leader() is not { } leader)
        {
            return;
        }
        var voters = leader.Conf.Voters.Where(v => v != leader.Id).ToArray();
        if (voters.Length > 0)
        {
            var to = voters[_rng.Next(voters.Length)];
            Log($"transfer {leader.Id} -> {to}");
            leader.Raft.TransferLeadership(to);
            Process(leader);
        }
    }

    private ConfChange MembershipPlan(int step) => step switch
    {
        0 => new ConfChange(ConfChangeType.AddLearnerNode, (ulong)_mix.Members + 1),
        1 => new ConfChange(ConfChangeType.AddNode, (ulong)_mix.Members + 1),
        _ => new ConfChange(ConfChangeType.RemoveNode, 1),
    };

    private void ChangeMembership()
    {
        if (_membershipStep >= 3 || Leader() is not { } leader)
        {
            return;
        }
        var change = MembershipPlan(_membershipStep);
        if (change.Type == ConfChangeType.RemoveNode && leader.Id == change.NodeId)
        {
            leader.Raft.TransferLeadership(2);
            Process(leader);
            return;
        }
        var accepted = leader.Raft.ProposeConfChange(change);
        Log($"propose {change} at {leader.Id}: {(accepted ? "accepted" : "dropped")}");
        Process(leader);
    }

    private void Heal()
    {
        Log("heal all; faults off");
        _faultsOn = false;
        _blocked.Clear();
        _members.ForEach(m => m.CrashDuringNextFsync = false);
        foreach (var m in _members.Where(m => !m.Up && !m.Removed))
        {
            Start(m);
        }
        At(10, FinalWrite);
    }

    private void FinalWrite()
    {
        if (_clients.Any(c => c.OpsLeft > 0 || c.Current is not null))
        {
            At(50, FinalWrite);
            return;
        }
        // Retried (a new put after each timeout) until one completes: liveness after healing.
        _finalClient = new ClientState { Id = ClientCount, OpsLeft = 1000 };
        Invoke(_finalClient);
    }
}
