using System.Diagnostics;
using k8s.Models;

namespace Kube.Controllers.Tests.Integration;

/// <summary>The quick start, driven by the real kubectl against the real API server, with the built-in controllers.</summary>
[TestClass]
public sealed class KubectlRolloutTests
{
    private const string KubectlPath = "/usr/bin/kubectl";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task KubectlRolloutStatus_Succeeds_ForCreateAndSetImage_AndDeleteCollectsEverything()
    {
        if (!File.Exists(KubectlPath)) Assert.Inconclusive("kubectl is not installed: apt-get install -y kubectl");
        await using var cluster = await ControllerCluster.StartAsync();
        using var kubectl = new KubectlRunner(cluster.BaseAddress);

        // Play the kubelet in the background: mark pods ready as they appear.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        var kubelet = Task.Run(async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(100);
            while (!stop.IsCancellationRequested && DateTime.UtcNow < deadline)
            {
                await cluster.MarkPodsReadyAsync("app=web");
                try
                {
                    await Task.Delay(100, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        var create = await kubectl.RunAsync("create", "deployment", "web", "--image=nginx:1", "--replicas=3");
        Assert.AreEqual(0, create.ExitCode, create.Stderr);
        var status = await kubectl.RunAsync("rollout", "status", "deployment/web", "--timeout=60s");
        Assert.AreEqual(0, status.ExitCode, status.Stdout + status.Stderr);
        StringAssert.Contains(status.Stdout, "successfully rolled out");

        var set = await kubectl.RunAsync("set", "image", "deployment/web", "nginx=nginx:2");
        Assert.AreEqual(0, set.ExitCode, set.Stderr);
        status = await kubectl.RunAsync("rollout", "status", "deployment/web", "--timeout=60s");
        Assert.AreEqual(0, status.ExitCode, status.Stdout + status.Stderr);
        StringAssert.Contains(status.Stdout, "successfully rolled out");
        var pods = (await cluster.PodsAsync("app=web")).Where(Workloads.IsActive).ToList();
        Assert.AreEqual(3, pods.Count);
        Assert.IsTrue(pods.All(p => p.Spec.Containers[0].Image == "nginx:2"));

        // Roll back to revision 1: the first ReplicaSet comes back as revision 3.
        var undo = await kubectl.RunAsync("rollout", "undo", "deployment/web");
        Assert.AreEqual(0, undo.ExitCode, undo.Stdout + undo.Stderr);
        status = await kubectl.RunAsync("rollout", "status", "deployment/web", "--timeout=60s");
        Assert.AreEqual(0, status.ExitCode, status.Stdout + status.Stderr);
        pods = (await cluster.PodsAsync("app=web")).Where(Workloads.IsActive).ToList();
        Assert.IsTrue(pods.Count == 3 && pods.All(p => p.Spec.Containers[0].Image == "nginx:1"), "the rollback runs the first image again");
        // (Reuse of the first ReplicaSet is not asserted: kubectl sends protobuf whose empty strings the API server keeps
        // instead of defaulting, so the rolled-back template differs from the original in defaulted fields.)
        Assert.AreEqual("3", (await cluster.Client.GetAsync<V1Deployment>("web", "default")).Metadata.Annotations["deployment.kubernetes.io/revision"]);
        var history = await kubectl.RunAsync("rollout", "history", "deployment/web");
        Assert.AreEqual(0, history.ExitCode, history.Stderr);
        StringAssert.Contains(history.Stdout, "REVISION");

        var delete = await kubectl.RunAsync("delete", "deployment", "web");
        Assert.AreEqual(0, delete.ExitCode, delete.Stderr);
        await ControllerCluster.WaitForAsync(async () =>
            (await cluster.ReplicaSetsAsync("app=web")).Count == 0 && (await cluster.PodsAsync("app=web")).Count == 0,
            "the ReplicaSets and pods to be collected", TimeSpan.FromSeconds(15));
        await stop.CancelAsync();
        await kubelet;
    }

    /// <summary>Runs kubectl with its own kubeconfig and cache directory.</summary>
    private sealed class KubectlRunner : IDisposable
    {
        private readonly string _home;
        private readonly string _kubeconfig;

        public KubectlRunner(Uri server)
        {
            _home = Path.Combine(Path.GetTempPath(), "kube-controllers-kubectl", Guid.NewGuid().ToString("n"));
            Directory.CreateDirectory(_home);
            _kubeconfig = Path.Combine(_home, "kubeconfig");
            File.WriteAllText(_kubeconfig, $"""
                apiVersion: v1
                kind: Config
                clusters:
                - name: test
                  cluster:
                    server: {server.ToString().TrimEnd('/')}
                users:
                - name: test
                  user: {"{}"}
                contexts:
                - name: test
                  context:
                    cluster: test
                    user: test
                    namespace: default
                current-context: test
                """);
        }

        public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
        {
            var psi = new ProcessStartInfo(KubectlPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("--kubeconfig");
            psi.ArgumentList.Add(_kubeconfig);
            psi.ArgumentList.Add("--cache-dir");
            psi.ArgumentList.Add(Path.Combine(_home, "cache"));
            psi.ArgumentList.Add("--request-timeout=30s");
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment["HOME"] = _home;
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await p.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl {string.Join(' ', args)} did not finish within 90 s");
            }

            return (p.ExitCode, await stdout, await stderr);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_home, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
