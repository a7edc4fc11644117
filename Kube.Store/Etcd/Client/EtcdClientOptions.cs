namespace Kube.Store.Etcd.Client;

/// <summary>Settings of an <see cref="EtcdClientStore"/>: the etcd cluster to use and its timeouts.</summary>
public sealed class EtcdClientOptions
{
    /// <summary>
    /// The etcd client URLs, e.g. <c>http://127.0.0.1:2379</c>. An entry may itself be a comma-separated list
    /// (<c>http://10.0.0.1:2379,http://10.0.0.2:2379</c>), as etcd's <c>--endpoints</c>. Calls go to one endpoint at a time
    /// and move to the next on <c>Unavailable</c>. Default: empty, which means <see cref="DefaultEndpoint"/>
    /// (<c>http://127.0.0.1:2379</c>, etcd's default client URL); the list starts empty so that configuration binding replaces
    /// the default instead of appending to it.
    /// </summary>
    public IList<string> Endpoints { get; set; } = [];

    /// <summary>The endpoint used when <see cref="Endpoints"/> is empty: <c>http://127.0.0.1:2379</c>.</summary>
    public const string DefaultEndpoint = "http://127.0.0.1:2379";

    /// <summary>The longest wait for a TCP connection to one endpoint before trying the next. Default 5 s (etcdctl's <c>--dial-timeout</c>).</summary>
    public TimeSpan DialTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The deadline of every unary call (range, put, txn, compaction, lease and status calls); an expired deadline fails with
    /// <see cref="StoreErrorCode.Timeout"/>. Watch streams have no deadline. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The endpoints as absolute URIs, with comma-separated entries split.</summary>
    internal IReadOnlyList<Uri> ParsedEndpoints() =>
        (Endpoints is { Count: > 0 } ? Endpoints : new[] { DefaultEndpoint }).SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(e => new Uri(e, UriKind.Absolute)).ToList();

    /// <summary>The problems with these settings, each naming the setting and the rule; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var any = Endpoints is null or { Count: 0 };
        foreach (var entry in Endpoints ?? [])
        {
            foreach (var url in (entry ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                any = true;
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    errors.Add($"{nameof(Endpoints)}: '{url}' is not a URL like http://127.0.0.1:2379.");
                }
            }
        }
        if (!any)
        {
            errors.Add($"{nameof(Endpoints)} has only empty entries; name at least one etcd client URL (e.g. http://127.0.0.1:2379).");
        }
        if (DialTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(DialTimeout)} must be positive.");
        }
        if (RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(RequestTimeout)} must be positive.");
        }
        return errors;
    }
}
