using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// <c>kube-host up</c>'s node agent serves its kubelet API (logs, exec, stats) over HTTPS with a serving certificate from the
/// cluster CA and answers only client certificates from that CA (the API server's kube-apiserver-kubelet-client): kubectl
/// logs, exec and top still work through the API server, a caller without a client certificate gets 401.
/// </summary>
[TestClass]
public sealed class NodeKubeletAuthE2ETests
{
    private static KubectlHost? _cluster;

    private static KubectlHost Cluster => _cluster ?? throw new InvalidOperationException("the cluster did not start");

    private static Kubectl K => Cluster.Kubectl;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _) => _cluster = await KubectlHost.StartAsync("kubelet-auth");

    [ClassCleanup]
    public static Task StopClusterAsync() => KubectlHost.StopAsync(_cluster);

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    [TestMethod]
    public async Task LogsExecTop_WorkThroughTheApiServer_DirectCallsWithoutClientCertificate_Get401()
    {
        var file = Path.Combine(Cluster.Dir, "talker.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: v1
            kind: Pod
            metadata: {name: talker}
            spec:
              containers:
              - {name: main, image: busybox, command: ["sh", "-c", "echo hello-kubelet-tls; x=$(head -c 3000000 /dev/zero | tr '\\0' x); while :; do sleep 0.05; done"]}
            """);
        await K.OkAsync($"create -f {file}");
        await K.OkAsync("wait --for=condition=Ready pod/talker --timeout=90s", timeout: TimeSpan.FromSeconds(100));

        var logs = "";
        Assert.IsTrue(await Wait.UntilAsync(async () => (logs = (await K.RunAsync("logs talker")).Stdout).Contains("hello-kubelet-tls"), TimeSpan.FromSeconds(30)), "kubectl logs: " + logs);

        var piped = await KubectlStreaming.RunAsync(Cluster.Host.Kubeconfig, Cluster.CacheDir, ["exec", "-i", "talker", "--", "cat"], TimeSpan.FromSeconds(60), "through-tls\n");
        Assert.AreEqual((0, "through-tls\n"), (piped.ExitCode, piped.Stdout), piped.Stderr);

        var top = "";
        Assert.IsTrue(await Wait.UntilAsync(async () =>
        {
            var r = await K.RunAsync("top pod talker");
            top = r.Stdout + r.Stderr;
            return r.ExitCode == 0 && Regex.IsMatch(r.Stdout, @"(?m)^talker\s+\d+m\s+\d+Mi");
        }, TimeSpan.FromSeconds(60)), "kubectl top pod: " + top);

        var port = int.Parse(await K.OkAsync("get node node-1 -o jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}"), System.Globalization.CultureInfo.InvariantCulture);
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Cluster.Host.DataDir, "pki", "ca.crt"));
        var servingChainsToCa = false;
        using var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var leaf = X509CertificateLoader.LoadCertificate(cert!.GetRawCertData());
            servingChainsToCa = chain.Build(leaf);
            return true;
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
        foreach (var path in new[] { "stats/summary", "containerLogs/default/talker/main", "exec/default/talker/main?command=id&stdout=true" })
        {
            using var response = await http.GetAsync($"https://127.0.0.1:{port}/{path}");
            Assert.AreEqual(HttpStatusCode.Unauthorized, response.StatusCode, path);
        }

        Assert.IsTrue(servingChainsToCa, "the kubelet's serving certificate is issued by the cluster CA");
        using var plain = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
        await Assert.ThrowsExactlyAsync<HttpRequestException>(() => plain.GetAsync($"http://127.0.0.1:{port}/stats/summary"), "no plain HTTP");
    }

    [TestMethod]
    public async Task NodeProcess_WithTlsFlags_ServesLogsToTheApiServer()
    {
        var r = await ToolProcess.KubeHostAsync("kubeconfig", "--data-dir", Cluster.Host.DataDir, "--node", "tls-ext-1", "--out", Path.Combine(Cluster.Dir, "tls-ext.kubeconfig"));
        Assert.AreEqual(0, r.ExitCode, r.Stdout + r.Stderr);
        var pki = Path.Combine(Cluster.Host.DataDir, "pki");
        await using var agent = LiveProcess.Start("dotnet",
            [KubeHostProcess.HostDll(), "node", "--kubeconfig", r.Stdout.Trim(), "--name", "tls-ext-1", "--data-dir", Path.Combine(Cluster.Dir, "tls-ext-node"),
             "--tls-cert-file", Path.Combine(pki, "kubelet-tls-ext-1.crt"), "--tls-private-key-file", Path.Combine(pki, "kubelet-tls-ext-1.key"), "--client-ca-file", Path.Combine(pki, "ca.crt")]);
        try
        {
            var ready = await Wait.UntilAsync(async () =>
            {
                var nodes = await K.RunAsync("get node tls-ext-1 --no-headers");
                return nodes.ExitCode == 0 && nodes.Stdout.Contains(" Ready ");
            }, TimeSpan.FromSeconds(60));
            Assert.IsTrue(ready, "tls-ext-1 never became Ready:\n" + agent.Stdout + agent.Stderr);
            await K.OkAsync("create -f -", """
                apiVersion: v1
                kind: Pod
                metadata: {name: ext-talker}
                spec:
                  nodeName: tls-ext-1
                  containers:
                  - {name: main, image: busybox, command: ["sh", "-c", "echo hello-from-ext-node; exec sleep 3600"]}
                """);
            var logs = "";
            Assert.IsTrue(await Wait.UntilAsync(async () => (logs = (await K.RunAsync("logs ext-talker")).Stdout).Contains("hello-from-ext-node"), TimeSpan.FromSeconds(60)),
                "kubectl logs through the API server: " + logs + "\n" + agent.Stdout + agent.Stderr);

            // straight at this node's kubelet with a certificate from the cluster CA for a user without nodes/proxy: the separate
            // node process asks the API server (SubjectAccessReview with its own kubeconfig) and refuses with its own 403
            var port = int.Parse(await K.OkAsync("get node tls-ext-1 -o jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}"), System.Globalization.CultureInfo.InvariantCulture);
            var dave = await ToolProcess.KubeHostAsync("kubeconfig", "--data-dir", Cluster.Host.DataDir, "--user", "dave", "--server", $"https://127.0.0.1:{port}",
                "--out", Path.Combine(Cluster.Dir, "dave-kubelet.kubeconfig"));
            Assert.AreEqual(0, dave.ExitCode, dave.Stdout + dave.Stderr);
            var direct = await new Kubectl(dave.Stdout.Trim(), Path.Combine(Cluster.Dir, "cache-dave")).RunAsync("get --raw /containerLogs/default/ext-talker/main");
            Assert.AreNotEqual(0, direct.ExitCode, direct.Stdout);
            StringAssert.Contains(direct.Stderr, "Forbidden (user=dave, verb=get, resource=nodes, subresource=proxy)", agent.Stdout + agent.Stderr);
        }
        finally
        {
            await K.RunAsync("delete pod ext-talker --grace-period=0 --force --wait=false");
            agent.Kill();
            await K.RunAsync("delete node tls-ext-1 --wait=false");
        }
    }
}
