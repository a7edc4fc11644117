using Kube.Core.Net;
using System.Net;
using System.Text.Json;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// Hands out pod IPs from a node's pod CIDR (host offsets 2 .. size-2: .1 is the gateway by convention, and the
/// network and broadcast addresses are skipped), one per pod UID, persisted to a JSON file so that a restarted
/// agent gives the same pods the same IPs. Thread-safe.
/// </summary>
internal sealed class PodIpAllocator
{
    private readonly Ipv4Cidr _cidr;
    private readonly string? _statePath;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _byUid = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private ulong _next = 2;

    /// <param name="statePath">Where allocations persist; null keeps them in memory only.</param>
    public PodIpAllocator(string podCidr, string? statePath)
    {
        _cidr = Ipv4Cidr.Parse(podCidr);
        _statePath = statePath;
        if (statePath is not null && File.Exists(statePath))
        {
            Dictionary<string, string> saved;
            try
            {
                saved = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(statePath)) ?? [];
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
                if (_used.Add(ip))
                {
                    _byUid[podUid] = ip;
                    _next = offset + 1 > last ? first : offset + 1;
                    Save();
                    return ip;
                }
            }

            throw new InvalidOperationException($"pod CIDR {_cidr} has no free IP left ({Capacity} in use)");
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

    private void Save()
    {
        if (_statePath is not null)
        {
            AtomicFile.WriteAllText(_statePath, JsonSerializer.Serialize(_byUid));
        }
    }
}
