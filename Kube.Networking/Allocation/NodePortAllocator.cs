namespace Kube.Networking.Allocation;

/// <summary>Allocates NodePorts from a range (default 30000–32767). Thread-safe.</summary>
public sealed class NodePortAllocator
{
    private readonly RangeAllocator _range;

    public NodePortAllocator(int min = 30000, int max = 32767, TimeProvider? timeProvider = null)
    {
        if (min < 1 || max > 65535 || min > max)
        {
            throw new ArgumentOutOfRangeException(nameof(min), $"{min}-{max} is not a valid port range");
        }

        _range = new RangeAllocator(min, max, timeProvider ?? TimeProvider.System);
    }

    public int Min => (int)_range.First;

    public int Max => (int)_range.Last;

    public int Used => _range.Used;

    public int? AllocateNext() => _range.AllocateNext() is { } port ? (int)port : null;

    public AllocationResult Allocate(int port) => _range.Allocate(port);

    public bool IsAllocated(int port) => _range.IsAllocated(port);

    public void Release(int port) => _range.Release(port);

    public int Repair(IEnumerable<int> inUse, TimeSpan grace) => _range.Repair(inUse.Select(p => (long)p), grace);
}
