using System.CommandLine;
using System.Net;
using Kube.Host.Cluster;
using Kube.Store;
using Kube.Store.Etcd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Commands;

/// <summary>
/// <c>kube-host store</c>: one store member serving etcd's v3 gRPC API, configured with etcd's own flag names
/// so etcd users feel at home.
/// </summary>
internal static class StoreCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Human-readable name for this member.", DefaultValueFactory = _ => "default" };
        var dataDir = new Option<string>("--data-dir") { Description = "Path to the data directory.", DefaultValueFactory = _ => "./default.etcd" };
        var listenClient = new Option<string>("--listen-client-urls") { Description = "URLs to listen on for client traffic.", DefaultValueFactory = _ => "http://localhost:2379" };
        var advertiseClient = new Option<string>("--advertise-client-urls") { Description = "Client URLs to advertise to the rest of the cluster.", DefaultValueFactory = _ => "http://localhost:2379" };
        var listenPeer = new Option<string>("--listen-peer-urls") { Description = "URLs to listen on for peer traffic.", DefaultValueFactory = _ => "http://localhost:2380" };
        var advertisePeer = new Option<string>("--initial-advertise-peer-urls") { Description = "This member's peer URLs to advertise to the rest of the cluster.", DefaultValueFactory = _ => "http://localhost:2380" };
        var initialCluster = new Option<string?>("--initial-cluster") { Description = "Initial cluster configuration for bootstrapping (name=peerURL,...)." };
        var clusterState = new Option<string>("--initial-cluster-state") { Description = "Initial cluster state ('new' or 'existing').", DefaultValueFactory = _ => "new" };
        var clusterToken = new Option<string>("--initial-cluster-token") { Description = "Initial cluster token for the cluster during bootstrap.", DefaultValueFactory = _ => "etcd-cluster" };
        var quota = new Option<long>("--quota-backend-bytes") { Description = "Raise the NOSPACE alarm when the store exceeds this size (0 = 2 GiB default).", DefaultValueFactory = _ => 0 };
        var snapshotCount = new Option<long>("--snapshot-count") { Description = "Number of committed transactions to trigger a snapshot to disk.", DefaultValueFactory = _ => 10_000 };
        var catchUpEntries = new Option<long>("--experimental-snapshot-catchup-entries") { Description = "Number of entries for a slow follower to catch up after compacting the raft storage entries.", DefaultValueFactory = _ => 5_000 };
        var exitWithParent = new Option<bool>("--exit-with-parent") { Description = "Stop when the process that started this member exits.", DefaultValueFactory = _ => true };

        var cmd = new Command("store", "Run a store member that serves etcd's v3 API (flags as etcd's).")
        {
            name, dataDir, listenClient, advertiseClient, listenPeer, advertisePeer, initialCluster, clusterState, clusterToken, quota, snapshotCount, catchUpEntries, exitWithParent,
        };
        // Option validators run only for options given on the command line; defaults are valid by construction.
        clusterState.AcceptOnlyFromAmong("new", "existing");
        listenClient.Validators.Add(r =>
        {
            foreach (var url in Split(r.GetValueOrDefault<string>() ?? ""))
                if (!TryEndpoint(url, out _, out var error)) r.AddError($"--listen-client-urls: {error}");
        });
        listenPeer.Validators.Add(r =>
        {
            foreach (var url in Split(r.GetValueOrDefault<string>() ?? ""))
                if (!TryEndpoint(url, out _, out var error)) r.AddError($"--listen-peer-urls: {error}");
        });
        initialCluster.Validators.Add(r =>
        {
            foreach (var part in Split(r.GetValueOrDefault<string?>() ?? ""))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || !TryEndpoint(part[(eq + 1)..], out _, out var error))
                    r.AddError($"--initial-cluster: '{part}' is not name=http://IP:PORT");
            }
        });
        cmd.SetAction(async (parse, ct) =>
        {
            var dir = Path.GetFullPath(parse.GetValue(dataDir)!);
            Directory.CreateDirectory(dir);
            var endpoints = Split(parse.GetValue(listenClient)!).Select(u => { TryEndpoint(u, out var ep, out _); return ep!; }).ToList();
            var peerEndpoints = Split(parse.GetValue(listenPeer)!).Select(u => { TryEndpoint(u, out var ep, out _); return ep!; }).ToList();
            var options = new StoreOptions
            {
                DataDir = dir,
                MemberName = parse.GetValue(name)!,
                InitialCluster = parse.GetValue(initialCluster) ?? "",
                InitialClusterState = parse.GetValue(clusterState)!,
                InitialClusterToken = parse.GetValue(clusterToken)!,
                AdvertiseClientUrls = parse.GetValue(advertiseClient)!,
                SnapshotCount = parse.GetValue(snapshotCount),
                SnapshotCatchUpEntries = parse.GetValue(catchUpEntries),
            };
            if (parse.GetValue(quota) > 0) options.QuotaBackendBytes = parse.GetValue(quota);
            // As etcd: without --initial-cluster the member is NAME=--initial-advertise-peer-urls, a one-member cluster that serves its
            // peer URLs and grows at 'etcdctl member add'.
            if (options.InitialCluster.Length == 0)
                options.InitialCluster = string.Join(",", Split(parse.GetValue(advertisePeer)!).Select(u => $"{options.MemberName}={u}"));
            if (options.IsReplicated)
            {
                // etcd refuses a member whose advertised peer URLs differ from its --initial-cluster entry.
                var advertised = Split(parse.GetValue(advertisePeer)!).Select(u => u.TrimEnd('/')).Order().ToList();
                var listed = Split(options.InitialCluster).Where(p => p.StartsWith(options.MemberName + "=", StringComparison.Ordinal))
                    .Select(p => p[(options.MemberName.Length + 1)..].TrimEnd('/')).Order().ToList();
                if (listed.Count == 0)
                {
                    Console.Error.WriteLine($"couldn't find local name \"{options.MemberName}\" in the initial cluster configuration");
                    return 1;
                }
                if (!advertised.SequenceEqual(listed))
                {
                    Console.Error.WriteLine($"--initial-cluster has {options.MemberName}={string.Join(",", listed)} but missing from --initial-advertise-peer-urls={string.Join(",", advertised)}");
                    return 1;
                }
            }
            var app = EtcdServer.Create(options, endpoints, peerEndpoints, b =>
            {
                b.Logging.ClearProviders();
                b.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; });
                b.Logging.AddFilter("Microsoft", LogLevel.Warning);
                if (parse.GetValue(exitWithParent))
                {
                    b.Services.AddSingleton(new ParentWatchOptions(dir));
                    b.Services.AddHostedService<ParentWatch>();
                }
            });
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("kube-host");
            using var dirLock = await DataDirLock.AcquireAsync(dir, TimeSpan.FromSeconds(60), logger, ct);
            logger.LogInformation("Store member {Name} serving etcd v3 on {Urls}{Peers}", options.MemberName, string.Join(",", endpoints),
                ", peers on " + string.Join(",", peerEndpoints));
            await app.RunAsync();
            return 0;
        });
        return cmd;
    }

    private static IEnumerable<string> Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Parses http://IP:PORT (or localhost) into an endpoint; TLS (https) is not served yet.</summary>
    internal static bool TryEndpoint(string url, out IPEndPoint? endpoint, out string? error)
    {
        endpoint = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Port <= 0)
        {
            error = $"'{url}' is not a URL like http://127.0.0.1:2379";
            return false;
        }
        if (uri.Scheme == "https")
        {
            error = $"'{url}': TLS client URLs are not supported yet; use http://";
            return false;
        }
        IPAddress? ip = uri.Host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(uri.Host, out var parsed) ? parsed : null;
        if (ip is null)
        {
            error = $"'{url}': the host must be an IP address or localhost";
            return false;
        }
        endpoint = new IPEndPoint(ip, uri.Port);
        error = null;
        return true;
    }
}
