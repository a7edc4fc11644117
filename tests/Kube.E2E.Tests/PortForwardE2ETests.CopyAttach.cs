using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// <c>kubectl cp</c> (exec + tar in the container) on the port-forward cluster's pod: with the process runtime the container
/// sees the host's files, its working directory is the pod's. <c>kubectl attach</c>: the container's output from then on
/// (<c>attach -i</c> with input: Compat/KubectlDebugAttachTests.cs).
/// </summary>
public sealed partial class PortForwardE2ETests
{
    [TestMethod]
    public async Task Cp_ToAndFromThePod_CopiesFiles()
    {
        var local = Path.Combine(_dir, "to-pod.txt");
        var content = $"copied-{Guid.NewGuid():N}\n";
        await File.WriteAllTextAsync(local, content);
        var inPod = Path.Combine(_dir, "in-pod", "copied.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(inPod)!);
        await K.OkAsync($"cp {local} web:{inPod}", timeout: TimeSpan.FromSeconds(60));
        Assert.AreEqual(content, await File.ReadAllTextAsync(inPod), "kubectl cp to the pod wrote the file");

        var back = Path.Combine(_dir, "from-pod.html");
        await K.OkAsync($"cp web:{Path.Combine(_www, "index.html")} {back}", timeout: TimeSpan.FromSeconds(60));
        Assert.AreEqual(_marker, await File.ReadAllTextAsync(back), "kubectl cp from the pod read the file");

        // A relative path lands in the container's working directory.
        await K.OkAsync($"cp {local} web:relative.txt", timeout: TimeSpan.FromSeconds(60));
        Assert.AreEqual(content, await K.OkAsync("exec web -- cat relative.txt"));
    }

    [TestMethod]
    public async Task Attach_StreamsTheContainersOutput_UntilItExits()
    {
        var stop = Path.Combine(_dir, "ticker-stop");
        var manifest = Path.Combine(_dir, "ticker.yaml");
        await File.WriteAllTextAsync(manifest, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: ticker}
            spec:
              restartPolicy: Never
              containers:
              - name: ticker
                image: busybox
                command: ["sh", "-c", "i=0; while [ ! -f {{stop}} ] && [ $i -lt 600 ]; do echo tick-$i; i=$((i+1)); sleep 0.1; done; echo ticker-done"]
            """);
        await K.OkAsync($"apply -f {manifest}");
        await K.OkAsync("wait --for=condition=Ready pod/ticker --timeout=60s", timeout: TimeSpan.FromSeconds(70));

        await using var attach = KubectlStreaming.Start(_host!.Kubeconfig, CacheDir, ["attach", "ticker"]);
        Assert.IsTrue(await attach.WaitForLineAsync(l => l.StartsWith("tick-", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
            $"attach shows the running output:\n{attach.Stdout}\n{attach.Stderr}");
        await File.WriteAllTextAsync(stop, "");
        Assert.AreEqual(0, await attach.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"attach ends with the container:\n{attach.Stdout}\n{attach.Stderr}");
        StringAssert.Contains(attach.Stdout, "ticker-done");
    }
}
