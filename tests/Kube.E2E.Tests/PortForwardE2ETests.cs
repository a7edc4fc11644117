using System.Net;
using System.Security.Cryptography;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// <c>kubectl port-forward</c> (and, in PortForwardE2ETests.Copy.cs, <c>kubectl cp</c> and <c>attach</c>) through the real kubectl
/// against one <c>kube-host up</c> with the process runtime. The pod serves a directory with python3's http.server bound to its
/// own pod IP (127.1.x.y), so it takes no host-wide port.
/// </summary>
[TestClass]
public sealed partial class PortForwardE2ETests
{
    /// <summary>The pod's port: a free one, so a pod of another cluster on the same pod IP cannot hold it.</summary>
    private static int _podPort;
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(60);
    private static KubeHostProcess? _host;
    private static Kubectl? _kubectl;
    private static string _dir = "";
    private static string _www = "";
    private static string _marker = "";
    private static byte[] _big = [];
    private static string? _python;
    private static Kubectl K => _kubectl!;
    private static string CacheDir => Path.Combine(_dir, "kubecache");

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        _python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists)
            ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "python3")).FirstOrDefault(File.Exists);
        if (Kubectl.Path is null || _python is null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-portforward-").FullName;
        _podPort = KubeHostProcess.FreePort();
        _www = Path.Combine(_dir, "www");
        Directory.CreateDirectory(_www);
        _marker = $"served-through-port-forward-{Guid.NewGuid():N}";
        await File.WriteAllTextAsync(Path.Combine(_www, "index.html"), _marker);
        // Larger than the 64 KiB SPDY windows, so a transfer needs the windows to move (or the peer not to keep them).
        _big = RandomNumberGenerator.GetBytes(1536 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(_www, "big.bin"), _big);
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"));
        _kubectl = new Kubectl(_host.Kubeconfig, CacheDir);
        var manifest = Path.Combine(_dir, "web.yaml");
        await File.WriteAllTextAsync(manifest, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, labels: {app: web} }
            spec:
              containers:
              - name: web
                image: python
                command: ["sh", "-c", "exec {{_python}} -m http.server {{_podPort}} --bind \"$POD_IP\" --directory {{_www}}"]
                ports: [{containerPort: {{_podPort}} }]
                readinessProbe: {tcpSocket: {port: {{_podPort}} }, periodSeconds: 1}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              selector: {app: web}
              ports: [{port: 80, targetPort: {{_podPort}} }]
            """);
        await K.OkAsync($"apply -f {manifest}");
        await K.OkAsync($"wait --for=condition=Ready pod/web --timeout={(int)Ready.TotalSeconds}s", timeout: Ready + TimeSpan.FromSeconds(10));
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [TestInitialize]
    public void RequireTools()
    {
        Kubectl.RequireInstalled();
        if (_python is null) Assert.Inconclusive("python3 is needed for the pod's HTTP server: apt-get install -y python3");
    }

    /// <summary>Starts <c>kubectl port-forward TARGET LOCAL:REMOTE</c> and waits for its "Forwarding from" line.</summary>
    private static async Task<(LiveProcess Kubectl, int Port)> ForwardAsync(string target, int remote, IReadOnlyDictionary<string, string>? env = null)
    {
        var local = KubeHostProcess.FreePort();
        var p = KubectlStreaming.Start(_host!.Kubeconfig, CacheDir, ["port-forward", "--address=127.0.0.1", target, $"{local}:{remote}"], env);
        if (!await p.WaitForLineAsync(l => l.StartsWith($"Forwarding from 127.0.0.1:{local}", StringComparison.Ordinal), TimeSpan.FromSeconds(30)))
        {
            await p.DisposeAsync();
            Assert.Fail($"kubectl port-forward {target} never listened:\n{p.Stdout}\n{p.Stderr}");
        }

        return (p, local);
    }

    private static HttpClient Client(int port) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };

    [TestMethod]
    public async Task PortForward_Pod_OverWebSocket_ServesGets_TwoConcurrentConnections_AndMoreThanAWindow()
    {
        var (kubectl, port) = await ForwardAsync("pod/web", _podPort);
        await using (kubectl)
        {
            using var a = Client(port);
            using var b = Client(port);
            Assert.AreEqual(_marker, await a.GetStringAsync("index.html"));
            var both = await Task.WhenAll(a.GetByteArrayAsync("big.bin"), b.GetByteArrayAsync("index.html"));
            CollectionAssert.AreEqual(_big, both[0], "1.5 MiB through the forward arrive whole");
            Assert.AreEqual(_marker, System.Text.Encoding.UTF8.GetString(both[1]));
            Assert.IsFalse(kubectl.HasExited, $"port-forward ended:\n{kubectl.Stderr}");
            StringAssert.Contains(kubectl.Stdout, $"Handling connection for {port}");
        }
    }

    [TestMethod]
    public async Task PortForward_FallsBackToSpdy_WhenWebSocketsAreOff()
    {
        // kubectl 1.32 reads KUBECTL_PORT_FORWARD_WEBSOCKETS: false makes it upgrade to SPDY/3.1 directly.
        var (kubectl, port) = await ForwardAsync("pod/web", _podPort, new Dictionary<string, string> { ["KUBECTL_PORT_FORWARD_WEBSOCKETS"] = "false" });
        await using (kubectl)
        {
            using var a = Client(port);
            Assert.AreEqual(_marker, await a.GetStringAsync("index.html"));
            CollectionAssert.AreEqual(_big, await a.GetByteArrayAsync("big.bin"));
        }
    }

    [TestMethod]
    public async Task PortForward_Service_IsResolvedToAPod_ByKubectl()
    {
        var (kubectl, port) = await ForwardAsync("svc/web", 80);
        await using (kubectl)
        {
            using var a = Client(port);
            Assert.AreEqual(_marker, await a.GetStringAsync("index.html"));
        }
    }

    [TestMethod]
    public async Task PortForward_ToAClosedPort_ReportsTheDialErrorOnTheErrorStream()
    {
        var (kubectl, port) = await ForwardAsync("pod/web", 9);
        await using (kubectl)
        {
            using var a = Client(port);
            await Assert.ThrowsAsync<HttpRequestException>(() => a.GetStringAsync("index.html"));
            Assert.IsTrue(await Wait.UntilAsync(() => kubectl.Stderr.Contains("error forwarding port 9 to pod web_default", StringComparison.Ordinal), TimeSpan.FromSeconds(20)),
                $"kubectl shows the kubelet's error:\n{kubectl.Stderr}");
            StringAssert.Contains(kubectl.Stderr, "connection refused");
        }
    }

    [TestMethod]
    public async Task PortForward_WithoutUpgrade_IsABadRequestStatus()
    {
        var r = await K.RunAsync("get --raw /api/v1/namespaces/default/pods/web/portforward");
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Stderr, "Upgrade request required");
        Assert.IsFalse(r.Stderr.Contains("InternalError", StringComparison.Ordinal), r.Stderr);
    }
}
