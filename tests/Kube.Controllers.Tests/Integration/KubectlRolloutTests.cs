using k8s.Models;

namespace Kube.Controllers.Tests.Integration;

/// <summary>The quick start, driven by the real kubectl against the real API server, with the built-in controllers.</summary>
[TestClass]
public sealed class KubectlRolloutTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task KubectlRolloutStatus_Succeeds_ForCreateAndSetImage_AndDeleteCollectsEverything()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await ControllerCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.BaseAddress, requestTimeout: TimeSpan.FromSeconds(30), timeout: TimeSpan.FromSeconds(90));

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

        var create = await kubectl.RunArgsAsync("create", "deployment", "web", "--image=nginx:1", "--replicas=3");
        Assert.AreEqual(0, create.ExitCode, create.Stderr);
        var status = await kubectl.RunArgsAsync("rollout", "status", "deployment/web", "--timeout=60s");
        Assert.AreEqual(0, status.ExitCode, status.Stdout + status.Stderr);
        StringAssert.Contains(status.Stdout, "successfully rolled out");

        var set = await kubectl.RunArgsAsync("set", "image", "deployment/web", "nginx=nginx:2");
        Assert.AreEqual(0, set.ExitCode, set.Stderr);
        status = await kubectl.RunArgsAsync("rollout", "status", "deployment/web", "--timeout=60s");
        Assert.AreEqual(0, status.ExitCode, status.Stdout + status.Stderr);
        StringAssert.Contains(status.Stdout, "successfully rolled out");
        var pods = (await cluster.PodsAsync("app=web")).Where(Workloads.IsActive).ToList();
        Assert.AreEqual(3, pods.Count);
        Assert.IsTrue(pods.All(p => p.Spec.Containers[0].Image == "nginx:2"));

        // Roll back to revision 1: the first ReplicaSet comes back as revision 3.
        var undo = await kubectl.RunArgsAsync("rollout", "undo", "deployment/web");
        Assert.AreEqual(0, undo.ExitCode, undo.Stdout + undo.Stderr);
        status = await kubectl.RunArgsAsync("rollout", "status", "deployment/web", "--timeout=60s");
        Assert.AreEqual(0, status.ExitCode, status.Stdout + status.Stderr);
        pods = (await cluster.PodsAsync("app=web")).Where(Workloads.IsActive).ToList();
        Assert.IsTrue(pods.Count == 3 && pods.All(p => p.Spec.Containers[0].Image == "nginx:1"), "the rollback runs the first image again");
        // (Reuse of the first ReplicaSet is not asserted: kubectl sends protobuf whose empty strings the API server keeps
        // instead of defaulting, so the rolled-back template differs from the original in defaulted fields.)
        Assert.AreEqual("3", (await cluster.Client.GetAsync<V1Deployment>("web", "default")).Metadata.Annotations["deployment.kubernetes.io/revision"]);
        var history = await kubectl.RunArgsAsync("rollout", "history", "deployment/web");
        Assert.AreEqual(0, history.ExitCode, history.Stderr);
        StringAssert.Contains(history.Stdout, "REVISION");

        var delete = await kubectl.RunArgsAsync("delete", "deployment", "web");
        Assert.AreEqual(0, delete.ExitCode, delete.Stderr);
        await ControllerCluster.WaitForAsync(async () =>
            (await cluster.ReplicaSetsAsync("app=web")).Count == 0 && (await cluster.PodsAsync("app=web")).Count == 0,
            "the ReplicaSets and pods to be collected", TimeSpan.FromSeconds(15));
        await stop.CancelAsync();
        await kubelet;
    }
}
