using System.Diagnostics;

namespace Kube.Store.Tests.Etcd;

/// <summary>The real etcdctl (3.4) against our member.</summary>
[TestClass]
public sealed class EtcdctlTests
{
    private static string? FindEtcdctl()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, "etcdctl");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static async Task<(int Exit, string Output)> RunAsync(string etcdctl, string endpoint, string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(etcdctl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.Environment["ETCDCTL_API"] = "3";
        psi.ArgumentList.Add("--endpoints=" + endpoint);
        psi.ArgumentList.Add("--command-timeout=10s");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, (await stdout) + (await stderr));
    }

    [TestMethod]
    public async Task Etcdctl_PutGetTxnDelLeaseStatus()
    {
        var etcdctl = FindEtcdctl();
        if (etcdctl is null)
        {
            Assert.Inconclusive("etcdctl is not installed: apt-get update && apt-get install -y etcd-client");
        }
        await using var server = await EtcdServerFixture.StartAsync();
        var e = server.Endpoint;

        Assert.AreEqual(0, (await RunAsync(etcdctl, e, "", "put", "/ctl/a", "one")).Exit);
        var get = await RunAsync(etcdctl, e, "", "get", "/ctl/a", "--print-value-only");
        Assert.AreEqual("one", get.Output.Trim());

        await RunAsync(etcdctl, e, "", "put", "/ctl/b", "two");
        var prefix = await RunAsync(etcdctl, e, "", "get", "/ctl/", "--prefix", "--limit", "1", "-w", "json");
        StringAssert.Contains(prefix.Output, "\"more\":true,\"count\":2");

        var txn = await RunAsync(etcdctl, e, "value(\"/ctl/a\") = \"one\"\n\nput /ctl/a eins\n\nput /ctl/fail x\n\n", "txn");
        StringAssert.Contains(txn.Output, "SUCCESS");

        var del = await RunAsync(etcdctl, e, "", "del", "/ctl/", "--prefix");
        Assert.AreEqual("2", del.Output.Trim());

        var grant = await RunAsync(etcdctl, e, "", "lease", "grant", "60");
        StringAssert.Contains(grant.Output, "granted with TTL(60s)");

        var health = await RunAsync(etcdctl, e, "", "endpoint", "health");
        StringAssert.Contains(health.Output, "is healthy");
        var status = await RunAsync(etcdctl, e, "", "endpoint", "status", "-w", "json");
        StringAssert.Contains(status.Output, "\"leader\"");
        var members = await RunAsync(etcdctl, e, "", "member", "list");
        StringAssert.Contains(members.Output, "started");

        var big = await RunAsync(etcdctl, e, new string('x', 1_600_000), "put", "/big");
        StringAssert.Contains(big.Output, "etcdserver: request is too large");
    }
}
