using System.Text;
using Kube.Node.Server;

namespace Kube.Node.Tests.Server;

[TestClass]
public sealed class CriLogDecoderTests
{
    private const string Log = "2026-11-23T00:20:31.497947425Z stdout F hello\n2026-11-23T00:20:31.5Z stderr P par\n2026-11-23T00:20:31.6Z stderr F tial\n";

    [TestMethod]
    public void Decode_StripsTheCriPrefix_AndJoinsPartialLines_AcrossChunks()
    {
        var decoder = new CriLogDecoder(timestamps: false);
        var bytes = Encoding.UTF8.GetBytes(Log);
        var output = new List<byte>();
        foreach (var chunk in bytes.Chunk(7))
        {
            output.AddRange(decoder.Decode(chunk));
        }

        output.AddRange(decoder.Flush());
        Assert.AreEqual("hello\npartial\n", Encoding.UTF8.GetString([.. output]));
        Assert.IsTrue(CriLogDecoder.LooksLikeCri(bytes));
        Assert.IsFalse(CriLogDecoder.LooksLikeCri("plain output\n"u8));
    }

    [TestMethod]
    public void Decode_WithTimestamps_PrefixesEachLineWithTheRuntimesTime()
    {
        var decoder = new CriLogDecoder(timestamps: true);
        Assert.AreEqual("2026-11-23T00:20:31.497947425Z hello\n2026-11-23T00:20:31.5Z partial\n", Encoding.UTF8.GetString(decoder.Decode(Encoding.UTF8.GetBytes(Log))));
    }
}
