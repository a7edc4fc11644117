using System.Security.Cryptography.X509Certificates;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// The kube-api-access volume of a pod on <c>kube-host up</c>: its token is a real bound ServiceAccount token that
/// authenticates as <c>system:serviceaccount:default:default</c>, and its ca.crt is the cluster CA of the kubeconfig.
/// </summary>
[TestClass]
public sealed class NodeServiceAccountTokenE2ETests
{
    private const string Mount = "/var/run/secrets/kubernetes.io/serviceaccount";
    private static KubeHostProcess? _host;
    private static Kubectl? _kubectl;
    private static string _dir = "";
    private static Kubectl K => _kubectl!;
    private static string CacheDir => Path.Combine(_dir, "kubecache");

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-satoken-").FullName;
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"));
        _kubectl = new Kubectl(_host.Kubeconfig, CacheDir);
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    [TestMethod]
    public async Task PodCaCrt_IsTheClusterCaOfTheKubeconfig_AndATokenFileIsPresent()
    {
        var logs = await StartPodAsync("sa-ca");
        StringAssert.Contains(logs, "token-present");
        var ca = X509Certificate2.CreateFromPem(logs.AsSpan(logs.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)));
        Assert.AreEqual(KubeconfigFiles.ClusterCa(_host!.Kubeconfig).Thumbprint, ca.Thumbprint, "ca.crt is the cluster CA");
    }

    [TestMethod]
    public async Task PodToken_AuthenticatesAsTheDefaultServiceAccount()
    {
        await StartPodAsync("sa-token");
        var exec = await KubectlStreaming.RunAsync(_host!.Kubeconfig, CacheDir, ["exec", "sa-token", "--", "cat", $"{Mount}/token"], TimeSpan.FromSeconds(60), null);
        Assert.AreEqual(0, exec.ExitCode, exec.Stderr);
        var token = exec.Stdout.Trim();
        Assert.AreEqual(3, token.Split('.').Length, "a JWT: " + token);

        var tokenConfig = KubeconfigFiles.WithToken(_host.Kubeconfig, Path.Combine(_dir, "sa.kubeconfig"), token);
        var whoami = await new Kubectl(tokenConfig, Path.Combine(_dir, "sa-cache")).OkAsync("auth whoami -o jsonpath={.status.userInfo.username}");
        Assert.AreEqual("system:serviceaccount:default:default", whoami.Trim());
    }

    /// <summary>Creates a pod that checks its token and prints its ca.crt; returns its logs once the certificate is in them.</summary>
    private static async Task<string> StartPodAsync(string name)
    {
        var marker = $"{300000 + Random.Shared.Next(99999)}.{Random.Shared.Next(1000, 9999)}";
        var file = Path.Combine(_dir, name + ".yaml");
        await File.WriteAllTextAsync(file, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: {{name}}}
            spec:
              containers:
              - name: main
                image: busybox
                command: ["sh", "-c", "test -s {{Mount}}/token && echo token-present; cat {{Mount}}/ca.crt; exec sleep {{marker}}"]
            """);
        await K.OkAsync($"create -f {file}");

        var logs = "";
        var ok = await Wait.UntilAsync(async () =>
        {
            var r = await K.RunAsync($"logs {name}");
            logs = r.Stdout;
            return r.ExitCode == 0 && logs.Contains("END CERTIFICATE", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(90));
        Assert.IsTrue(ok, $"pod {name} never printed its ca.crt; logs: {logs}\n{(await K.RunAsync($"describe pod {name}")).Stdout}");
        return logs;
    }
}
