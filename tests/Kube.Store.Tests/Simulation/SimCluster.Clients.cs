namespace Kube.Store.Tests.Simulation;

/// <summary>The clients: operations with timeouts and retries, recorded into the history the linearizability checker reads.</summary>
internal sealed partial class SimCluster
{
    // ---- clients ----

    private void Invoke(ClientState client)
    {
        if (client.OpsLeft == 0)
        {
            return;
        }
        client.OpsLeft--;
        var id = ++_nextOpId;
        var key = Keys[_rng.Next(Keys.Length)];
        var value = $"v{id}";
        var kind = client.Id == ClientCount ? KvOpKind.Put : (KvOpKind)_rng.Next(4);
        var op = new KvOperation
        {
            Id = id,
            Client = client.Id,
            Kind = kind,
            Key = key,
            Arg1 = kind switch
            {
                KvOpKind.Put => value,
                KvOpKind.Cas => _rng.Next(3) == 0 ? null : $"v{Math.Max(1, id - 1 - _rng.Next(3))}",
                _ => null,
            },
            Arg2 = kind == KvOpKind.Cas ? value : null,
        };
        op.Call = ++_stamp;
        client.Current = op;
        _history.Add(op);
        At(OpTimeoutMs, () => Timeout(client, op));
        Attempt(client, op);
    }

    private void Attempt(ClientState client, KvOperation op)
    {
        if (client.Current != op)
        {
            return;
        }
        var choices = _members.Where(m => m.Up && !m.Removed).ToList();
        if (choices.Count == 0)
        {
            At(20, () => Attempt(client, op));
            return;
        }
        var node = choices.FirstOrDefault(m => m.Id == client.Hint) ?? choices[_rng.Next(choices.Count)];
        bool accepted;
        if (op.Kind == KvOpKind.Get)
        {
            accepted = node.Raft.ReadIndex(BitConverter.GetBytes(op.Id));
            if (accepted)
            {
                node.WaitingReadIndex[op.Id] = op;
            }
        }
        else
        {
            accepted = node.Raft.Propose(SimKvStore.Encode(op));
            if (accepted)
            {
                _submitted.Add(op.Id);
                node.WaitingWrites[op.Id] = op;
            }
        }
        Log($"attempt {op} at {node.Id} ({node.Raft.Role} term {node.Raft.Term} lead {node.Raft.Lead} commit {node.Raft.Committed} applied {node.LastApplied}): {(accepted ? "accepted" : "dropped")}");
        if (accepted)
        {
            client.Hint = node.Id;
            Process(node);
        }
        else
        {
            client.Hint = node.Raft.Lead;
            At(10 + _rng.Next(30), () => Attempt(client, op));
        }
    }

    private void Timeout(ClientState client, KvOperation op)
    {
        if (client.Current != op)
        {
            return;
        }
        _closed.Add(op.Id);
        Log($"timeout {op}");
        if (op.Kind == KvOpKind.Get || !_submitted.Contains(op.Id))
        {
            _history.Remove(op); // a read has no effect, and a write never accepted anywhere never happened
        }
        client.Current = null;
        client.Hint = 0;
        At(client.Id == ClientCount ? 10 : ThinkTime(), () => Invoke(client));
    }

    private void Complete(KvOperation op, KvResult result)
    {
        if (_closed.Contains(op.Id))
        {
            return;
        }
        _closed.Add(op.Id);
        op.Result = result;
        op.Return = ++_stamp;
        Log($"done {op}");
        var client = _clients.FirstOrDefault(c => c.Current == op);
        if (op.Client == ClientCount)
        {
            _finalClient!.Current = null;
            _finalDoneAt = _now;
            return;
        }
        if (client is not null)
        {
            client.Current = null;
            At(ThinkTime(), () => Invoke(client));
        }
    }

    private int ThinkTime() => 20 + _rng.Next(500);
}
