namespace Kube.ApiServer;

/// <summary>Options of <see cref="KubeApiServer"/>.</summary>
public sealed class ApiServerOptions
{
    /// <summary>The address to listen on. Default 127.0.0.1.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>The port to listen on; 0 picks a free port (see <see cref="KubeApiServer.BaseAddress"/>). Default 6443.</summary>
    public int Port { get; set; } = 6443;

    /// <summary>The gitVersion reported by /version. Default "v1.32.0".</summary>
    public string GitVersion { get; set; } = "v1.32.0";

    /// <summary>Namespaces created at start when missing. Default default, kube-system, kube-public, kube-node-lease.</summary>
    public IList<string> InitialNamespaces { get; set; } = ["default", "kube-system", "kube-public", "kube-node-lease"];

    /// <summary>Events each resource's watch cache keeps for watchers that start from a recent version. Default 4096.</summary>
    public int WatchCacheCapacity { get; set; } = 4096;

    /// <summary>
    /// Events buffered per watcher. A watcher that falls further behind is ended (its client watches again from its
    /// last resourceVersion). Default 10000.
    /// </summary>
    public int WatcherBufferSize { get; set; } = 10_000;

    /// <summary>How often a watch with allowWatchBookmarks gets a BOOKMARK when idle. Default 1 minute (upstream sends about one a minute).</summary>
    public TimeSpan WatchBookmarkInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the store reports progress on an idle watch cache, which bookmarks use. Default 5 seconds.</summary>
    public TimeSpan WatchProgressInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest a watch runs when the client sets no timeoutSeconds. Default 30 minutes (upstream's minRequestTimeout).</summary>
    public TimeSpan MaxWatchTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The largest request body accepted; bigger ones get 413. Default 3 MiB, as upstream.</summary>
    public long MaxRequestBodySize { get; set; } = 3 * 1024 * 1024;

    /// <summary>
    /// How often the store's history is compacted (to the revision seen one interval earlier). Default 5 minutes, as
    /// upstream; <see cref="TimeSpan.Zero"/> turns compaction off (when the store or another server compacts).
    /// </summary>
    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a terminating namespace is checked again while objects in it (pods shutting down, finalizers) remain. Default 1 second.</summary>
    public TimeSpan NamespaceFinalizeRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many times an update, patch or delete retries internally when the store changed underneath and the client
    /// gave no resourceVersion (upstream retries until it wins). Default 100.
    /// </summary>
    public int MaxUpdateRetries { get; set; } = 100;

    /// <summary>
    /// Read requests (GET, HEAD, OPTIONS) served at once; more get 429 TooManyRequests with Retry-After: 1, as
    /// upstream's --max-requests-inflight. Watches and log/exec streams are long-running and not counted. Default 400.
    /// </summary>
    public int MaxRequestsInFlight { get; set; } = 400;

    /// <summary>Mutating requests served at once (upstream's --max-mutating-requests-inflight); more get 429. Default 200.</summary>
    public int MaxMutatingRequestsInFlight { get; set; } = 200;

    /// <summary>
    /// Serve <c>metrics.k8s.io/v1beta1</c> NodeMetrics and PodMetrics (what <c>kubectl top</c> reads) from each node
    /// agent's kubelet <c>GET /stats/summary</c>, in place of a metrics-server. Default true.
    /// </summary>
    public bool ServeResourceMetrics { get; set; } = true;

    /// <summary>How long a node's kubelet has to answer <c>/stats/summary</c>; a slower node has no metrics. Default 5 seconds.</summary>
    public TimeSpan KubeletStatsTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a node's summary is reused before it is scraped again. Default 5 seconds.</summary>
    public TimeSpan ResourceMetricsCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Authentication, authorization and TLS. Default null: plain HTTP and every request is the administrator (the
    /// walking skeleton; tests). <c>kube-host up</c> sets it.
    /// </summary>
    public global::Kube.ApiServer.Security.ApiServerSecurityOptions? Security { get; set; }
}
