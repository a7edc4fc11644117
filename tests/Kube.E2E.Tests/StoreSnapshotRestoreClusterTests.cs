using System.Text.Json;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// Disaster recovery of a replicated store: <c>etcdctl snapshot save</c> from a 3-member cluster of <c>kube-host store</c>
/// processes, <c>kube-host snapshot restore</c> of three new members from that one file (etcdctl's restore flags), and the
/// restored members form a new cluster: new cluster id, membership from the flags, the data present, writes working.
/// </summary>
[TestClass]
public sealed class StoreSnapshotRestoreClusterTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task SnapshotFromThreeMembers_RestoresIntoANewThreeMemberCluster()
    {
        if (!File.Exists(StoreTestCluster.EtcdctlPath)) Assert.Inconclusive("etcdctl is needed: apt-get install -y etcd-client");
        var file = Path.Combine(Path.GetTempPath(), $"kube-e2e-restore-{Guid.NewGuid():N}.db");
        ulong oldClusterId;
        long savedRevision;
        try
        {
            await using (var old = StoreTestCluster.Create(etcd: false, 3, token: "before"))
            {
                await old.StartAsync(TimeSpan.FromSeconds(60));
                for (var i = 0; i < 20; i++)
                {
                    var put = await StoreTestCluster.Etcdctl(old.Members[i % 3].Client, "put", $"/dr/{i:D2}", $"v{i}");
                    Assert.AreEqual(0, put.Exit, put.Err);
                }
                await StoreTestCluster.Etcdctl(old.Members[0].Client, "put", "/dr/00", "v0-second");
                var grant = await StoreTestCluster.Etcdctl(old.Members[1].Client, "lease", "grant", "600");
                await StoreTestCluster.Etcdctl(old.Members[1].Client, "put", "/dr/leased", "x", "--lease=" + grant.Out.Split(' ')[1]);
                var status = JsonDocument.Parse((await StoreTestCluster.Etcdctl(old.Members[2].Client, "endpoint", "status", "-w", "json")).Out).RootElement[0];
                oldClusterId = status.GetProperty("Status").GetProperty("header").GetProperty("cluster_id").GetUInt64();
                savedRevision = status.GetProperty("Status").GetProperty("header").GetProperty("revision").GetInt64();
                var save = await StoreTestCluster.Etcdctl(old.Members[2].Client, "snapshot", "save", file);
                Assert.AreEqual(0, save.Exit, save.Out + save.Err);
            }

            await using var restored = StoreTestCluster.Create(etcd: false, 3, token: "after");
            foreach (var m in restored.Members)
            {
                await using var restore = LiveProcess.Start("dotnet",
                [
                    KubeHostProcess.HostDll(), "snapshot", "restore", file, "--data-dir", m.DataDir, "--name", m.Name,
                    "--initial-cluster", restored.InitialCluster, "--initial-cluster-token", restored.Token, "--initial-advertise-peer-urls", m.PeerUrl,
                ]);
                Assert.AreEqual(0, await restore.WaitForExitAsync(TimeSpan.FromSeconds(60)), restore.Stdout + restore.Stderr);
                StringAssert.Contains(restore.Stdout, "of new cluster");
            }
            // A name outside --initial-cluster is refused with etcd's message, and nothing is written.
            var bad = Path.Combine(restored.Root, "bad");
            await using (var refused = LiveProcess.Start("dotnet",
                [KubeHostProcess.HostDll(), "snapshot", "restore", file, "--data-dir", bad, "--name", "mx", "--initial-cluster", restored.InitialCluster]))
            {
                Assert.AreEqual(1, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                StringAssert.Contains(refused.Stderr, "couldn't find local name \"mx\" in the initial cluster configuration");
                Assert.IsFalse(Directory.Exists(bad) && Directory.EnumerateFileSystemEntries(bad).Any(), "a refused restore wrote files");
            }

            await restored.StartAsync(TimeSpan.FromSeconds(60));
            var e = restored.Members.Select(m => m.Client).ToArray();
            // The data: every key, the overwritten value, the lease's key, at the saved revision.
            var keys = await StoreTestCluster.Etcdctl(e[1], "get", "/dr/", "--prefix", "--keys-only");
            Assert.HasCount(21, keys.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), keys.Out);
            Assert.AreEqual("v0-second", (await StoreTestCluster.Etcdctl(e[2], "get", "/dr/00", "--print-value-only")).Out.Trim());
            var revision = JsonDocument.Parse((await StoreTestCluster.Etcdctl(e[0], "get", "/dr/00", "-w", "json")).Out).RootElement
                .GetProperty("header").GetProperty("revision").GetInt64();
            Assert.AreEqual(savedRevision, revision, "the restored cluster starts at the saved revision");
            // Writes work and replicate.
            Assert.AreEqual(0, (await StoreTestCluster.Etcdctl(e[0], "put", "/dr/new", "after-restore")).Exit);
            Assert.IsTrue(await Wait.UntilAsync(async () =>
                (await StoreTestCluster.Etcdctl(e[2], "get", "/dr/new", "--print-value-only", "--consistency=s")).Out.Trim() == "after-restore", TimeSpan.FromSeconds(10)));
            // The membership is the new one, under a new cluster id, with one agreed leader.
            var list = "";
            Assert.IsTrue(await Wait.UntilAsync(async () =>
            {
                list = (await StoreTestCluster.Etcdctl(e[1], "member", "list")).Out;
                return restored.Members.All(m => list.Contains($"started, {m.Name}, {m.PeerUrl}, {m.ClientUrl}, false"));
            }, TimeSpan.FromSeconds(20)), "member list: " + list);
            Assert.HasCount(3, list.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            var statuses = JsonDocument.Parse((await StoreTestCluster.Etcdctl(restored.All, "endpoint", "status", "-w", "json")).Out).RootElement
                .EnumerateArray().Select(s => s.GetProperty("Status")).ToList();
            var clusterIds = statuses.Select(s => s.GetProperty("header").GetProperty("cluster_id").GetUInt64()).Distinct().ToList();
            Assert.HasCount(1, clusterIds);
            Assert.AreNotEqual(oldClusterId, clusterIds[0], "a restored cluster has a new cluster id");
            Assert.HasCount(1, statuses.Select(s => s.GetProperty("leader").GetUInt64()).Distinct().ToList());
            TestContext.WriteLine($"restored cluster {clusterIds[0]:x} (was {oldClusterId:x}) at revision {revision}:\n{list}");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
