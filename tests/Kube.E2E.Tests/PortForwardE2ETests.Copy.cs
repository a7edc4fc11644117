using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary><c>kubectl cp</c> (exec + tar in the container) on the port-forward cluster's pod: with the process runtime the container sees the host's files, its working directory is the pod's.</summary>
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
}
