using System.Diagnostics;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary><c>kube-host store</c> with only the flags a user must give, driven by the real etcdctl.</summary>
[TestClass]
public sealed class StoreCommandTests
{
    [TestMethod]
    public async Task Store_WithDefaultClusterFlags_ServesEtcdctl()
    {
        var etcdctl = File.Exists("/usr/bin/etcdctl") ? "/usr/bin/etcdctl" : null;
        if (etcdctl is null) Assert.Inconclusive("etcdctl is needed: apt-get install -y etcd-client");
        var dir = Directory.CreateTempSubdirectory("kube-e2e-store-").FullName;
        var port = KubeHostProcess.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { KubeHostProcess.HostDll(), "store", "--data-dir", Path.Combine(dir, "m1"), "--listen-client-urls", $"http://127.0.0.1:{port}" })
            psi.ArgumentList.Add(a);
        using var member = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        member.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        member.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        member.BeginOutputReadLine();
        member.BeginErrorReadLine();
        try
        {
            async Task<(int Code, string Out)> Etcdctl(params string[] args)
            {
                var p = new ProcessStartInfo(etcdctl!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                p.Environment["ETCDCTL_API"] = "3";
                p.ArgumentList.Add($"--endpoints=127.0.0.1:{port}");
                p.ArgumentList.Add("--dial-timeout=2s");
                foreach (var a in args) p.ArgumentList.Add(a);
                using var proc = Process.Start(p)!;
                var stdout = await proc.StandardOutput.ReadToEndAsync();
                await proc.StandardError.ReadToEndAsync();
                await proc.WaitForExitAsync();
                return (proc.ExitCode, stdout);
            }

            var healthy = await Wait.UntilAsync(async () => !member.HasExited && (await Etcdctl("endpoint", "health")).Code == 0, TimeSpan.FromSeconds(60));
            Assert.IsTrue(healthy, "store member never became healthy:\n" + output);
            Assert.AreEqual(0, (await Etcdctl("put", "/k", "v")).Code);
            Assert.AreEqual("v", (await Etcdctl("get", "/k", "--print-value-only")).Out.Trim());
        }
        finally
        {
            if (!member.HasExited)
            {
                Native.Kill(member.Id, Native.SIGTERM);
                if (!member.WaitForExit(30_000)) member.Kill(true);
            }
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
