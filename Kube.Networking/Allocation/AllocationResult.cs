namespace Kube.Networking.Allocation;

/// <summary>The outcome of asking for one specific IP or port.</summary>
public enum AllocationResult
{
    Allocated,
    OutOfRange,
    AlreadyAllocated,
    Reserved,
    Invalid,
}
