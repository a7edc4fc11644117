using Kube.Core.Net;
using System.Net;
using System.Net.Sockets;

namespace Kube.Networking.Allocation;

/// <summary>
/// Allocates Service ClusterIPs from a CIDR (default 127.10.0.0/16). Host offsets 1 .. size-2 are usable; the
/// first (e.g. 127.10.0.1) is reserved for Service default/kubernetes and never handed out automatically to others.
/// Thread-safe.
/// </summary>
public sealed class ClusterIpAllocator
{
    private readonly Ipv4Cidr _cidr;
    private readonly RangeAllocator _range;

    public ClusterIpAllocator(string cidr, TimeProvider? timeProvider = null)
    {
        _cidr = Ipv4Cidr.Parse(cidr);
        _range = new RangeAllocator(1, (long)_cidr.Size - 2, timeProvider ?? TimeProvider.System);
        _range.Reserve(1);
    }

    public string Cidr => _cidr.ToString();

    /// <summary>The IP kept for Service default/kubernetes: the CIDR's first host.</summary>
    public string ReservedIp => _cidr.At(1).ToString();

    /// <summary>How many IPs the range holds, the reserved one included.</summary>
    public long Capacity => _range.Last - _range.First + 1;

    public int Used => _range.Used;

    /// <summary>The next free IP, or null when the range is exhausted.</summary>
    public string? AllocateNext() => _range.AllocateNext() is { } offset ? _cidr.At((ulong)offset).ToString() : null;

    /// <summary>Takes a specific IP (the reserved one only with <paramref name="allowReserved"/>).</summary>
    public AllocationResult Allocate(string ip, bool allowReserved = false)
    {
        if (!TryOffset(ip, out var offset, out var inCidr))
        {
            return inCidr ? AllocationResult.OutOfRange : AllocationResult.Invalid;
        }

        return _range.Allocate(offset, allowReserved);
    }

    public bool IsAllocated(string ip) => TryOffset(ip, out var offset, out _) && _range.IsAllocated(offset);

    public void Release(string ip)
    {
        if (TryOffset(ip, out var offset, out _))
        {
            _range.Release(offset);
        }
    }

    /// <summary>Makes the used set match the IPs Services show, keeping allocations younger than <paramref name="grace"/>; returns how many leaks were freed.</summary>
    public int Repair(IEnumerable<string> inUse, TimeSpan grace) =>
        _range.Repair(inUse.Select(ip => TryOffset(ip, out var o, out _) ? o : -1L).Where(o => o >= 0), grace);

    /// <summary>Whether <paramref name="ip"/> is inside the CIDR (network and broadcast included).</summary>
    public bool Contains(string ip) =>
        IPAddress.TryParse(ip, out var addr) && addr.AddressFamily == AddressFamily.InterNetwork && _cidr.Contains(addr);

    /// <summary>The offset of a usable host; <paramref name="isIp"/> tells a malformed string from an out-of-range IP.</summary>
    private bool TryOffset(string ip, out long offset, out bool isIp)
    {
        offset = 0;
        isIp = IPAddress.TryParse(ip, out var addr) && addr.AddressFamily == AddressFamily.InterNetwork && ip.Count(c => c == '.') == 3;
        if (!isIp || !_cidr.Contains(addr!))
        {
            return false;
        }

        offset = (long)_cidr.OffsetOf(addr!);
        return offset >= _range.First && offset <= _range.Last;
    }
}
