using Kube.Node.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests;

[TestClass]
public sealed class IdleMemoryTrimmerTests
{
    [TestMethod]
    public void TrimIfWorthIt_CollectsOnlyWhenCommittedMemoryExceedsTheHeapByMoreThanTheSlack()
    {
        // A burst of garbage, as a batch of pod starts leaves: the GC grows its committed memory for it.
        var sink = 0L;
        for (var i = 0; i < 64; i++)
        {
            sink += new byte[1 << 20].Length;
        }

        Assert.AreEqual(64L << 20, sink);
        var patient = new IdleMemoryTrimmer(NullLogger<IdleMemoryTrimmer>.Instance) { SlackBytes = long.MaxValue };
        var collectionsBefore = GC.CollectionCount(GC.MaxGeneration);
        Assert.IsFalse(patient.TrimIfWorthIt());
        Assert.AreEqual(0, patient.Trims);

        // No slack tolerated: committed memory always exceeds the live heap by something, so this one collects.
        var eager = new IdleMemoryTrimmer(NullLogger<IdleMemoryTrimmer>.Instance) { SlackBytes = -1 };
        Assert.IsTrue(eager.TrimIfWorthIt());
        Assert.AreEqual(1, eager.Trims);
        Assert.IsTrue(GC.CollectionCount(GC.MaxGeneration) > collectionsBefore, "a full collection ran");
    }
}
