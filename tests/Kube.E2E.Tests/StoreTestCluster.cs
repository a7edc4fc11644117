using System.Diagnostics;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// N store members on loopback, started with etcd's cluster flags: either <c>kube-host store</c> processes or real
/// <c>/usr/bin/etcd</c> 3.4 processes, so the same etcdctl checks can run against both and their outputs be compared.
/// </summary>
internal sealed class StoreTestCluster : IAsyncDisposable
{
    public const string EtcdctlPath = "/usr/bin/etcdctl";
    public const string EtcdPath = "/usr/bin/etcd";

    public sealed record Member(string Name, int ClientPort, int PeerPort, string DataDir)
    {
        public LiveProcess? Process { get; set; }
        public string Client => $"127.0.0.1:{ClientPort}";
        public string ClientUrl => $"http://127.0.0.1:{ClientPort}";
        public string PeerUrl => $"http://127.0.0.1:{PeerPort}";
    }

    private StoreTestCluster(bool etcd, string root, IReadOnlyList<Member> members, string token)
    {
        IsEtcd = etcd;
        Root = root;
        Members = members;
        Token = token;
    }

    /// <summary>True for real etcd processes, false for kube-host store.</summary>
    public bool IsEtcd { get; }

    public string Label => IsEtcd ? "etcd" : "kube-host store";

    public string Root { get; }

    public string Token { get; }

    public IReadOnlyList<Member> Members { get; }

    /// <summary>Every member's client address, comma-separated (etcdctl's --endpoints).</summary>
    public string All => string.Join(",", Members.Select(m => m.Client));

    public string InitialCluster => string.Join(",", Members.Select(m => $"{m.Name}={m.PeerUrl}"));

    /// <summary>Creates the members (names m1..mN, free ports) without starting them.</summary>
    public static StoreTestCluster Create(bool etcd, int count, string token = "e2e-etcdctl")
    {
        var root = Directory.CreateTempSubdirectory(etcd ? "kube-e2e-etcd-" : "kube-e2e-store-").FullName;
        var members = Enumerable.Range(1, count)
            .Select(i => new Member($"m{i}", KubeHostProcess.FreePort(), KubeHostProcess.FreePort(), Path.Combine(root, $"m{i}")))
            .ToList();
        return new StoreTestCluster(etcd, root, members, token);
    }

    /// <summary>Starts every member as a new cluster and waits until each answers <c>endpoint health</c>.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        foreach (var m in Members) Start(m, InitialCluster, "new");
        foreach (var m in Members)
        {
            var healthy = await Wait.UntilAsync(async () => !m.Process!.HasExited && (await Etcdctl(m.Client, "endpoint", "health")).Exit == 0, timeout);
            if (!healthy) throw new InvalidOperationException($"{Label} member {m.Name} never became healthy:\n{m.Process!.Stdout}\n{m.Process.Stderr}");
        }
    }

    /// <summary>Starts (or restarts) one member with the given cluster flags.</summary>
    public void Start(Member m, string initialCluster, string state, params string[] extra)
    {
        string[] flags =
        [
            "--name", m.Name, "--data-dir", m.DataDir,
            "--listen-client-urls", m.ClientUrl, "--advertise-client-urls", m.ClientUrl,
            "--listen-peer-urls", m.PeerUrl, "--initial-advertise-peer-urls", m.PeerUrl,
            "--initial-cluster", initialCluster, "--initial-cluster-token", Token, "--initial-cluster-state", state,
            .. extra,
        ];
        m.Process = IsEtcd ? LiveProcess.Start(EtcdPath, flags) : LiveProcess.Start("dotnet", [KubeHostProcess.HostDll(), "store", .. flags]);
    }

    /// <summary>Runs etcdctl (API v3) against <paramref name="endpoints"/>; bounded to 30 s.</summary>
    public static async Task<(int Exit, string Out, string Err)> Etcdctl(string endpoints, params string[] args) =>
        await EtcdctlWithInput(endpoints, null, args);

    public static Task<(int Exit, string Out, string Err)> EtcdctlWithInput(string endpoints, string? stdin, params string[] args) =>
        EtcdctlBounded(endpoints, stdin, TimeSpan.FromSeconds(30), args);

    /// <summary>Runs etcdctl with <paramref name="stdin"/> (when not null), killed after <paramref name="bound"/>.</summary>
    public static async Task<(int Exit, string Out, string Err)> EtcdctlBounded(string endpoints, string? stdin, TimeSpan bound, params string[] args)
    {
        var psi = new ProcessStartInfo(EtcdctlPath)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.Environment["ETCDCTL_API"] = "3";
        psi.ArgumentList.Add("--endpoints=" + endpoints);
        psi.ArgumentList.Add("--dial-timeout=2s");
        psi.ArgumentList.Add("--command-timeout=10s");
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(bound);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            return (-1, await stdout, $"etcdctl timed out after {bound.TotalSeconds:F0} s; " + await stderr);
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var m in Members)
        {
            if (m.Process is { } p) await p.DisposeAsync();
        }
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
