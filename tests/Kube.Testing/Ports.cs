using System.Net;
using System.Net.Sockets;

namespace Kube.Testing;

/// <summary>Loopback ports for servers a test starts.</summary>
public static class Ports
{
    /// <summary>A TCP port that was free on <paramref name="address"/> (default 127.0.0.1) a moment ago, as the kernel picks for port 0.</summary>
    public static int Free(IPAddress? address = null)
    {
        using var listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
