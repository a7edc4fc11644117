using Kube.Store;
using Kube.Store.Mvcc;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Mvcc;

/// <summary>
/// A snapshot is captured on the applying thread in time proportional to the number of keys (one reference to each key's
/// version array) and written later on another thread while entries keep being applied. What it writes must be the state
/// as of the capture, whatever was applied meanwhile: more versions of the same keys (which grow their arrays), deletes,
/// new keys and a compaction (which drops versions the image still holds).
/// </summary>
[TestClass]
public sealed class SnapshotCaptureTests
{
    private readonly MvccStateDriver _driver = new();

    private object Apply(MvccState state, StoreCommand command) => _driver.Apply(state, command);

    private object Put(MvccState state, string key, string value, long lease = 0) =>
        Apply(state, new TxnCommand(new TxnRequest { Success = [new RequestOp { Put = new PutRequest(B(key), B(value)) { Lease = lease } }] }));

    private object Delete(MvccState state, string key) =>
        Apply(state, new TxnCommand(new TxnRequest { Success = [new RequestOp { DeleteRange = new DeleteRangeRequest(B(key)) }] }));

    private static MvccState NewState() => MvccStateDriver.NewState();

    private static byte[] Write(MvccSnapshotImage image)
    {
        using var buffer = new MemoryStream();
        image.WriteTo(buffer);
        return buffer.ToArray();
    }

    private static string Dump(MvccState state, long revision = 0) => string.Join("\n",
        state.Range(new RangeRequest(B("\0")) { RangeEnd = B("\0"), Revision = revision }).Kvs
            .Select(kv => $"{S(kv.Key)}={S(kv.Value)} c{kv.CreateRevision} m{kv.ModRevision} v{kv.Version} l{kv.Lease}"));

    [TestMethod]
    public async Task AnImageWrittenWhileWritesContinue_IsTheStateAsOfItsCapture()
    {
        using var state = NewState();
        Apply(state, new LeaseGrantCommand(7, 60));
        for (var round = 0; round < 5; round++)
        {
            for (var k = 0; k < 50; k++)
            {
                Put(state, $"/k/{k:D3}", $"v{round}", lease: k % 10 == 0 ? 7 : 0);
            }
        }
        Delete(state, "/k/001");
        var capturedAt = state.Revision;
        var expectedState = Dump(state);
        var image = state.Capture();
        var expected = Write(state.Capture()); // written before anything else is applied

        // Write the first image on another thread while this one keeps applying.
        using var go = new ManualResetEventSlim();
        var writing = Task.Run(() =>
        {
            go.Wait();
            return Write(image);
        });
        go.Set();
        for (var round = 0; round < 40; round++)
        {
            for (var k = 0; k < 50; k += 3)
            {
                Put(state, $"/k/{k:D3}", $"after{round}"); // past each key's array capacity: the arrays are replaced
            }
            Put(state, $"/new/{round}", "x");
            if (round == 10)
            {
                Delete(state, "/k/002");
                Apply(state, new CompactCommand(state.Revision)); // drops every version the image holds of the rewritten keys
            }
        }
        Apply(state, new LeaseRevokeCommand(7));
        var written = await writing;

        CollectionAssert.AreEqual(expected, written, "the image changed while it was being written");
        CollectionAssert.AreEqual(expected, Write(image), "the image changed after later writes and a compaction");
        Assert.AreNotEqual(expectedState, Dump(state), "the later writes changed the live state");

        using var restored = NewState();
        using (var stream = new MemoryStream(written))
        {
            restored.RestoreSnapshot(stream, 1, 1);
        }
        Assert.AreEqual(capturedAt, restored.Revision);
        Assert.AreEqual(expectedState, Dump(restored));
        Assert.AreEqual(7, restored.Range(new RangeRequest(B("/k/010"))).Kvs.Single().Lease, "the lease revoked later is still in the image");
        // The history in the image: a read at an earlier revision of the restored state sees the first round's value.
        Assert.AreEqual("v0", S(restored.Range(new RangeRequest(B("/k/000")) { Revision = 3 }).Kvs.Single().Value));
    }
}
