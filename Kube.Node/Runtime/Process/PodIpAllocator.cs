using Kube.Core.Net;
using System.Net;
using System.Text.Json;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// Hands out pod IPs from a node's pod CIDR (host offsets 2 .. size-2: .1 is the gateway by convention, and the
/// network and broadcast addresses are skipped), one per pod UID, persisted to a JSON file so that a restarted
/// agent gives the same pods the same IPs. With <see cref="PodIpClaims"/> an IP is also claimed machine-wide before
/// it is handed out, and one another process (or another runtime here) holds is skipped, so that concurrent clusters
/// on one machine never share a pod IP. Thread-safe.
/// </summary>
internal sealed class PodIpAllocator : IDisposable
{
    private readonly Ipv4Cidr _cidr;
    private readonly string? _statePath;
    private readonly PodIpClaims? _claims;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _byUid = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private ulong _next = 2;

    /// <param name="podCidr">The node's pod CIDR.</param>
    /// <param name="statePath">Where allocations persist; null keeps them in memory only.</param>
    /// <param name="claims">Machine-wide claims to take before handing an IP out; null: unique within this allocator only.
    /// The allocator owns them and disposes them with itself.</param>
    public PodIpAllocator(string podCidr, string? statePath, PodIpClaims? claims = null)
    {
        _cidr = Ipv4Cidr.Parse(podCidr);
        _statePath = statePath;
        _claims = claims;
        if (statePath is not null && File.Exists(statePath))
        {
            Dictionary<string, string> saved;
            try
            {
                saved = Agent.NodeJson.Deserialize<Dictionary<string, string>>(File.ReadAllText(statePath)) ?? [];
            }
            catch (JsonException)
            {
                // Left empty or torn by a power loss (AtomicFile does not fsync): no pod of that boot still runs.
                saved = [];
            }

            foreach (var (uid, ip) in saved)
            {
                if (IPAddress.TryParse(ip, out var addr) && _cidr.Contains(addr))
                {
                    // The pod may still run with this IP (its processes are adopted), so it keeps it even if the claim
                    // fails; that only happens when another holder took it while no runtime here held it.
                    _claims?.TryClaim(ip);
                    _byUid[uid] = ip;
                    _used.Add(ip);
                }
            }
        }
    }

    public string Cidr => _cidr.ToString();

    public int Capacity => (int)(_cidr.Size - 3);

    public int Allocated
    {
        get
        {
            lock (_lock)
            {
                return _byUid.Count;
            }
        }
    }

    /// <summary>The pod's IP: the one it already has, or a free one. Throws when the CIDR is exhausted.</summary>
    public string Allocate(string podUid)
    {
        lock (_lock)
        {
            if (_byUid.TryGetValue(podUid, out var existing))
            {
                return existing;
            }

            var first = 2UL;
            var last = _cidr.Size - 2;
            for (var i = 0UL; i <= last - first; i++)
            {
                var offset = first + ((_next - first + i) % (last - first + 1));
                var ip = _cidr.At(offset).ToString();
                if (!_used.Contains(ip) && (_claims?.TryClaim(ip) ?? true))
                {
                    _used.Add(ip);
                    _byUid[podUid] = ip;
                    _next = offset + 1 > last ? first : offset + 1;
                    Save();
                    return ip;
                }
            }

            throw new InvalidOperationException(_claims is null || _byUid.Count >= Capacity
                ? $"pod CIDR {_cidr} has no free IP left ({Capacity} in use)"
                : $"pod CIDR {_cidr} has no free IP left ({_byUid.Count} in use here, the other {Capacity - _byUid.Count} claimed by other runtimes on this machine)");
        }
    }

    /// <summary>Frees the pod's IP, if it has one.</summary>
    public void Release(string podUid)
    {
        lock (_lock)
        {
            if (_byUid.Remove(podUid, out var ip))
            {
                _used.Remove(ip);
                _claims?.Release(ip);
                Save();
            }
        }
    }

    public string? Lookup(string podUid)
    {
        lock (_lock)
        {
            return _byUid.GetValueOrDefault(podUid);
        }
    }

    /// <summary>Drops the machine-wide claims (the allocations stay in the state file for the next runtime).</summary>
    public void Dispose() => _claims?.Dispose();

    private void Save()
    {
        if (_statePath is not null)
        {
            AtomicFile.WriteAllText(_statePath, Agent.NodeJson.Serialize(_byUid));
        }
    }
}
