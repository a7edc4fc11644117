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
    private static KubectlHost? _cluster;

    private static KubectlHost Cluster => _cluster ?? throw new InvalidOperationException("the cluster did not start");

    private static Kubectl K => Cluster.Kubectl;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _) => _cluster = await KubectlHost.StartAsync("satoken");

    [ClassCleanup]
    public static Task StopClusterAsync() => KubectlHost.StopAsync(_cluster);

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    [TestMethod]
    public async Task PodCaCrt_IsTheClusterCaOfTheKubeconfig_AndATokenFileIsPresent()
    {
        var logs = await StartPodAsync("sa-ca");
        StringAssert.Contains(logs, "token-present");
        var ca = X509Certificate2.CreateFromPem(logs.AsSpan(logs.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)));
        Assert.AreEqual(KubeconfigFiles.ClusterCa(Cluster.Host.Kubeconfig).Thumbprint, ca.Thumbprint, "ca.crt is the cluster CA");
    }

    [TestMethod]
    public async Task PodToken_AuthenticatesAsTheDefaultServiceAccount()
    {
        await StartPodAsync("sa-token");
        var exec = await KubectlStreaming.RunAsync(Cluster.Host.Kubeconfig, Cluster.CacheDir, ["exec", "sa-token", "--", "cat", $"{Mount}/token"], TimeSpan.FromSeconds(60), null);
        Assert.AreEqual(0, exec.ExitCode, exec.Stderr);
        var token = exec.Stdout.Trim();
        Assert.AreEqual(3, token.Split('.').Length, "a JWT: " + token);

        var tokenConfig = KubeconfigFiles.WithToken(Cluster.Host.Kubeconfig, Path.Combine(Cluster.Dir, "sa.kubeconfig"), token);
        var whoami = await new Kubectl(tokenConfig, Path.Combine(Cluster.Dir, "sa-cache")).OkAsync("auth whoami -o jsonpath={.status.userInfo.username}");
        Assert.AreEqual("system:serviceaccount:default:default", whoami.Trim());
    }

    /// <summary>Creates a pod that checks its token and prints its ca.crt; returns its logs once the certificate is in them.</summary>
    private static async Task<string> StartPodAsync(string name)
    {
        var marker = $"{300000 + Random.Shared.Next(99999)}.{Random.Shared.Next(1000, 9999)}";
        var file = Path.Combine(Cluster.Dir, name + ".yaml");
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
