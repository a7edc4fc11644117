using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>A clean stop leaves no pod processes behind; a restart on the same data dir brings objects and pods back.</summary>
[TestClass]
public sealed class RestartTests
{
    [TestMethod]
    public async Task Restart_KeepsDeployment_AndBringsPodsBack()
    {
        Kubectl.RequireInstalled();
        var dir = Directory.CreateTempSubdirectory("kube-e2e-restart-").FullName;
        var data = Path.Combine(dir, "data");
        var seconds = 3600 + Random.Shared.Next(5000, 9000);
        var marker = $"sleep {seconds}";
        var file = Path.Combine(dir, "keep.yaml");
        await File.WriteAllTextAsync(file, Manifests.SleepDeployment("keep", 2, seconds));
        try
        {
            var port = KubeHostProcess.FreePort();
            await using (var host = await KubeHostProcess.StartAsync(data, port))
            {
                var k = new Kubectl(host.Kubeconfig, Path.Combine(dir, "kubecache"));
                await k.OkAsync($"create -f {file}");
                await k.OkAsync("rollout status deployment/keep --timeout=120s", timeout: TimeSpan.FromSeconds(140));
                Assert.AreEqual(2, Processes.FindByCommandLine(marker).Count);

                Assert.IsTrue(await host.StopAsync(TimeSpan.FromSeconds(40)), "kube-host did not stop within 40 s of SIGTERM:\n" + host.Log);
                Assert.AreEqual(0, Processes.FindByCommandLine(marker).Count, "pod processes orphaned after a clean stop");
            }

            await using (var host = await KubeHostProcess.StartAsync(data, port))
            {
                var k = new Kubectl(host.Kubeconfig, Path.Combine(dir, "kubecache"));
                await k.OkAsync("get deployment keep");
                await k.OkAsync("rollout status deployment/keep --timeout=120s", timeout: TimeSpan.FromSeconds(140));
                var back = await Wait.UntilAsync(() => Processes.FindByCommandLine(marker).Count == 2, TimeSpan.FromSeconds(60));
                Assert.IsTrue(back, $"expected 2 '{marker}' processes after restart, saw {Processes.FindByCommandLine(marker).Count}:\n{host.Log}");
                var pods = await k.OkAsync("get pods -l app=keep --no-headers");
                Assert.AreEqual(2, pods.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("Running")), pods);
            }
            Assert.AreEqual(0, Processes.FindByCommandLine(marker).Count);
        }
        finally
        {
            foreach (var pid in Processes.FindByCommandLine(marker)) Native.Kill(pid, Native.SIGKILL);
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
