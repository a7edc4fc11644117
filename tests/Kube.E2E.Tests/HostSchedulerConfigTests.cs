using System.Diagnostics;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// <c>kube-host up --scheduler-config</c>: a KubeSchedulerConfiguration file gives the built-in scheduler its profiles,
/// and a bad file stops the start with the field-named error.
/// </summary>
[TestClass]
public sealed class HostSchedulerConfigTests
{
    private const string TwoProfiles = """
        apiVersion: kubescheduler.config.k8s.io/v1
        kind: KubeSchedulerConfiguration
        profiles:
        - schedulerName: default-scheduler
        - schedulerName: most-allocated
          pluginConfig:
          - name: NodeResourcesFit
            args:
              scoringStrategy:
                type: MostAllocated
        """;

    [TestMethod]
    public async Task SecondProfile_SchedulesItsPods_AndAnUnknownSchedulerNameIsLeftAlone()
    {
        Kubectl.RequireInstalled();
        var dir = Directory.CreateTempSubdirectory("kube-e2e-schedcfg-").FullName;
        try
        {
            var config = Path.Combine(dir, "scheduler.yaml");
            await File.WriteAllTextAsync(config, TwoProfiles);
            await using var host = await KubeHostProcess.StartAsync(Path.Combine(dir, "data"),
                extraArgs: $"--nodes 0 --simulated-nodes 2 --scheduler-config {config}");
            var kubectl = new Kubectl(host.Kubeconfig, Path.Combine(dir, "kubecache"));
            await kubectl.OkAsync("run packed --image=busybox --overrides={\"spec\":{\"schedulerName\":\"most-allocated\"}} -- sleep 3600");
            await kubectl.OkAsync("run stray --image=busybox --overrides={\"spec\":{\"schedulerName\":\"nobody\"}} -- sleep 3600");
            var bound = await Wait.UntilAsync(async () =>
                (await kubectl.RunAsync("get pod packed -o jsonpath={.spec.nodeName}")).Stdout.StartsWith("sim-", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60));
            Assert.IsTrue(bound, "the most-allocated profile did not bind its pod:\n" + host.Log);
            Assert.AreEqual("", (await kubectl.OkAsync("get pod stray -o jsonpath={.spec.nodeName}")).Trim(), "no profile should bind a pod of an unknown scheduler");
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [TestMethod]
    public async Task UnknownPlugin_FailsTheStart_WithTheFieldNamed()
    {
        var dir = Directory.CreateTempSubdirectory("kube-e2e-schedcfg-bad-").FullName;
        try
        {
            var config = Path.Combine(dir, "scheduler.yaml");
            await File.WriteAllTextAsync(config, """
                apiVersion: kubescheduler.config.k8s.io/v1
                kind: KubeSchedulerConfiguration
                profiles:
                - schedulerName: default-scheduler
                  plugins:
                    score:
                      enabled:
                      - name: Nope
                """);
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { KubeHostProcess.HostDll(), "up", "--data-dir", Path.Combine(dir, "data"), "--api-port", KubeHostProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                         "--exit-with-parent=false", "--scheduler-config", config })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try { await p.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { p.Kill(true); Assert.Fail("kube-host up kept running with a bad --scheduler-config"); }
            Assert.AreEqual(1, p.ExitCode);
            var errors = await stderr;
            StringAssert.Contains(errors, "kube-host up: profiles[0].plugins.score.enabled[0].name: plugin \"Nope\" is not registered", errors + await stdout);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
