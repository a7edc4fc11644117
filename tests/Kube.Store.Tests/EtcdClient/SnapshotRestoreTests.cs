using System.Diagnostics;
using Google.Protobuf;
using Kube.Store;
using Kube.Store.Etcd.Snapshot;
using Kube.Store.Tests.Etcd;
using V3 = Kube.Store.Etcd.Protocol;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.EtcdClient;

/// <summary>etcdctl snapshot save against our member, then <see cref="SnapshotRestore"/> into a new member.</summary>
[TestClass]
public sealed class SnapshotRestoreTests
{
    private static async Task<(int Exit, string Output)> EtcdctlAsync(string endpoint, params string[] args)
    {
        var etcdctl = EtcdProcess.Find("etcdctl");
        if (etcdctl is null)
        {
            Assert.Inconclusive("etcdctl is not installed: apt-get update && apt-get install -y etcd-client");
        }
        var psi = new ProcessStartInfo(etcdctl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["ETCDCTL_API"] = "3";
        psi.ArgumentList.Add("--endpoints=" + endpoint);
        psi.ArgumentList.Add("--command-timeout=30s");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return (p.ExitCode, (await stdout) + (await stderr));
    }

    [TestMethod]
    public async Task EtcdctlSnapshotSave_ThenRestore_RebuildsAMemberWithEveryKeyAndTheRevision()
    {
        await using var ctx = new StoreTestContext();
        await using var server = await EtcdServerFixture.StartAsync();
        var kv = new V3.KV.KVClient(server.Channel);
        for (var i = 0; i < 200; i++)
        {
            await kv.PutAsync(new V3.PutRequest { Key = ByteString.CopyFromUtf8($"/snap/{i:D3}"), Value = ByteString.CopyFromUtf8($"value-{i}") });
        }
        await kv.PutAsync(new V3.PutRequest { Key = ByteString.CopyFromUtf8("/snap/000"), Value = ByteString.CopyFromUtf8("rewritten") });
        await kv.DeleteRangeAsync(new V3.DeleteRangeRequest { Key = ByteString.CopyFromUtf8("/snap/199") });
        var compactAt = (await kv.PutAsync(new V3.PutRequest { Key = ByteString.CopyFromUtf8("/snap/x"), Value = ByteString.CopyFromUtf8("x") })).Header.Revision;
        await kv.CompactAsync(new V3.CompactionRequest { Revision = compactAt - 5 });
        var last = await kv.PutAsync(new V3.PutRequest { Key = ByteString.CopyFromUtf8("/snap/last"), Value = ByteString.CopyFromUtf8("last") });
        var before = await kv.RangeAsync(new V3.RangeRequest { Key = ByteString.CopyFromUtf8("/"), RangeEnd = ByteString.CopyFromUtf8("0") });

        var file = Path.Combine(ctx.DataDir, "backup.db");
        var save = await EtcdctlAsync(server.Endpoint, "snapshot", "save", file);
        Assert.AreEqual(0, save.Exit, save.Output);
        StringAssert.Contains(save.Output, "Snapshot saved at");

        var target = Path.Combine(ctx.DataDir, "restored");
        var steps = new List<string>();
        var result = await SnapshotRestore.RestoreAsync(file, target, new Progress<string>(steps.Add));
        Assert.AreEqual(last.Header.Revision, result.Revision);
        Assert.AreEqual(compactAt - 5, result.CompactRevision);
        Assert.AreEqual(before.Count, result.Keys);

        await using var restored = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = target, MemberName = "restored" });
        Assert.AreEqual(last.Header.Revision, restored.Revision);
        var after = await restored.RangeAsync(new RangeRequest(B("/")) { RangeEnd = B("0") });
        Assert.AreEqual(before.Kvs.Count, after.Kvs.Count);
        for (var i = 0; i < after.Kvs.Count; i++)
        {
            var a = before.Kvs[i];
            var b = after.Kvs[i];
            Assert.AreEqual(a.Key.ToStringUtf8(), S(b.Key));
            Assert.AreEqual(a.Value.ToStringUtf8(), S(b.Value));
            Assert.AreEqual(a.ModRevision, b.ModRevision);
            Assert.AreEqual(a.CreateRevision, b.CreateRevision);
            Assert.AreEqual(a.Version, b.Version);
        }
        Assert.AreEqual("rewritten", S((await restored.RangeAsync(new RangeRequest(B("/snap/000")))).Kvs.Single().Value));
        Assert.AreEqual(0, (await restored.RangeAsync(new RangeRequest(B("/snap/199")))).Kvs.Count);
        // History after the compaction revision came along; below it is compacted, as in the source.
        Assert.AreEqual(1, (await restored.RangeAsync(new RangeRequest(B("/snap/199")) { Revision = compactAt - 2 })).Kvs.Count);
        var compacted = await Assert.ThrowsExactlyAsync<StoreException>(async () =>
            await restored.RangeAsync(new RangeRequest(B("/snap/000")) { Revision = compactAt - 6 }));
        Assert.AreEqual(StoreErrorCode.Compacted, compacted.Code);
        // The member takes writes after the restored revision.
        Assert.AreEqual(last.Header.Revision + 1, (await restored.PutAsync(new PutRequest(B("/snap/new"), B("n")))).Header.Revision);
        Assert.IsNotEmpty(steps);
    }

    private static async Task<string> SaveOurSnapshotAsync(StoreTestContext ctx)
    {
        await using var server = await EtcdServerFixture.StartAsync();
        await new V3.KV.KVClient(server.Channel).PutAsync(new V3.PutRequest { Key = ByteString.CopyFromUtf8("/k"), Value = ByteString.CopyFromUtf8("v") });
        var file = Path.Combine(ctx.DataDir, Guid.NewGuid().ToString("N") + ".db");
        var save = await EtcdctlAsync(server.Endpoint, "snapshot", "save", file);
        Assert.AreEqual(0, save.Exit, save.Output);
        return file;
    }

    [TestMethod]
    public async Task Restore_RefusesANonEmptyDataDir_AndWritesNothing()
    {
        await using var ctx = new StoreTestContext();
        var file = await SaveOurSnapshotAsync(ctx);
        var target = Path.Combine(ctx.DataDir, "busy");
        Directory.CreateDirectory(target);
        await File.WriteAllTextAsync(Path.Combine(target, "keep.txt"), "x");
        var ex = await Assert.ThrowsExactlyAsync<IOException>(() => SnapshotRestore.RestoreAsync(file, target));
        StringAssert.Contains(ex.Message, "is not empty");
        CollectionAssert.AreEqual(new[] { "keep.txt" }, Directory.GetFileSystemEntries(target).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public async Task Restore_RejectsACorruptOrTruncatedFile_AndCreatesNoDataDir()
    {
        await using var ctx = new StoreTestContext();
        var file = await SaveOurSnapshotAsync(ctx);
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[30] ^= 0x40;
        await File.WriteAllBytesAsync(file, bytes);
        var target = Path.Combine(ctx.DataDir, "from-corrupt");
        var ex = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => SnapshotRestore.RestoreAsync(file, target));
        StringAssert.Contains(ex.Message, "SHA-256 does not match");
        Assert.IsFalse(Directory.Exists(target));

        await File.WriteAllBytesAsync(file, bytes[..^100]);
        var truncated = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => SnapshotRestore.RestoreAsync(file, target));
        StringAssert.Contains(truncated.Message, "not a snapshot saved by 'etcdctl snapshot save'");
        Assert.IsFalse(Directory.Exists(target));
    }

    [TestMethod]
    public async Task Restore_OfARealEtcdSnapshot_SaysItIsABboltFile()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        if (etcd is null)
        {
            Assert.Inconclusive(EtcdProcess.InstallHint);
        }
        await using var ctx = new StoreTestContext();
        var file = Path.Combine(ctx.DataDir, "etcd.db");
        var save = await EtcdctlAsync(etcd.Endpoint, "snapshot", "save", file);
        Assert.AreEqual(0, save.Exit, save.Output);
        var ex = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => SnapshotRestore.RestoreAsync(file, Path.Combine(ctx.DataDir, "x")));
        Assert.AreEqual("this file is an etcd (bbolt) snapshot; kube-host restores snapshots saved from a kube-host store", ex.Message);
    }
}
