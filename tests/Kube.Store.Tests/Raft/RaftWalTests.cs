using Kube.Store.Raft.Core;
using Kube.Store.Wal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Store.Tests.Raft;

[TestClass]
public sealed class RaftWalTests
{
    private string _dir = null!;

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("kube-raftwal-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    private string LogPath => Path.Combine(_dir, "raft", "log");

    private (MemoryRaftStorage Storage, RaftWal Wal, List<(ulong Index, ulong Term, ConfState Conf)> Markers) Open()
    {
        var storage = new MemoryRaftStorage();
        var markers = new List<(ulong, ulong, ConfState)>();
        var wal = RaftWal.Open(LogPath, NullLogger.Instance, e => storage.Append([e]), storage.SetHardState,
            (i, t, c) =>
            {
                markers.Add((i, t, c));
                storage.ApplySnapshot(new RaftSnapshot(i, t, c, []));
            });
        return (storage, wal, markers);
    }

    private static RaftEntry E(ulong term, ulong index) => new(term, index, RaftEntryType.Normal, [(byte)index, (byte)term]);

    [TestMethod]
    public void Replay_RestoresEntries_AndHardState_WithLaterEntriesReplacingAConflictingSuffix()
    {
        var (_, wal, _) = Open();
        wal.Append(E(1, 1));
        wal.Append(E(1, 2));
        wal.Append(E(1, 3));
        wal.Append(new HardState(1, 7, 1));
        wal.Append(E(2, 2)); // a new leader overwrote 2.. with its own entry
        wal.Append(new HardState(2, 9, 2));
        wal.Sync(fsync: true);
        wal.Dispose();

        var (storage, again, _) = Open();
        using (again)
        {
            Assert.AreEqual(2UL, storage.LastIndex);
            Assert.IsTrue(storage.TryTerm(2, out var term));
            Assert.AreEqual(2UL, term);
            Assert.AreEqual(new HardState(2, 9, 2), storage.HardState);
        }
    }

    [TestMethod]
    public void Replay_TruncatesATornTail_AndKeepsTheRecordsBeforeIt()
    {
        var (_, wal, _) = Open();
        wal.Append(E(1, 1));
        wal.Append(E(1, 2));
        wal.Sync(fsync: true);
        wal.Dispose();
        var length = new FileInfo(LogPath).Length;
        using (var f = new FileStream(LogPath, FileMode.Open))
        {
            f.SetLength(length - 3);
        }

        var (storage, again, _) = Open();
        using (again)
        {
            Assert.AreEqual(1UL, storage.LastIndex);
            again.Append(E(1, 2));
            again.Sync(fsync: true);
        }
        var (reopened, last, _) = Open();
        using (last)
        {
            Assert.AreEqual(2UL, reopened.LastIndex);
        }
    }

    [TestMethod]
    [DataRow(false, DisplayName = "zeros only")]
    [DataRow(true, DisplayName = "a torn record, then zeros")]
    public void Replay_StopsAtTheZerosAllocatedAhead_AsACrashLeavesThem(bool torn)
    {
        var (_, wal, _) = Open();
        wal.Append(E(1, 1));
        wal.Append(E(1, 2));
        wal.Append(new HardState(1, 1, 2));
        wal.Sync(fsync: true);
        wal.Dispose();
        var length = new FileInfo(LogPath).Length;
        using (var f = new FileStream(LogPath, FileMode.Append))
        {
            f.Write(torn ? [0x20, 0x00, 0x00, 0x00, 1, 2, 3, 4, 1, 9] : []);
            f.Write(new byte[1024 * 1024]);
        }

        var (storage, again, _) = Open();
        using (again)
        {
            Assert.AreEqual(2UL, storage.LastIndex);
            Assert.AreEqual(new HardState(1, 1, 2), storage.HardState);
            Assert.AreEqual(length, again.Length, "appends continue right after the last record");
            again.Append(E(1, 3));
            again.Sync(fsync: true);
        }
        var (reopened, last, _) = Open();
        using (last)
        {
            Assert.AreEqual(3UL, reopened.LastIndex);
        }
    }

    [TestMethod]
    public void Replay_FailsClearly_OnACorruptRecordInTheMiddle()
    {
        var (_, wal, _) = Open();
        wal.Append(E(1, 1));
        wal.Append(E(1, 2));
        wal.Append(E(1, 3));
        wal.Sync(fsync: true);
        wal.Dispose();
        var bytes = File.ReadAllBytes(LogPath);
        bytes[12] ^= 0xFF; // inside the first record's payload
        File.WriteAllBytes(LogPath, bytes);

        Assert.ThrowsExactly<InvalidDataException>(() => Open());
    }

    [TestMethod]
    public void Rewrite_KeepsTheSnapshotMarker_HardState_AndTheEntriesAfterIt()
    {
        var (_, wal, _) = Open();
        for (ulong i = 1; i <= 10; i++)
        {
            wal.Append(E(1, i));
        }
        wal.Sync(fsync: true);
        var conf = new ConfState([1, 2, 3], []);
        wal.Rewrite(new RaftSnapshot(7, 1, conf, [1]), new HardState(1, 1, 10), [E(1, 8), E(1, 9), E(1, 10)]);
        wal.Append(E(1, 11));
        wal.Sync(fsync: true);
        wal.Dispose();

        var (storage, again, markers) = Open();
        using (again)
        {
            Assert.HasCount(1, markers);
            Assert.AreEqual(7UL, markers[0].Index);
            CollectionAssert.AreEqual(new ulong[] { 1, 2, 3 }, markers[0].Conf.Voters);
            Assert.AreEqual(8UL, storage.FirstIndex);
            Assert.AreEqual(11UL, storage.LastIndex);
            Assert.AreEqual(new HardState(1, 1, 10), storage.HardState);
        }
    }
}
