namespace Kube.Node.Server;

/// <summary>Options of the <see cref="KubeletServer"/>.</summary>
public sealed record KubeletServerOptions
{
    /// <summary>The address to listen on; loopback only. Default 127.0.0.1.</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one (see <see cref="KubeletServer.Port"/>). Default 0 (upstream's kubelet uses 10250).</summary>
    public int Port { get; init; }

    /// <summary>How often a followed log is checked for new output. Default 100 ms.</summary>
    public TimeSpan FollowPollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>HTTPS with client-certificate authentication and authorization; null (default) serves plain HTTP to anyone.</summary>
    public KubeletServerTlsOptions? Tls { get; init; }
}
