namespace Kube.Scheduling.Plugins.NodePorts;

/// <summary>A host port a container asks for: host IP (empty or 0.0.0.0 means every address), protocol and port.</summary>
public sealed record HostPort(string? HostIP, string Protocol, int Port)
{
    private bool IsWildcard => string.IsNullOrEmpty(HostIP) || HostIP == "0.0.0.0";

    /// <summary>Same port and protocol, and overlapping host IPs.</summary>
    public bool ConflictsWith(HostPort other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Port != other.Port || !string.Equals(Protocol, other.Protocol, StringComparison.Ordinal)) return false;
        return IsWildcard || other.IsWildcard || string.Equals(HostIP, other.HostIP, StringComparison.Ordinal);
    }
}
