namespace Kube.Node.Runtime.Cri;

/// <summary>Options of a <see cref="CriRuntime"/>: where the CRI runtime listens and how pods are set up in it.</summary>
public sealed record CriRuntimeOptions
{
    /// <summary>The default <see cref="SocketPath"/>: containerd's socket.</summary>
    public const string DefaultSocketPath = "/run/containerd/containerd.sock";

    /// <summary>The unix socket of the CRI v1 runtime (containerd, CRI-O). Default <see cref="DefaultSocketPath"/>.</summary>
    public string SocketPath { get; init; } = DefaultSocketPath;

    /// <summary>
    /// Where pod log directories go (<c>&lt;LogRoot&gt;/&lt;namespace&gt;_&lt;name&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;attempt&gt;.log</c>, in CRI's
    /// log format, written by the runtime). Required; the "cri" provider sets <c>&lt;agent data dir&gt;/cri/pods</c>.
    /// </summary>
    public required string LogRoot { get; init; }

    /// <summary>
    /// The value of the <c>kube-sdk.io/owner</c> label put on every sandbox and container this runtime creates; lists
    /// only return objects with it, so several node agents can share one containerd. Required; the provider uses the node name.
    /// </summary>
    public required string Owner { get; init; }

    /// <summary>
    /// The pod IP reported for sandboxes: pods run in the node's network namespace (CRI NamespaceMode NODE), since no CNI
    /// network is configured. Default "127.0.0.1".
    /// </summary>
    public string HostNetworkPodIp { get; init; } = "127.0.0.1";

    /// <summary>The CRI runtime handler (RuntimeClass) for sandboxes; empty selects the runtime's default. Default "".</summary>
    public string RuntimeHandler { get; init; } = "";

    /// <summary>DNS servers written to pods' resolv.conf; empty lets the runtime use the node's. Default none.</summary>
    public IReadOnlyList<string> DnsServers { get; init; } = [];

    /// <summary>DNS search domains of pods. Default none.</summary>
    public IReadOnlyList<string> DnsSearches { get; init; } = [];

    /// <summary>
    /// The deadline of one CRI call (a stop or exec gets its own timeout on top). Default 2 min, the kubelet's
    /// runtime-request-timeout.
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long connecting to the runtime's streaming server for an attach may take, upgrade and streams included. Default 30 s,
    /// upstream's stream creation timeout.
    /// </summary>
    public TimeSpan StreamConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most bytes of an ExecSync's stdout plus stderr kept in <see cref="ExecResult.Output"/>. Default 4096.</summary>
    public int MaxExecOutputBytes { get; init; } = 4096;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(SocketPath))
        {
            throw new ArgumentException("CriRuntimeOptions.SocketPath must be the path of the CRI runtime's unix socket");
        }

        if (string.IsNullOrWhiteSpace(LogRoot) || !Path.IsPathRooted(LogRoot))
        {
            throw new ArgumentException($"CriRuntimeOptions.LogRoot \"{LogRoot}\" must be an absolute path");
        }

        if (string.IsNullOrWhiteSpace(Owner) || Owner.Length > 63)
        {
            throw new ArgumentException($"CriRuntimeOptions.Owner \"{Owner}\" must be a non-empty label value of at most 63 characters");
        }

        if (!System.Net.IPAddress.TryParse(HostNetworkPodIp, out _))
        {
            throw new ArgumentException($"CriRuntimeOptions.HostNetworkPodIp \"{HostNetworkPodIp}\" must be an IP address");
        }

        if (CallTimeout <= TimeSpan.Zero || MaxExecOutputBytes <= 0 || StreamConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("CriRuntimeOptions.CallTimeout, StreamConnectTimeout and MaxExecOutputBytes must be positive");
        }
    }
}
