using System.Diagnostics;
using System.Text.RegularExpressions;
using Kube.E2E.Tests.Infrastructure;
using Kube.Testing.Containerd;

namespace Kube.E2E.Tests;

/// <summary>
/// <c>kube-host up --runtime cri</c> against a containerd of the test's own (busybox-static images built and imported,
/// no registry): a pod runs in a real containerd container, seen through kubectl and ctr.
/// </summary>
[TestClass]
public sealed class NodeCriE2ETests
{
    private static PrivateContainerd? _containerd;
    private static KubeHostProcess? _host;
    private static Kubectl? _kubectl;
    private static string _dir = "";
    private static string? _skip;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null) return;
        _skip = PrivateContainerd.MissingTool();
        if (_skip is not null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-cri-").FullName;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        _containerd = await PrivateContainerd.StartAsync(cts.Token);
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"), extraArgs: $"--runtime cri --cri-socket {_containerd.Socket}");
        _kubectl = new Kubectl(_host.Kubeconfig, Path.Combine(_dir, "kubecache"));
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        if (_containerd is not null) await _containerd.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [TestMethod]
    public async Task CriRuntime_RunsThePodInARealContainerdContainer()
    {
        Kubectl.RequireInstalled();
        if (_skip is not null) Assert.Inconclusive(_skip);
        var k = _kubectl!;
        var file = Path.Combine(_dir, "boxed.yaml");
        await File.WriteAllTextAsync(file, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: boxed}
            spec:
              containers:
              - name: main
                image: {{PrivateContainerd.BusyboxImage}}
                command: ["sh", "-c", "echo hello-from-containerd; ls /; exec sleep 3600"]
            """);
        await k.OkAsync($"create -f {file}");
        await k.OkAsync("wait --for=condition=Ready pod/boxed --timeout=90s", timeout: TimeSpan.FromSeconds(100));

        var logs = "";
        Assert.IsTrue(await Wait.UntilAsync(async () => (logs = (await k.RunAsync("logs boxed")).Stdout).Contains("hello-from-containerd"), TimeSpan.FromSeconds(30)), logs);
        // The image's root (busybox only), not the host's: no /usr.
        var root = logs.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).ToList();
        CollectionAssert.Contains(root, "bin");
        CollectionAssert.DoesNotContain(root, "usr");

        var id = Regex.Match(await k.OkAsync("get pod boxed -o jsonpath={.status.containerStatuses[0].containerID}"), "://(.+)$").Groups[1].Value;
        Assert.AreNotEqual("", id);
        var psi = new ProcessStartInfo("ctr") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--address", _containerd!.Socket, "-n", "k8s.io", "tasks", "ls" }) psi.ArgumentList.Add(a);
        using var ctr = Process.Start(psi)!;
        var tasks = await ctr.StandardOutput.ReadToEndAsync();
        await ctr.WaitForExitAsync();
        StringAssert.Matches(tasks, new Regex($@"(?m)^{Regex.Escape(id)}\s+\d+\s+RUNNING"), "containerd runs the pod's container: " + tasks);

        // kubectl exec into the real container: stdin, output and the exit code.
        var cache = Path.Combine(_dir, "kubecache");
        var piped = await KubectlStreaming.RunAsync(_host!.Kubeconfig, cache, ["exec", "-i", "boxed", "--", "cat"], TimeSpan.FromSeconds(60), "piped\n");
        Assert.AreEqual((0, "piped\n"), (piped.ExitCode, piped.Stdout), piped.Stderr);
        var ls = await KubectlStreaming.RunAsync(_host.Kubeconfig, cache, ["exec", "boxed", "--", "ls", "/"], TimeSpan.FromSeconds(60));
        CollectionAssert.DoesNotContain(ls.Stdout.Split('\n'), "usr", "exec runs in the image's root: " + ls.Stdout + ls.Stderr);
        var exit = await KubectlStreaming.RunAsync(_host.Kubeconfig, cache, ["exec", "boxed", "--", "sh", "-c", "exit 3"], TimeSpan.FromSeconds(60));
        Assert.AreEqual(3, exit.ExitCode, exit.Stderr);
    }
}
