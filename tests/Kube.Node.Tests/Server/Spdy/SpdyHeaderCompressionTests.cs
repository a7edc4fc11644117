using System.Buffers.Binary;
using Kube.Node.Server.Spdy;

namespace Kube.Node.Tests.Server.Spdy;

[TestClass]
public sealed class SpdyHeaderCompressionTests
{
    // Three consecutive header blocks from one zlib stream with SPDY/3's preset dictionary (FDICT), each ended by a sync
    // flush, as Go's spdy framer (kubectl) writes them; made with CPython's zlib (compressobj(zdict=...)), level 9.
    private static readonly byte[] Block1 =
    [
        0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2, 0x02, 0x25, 0x3a, 0x48, 0xf9, 0x5b, 0x04, 0x4e, 0xea, 0x16, 0x06, 0x16, 0x06, 0x40, 0x9a, 0xb3,
        0x08, 0x12, 0x5f, 0x99, 0xa0, 0x74, 0xcc, 0x68, 0x00, 0x4e, 0x89, 0x25, 0x45, 0xa9, 0x89, 0xb9, 0xd0, 0xc2, 0x86, 0x35, 0x15, 0x14,
        0x15, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
    ];

    private static readonly byte[] Block2 = [0x22, 0x53, 0x33, 0xa8, 0xa4, 0x4a, 0x04, 0x00, 0x00, 0x00, 0xff, 0xff];

    private static readonly byte[] Block3 =
    [
        0x82, 0xea, 0x45, 0x14, 0xeb, 0x5c, 0x08, 0x8f, 0x63, 0xe4, 0x40, 0xde, 0xec, 0xd2, 0x24, 0x60, 0x59, 0x96, 0xa3, 0x5f, 0x66, 0xa8,
        0x67, 0x6c, 0x84, 0xa5, 0xf0, 0xe3, 0x84, 0xc7, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff,
    ];

    [TestMethod]
    public void Dictionary_IsSpdy3s_1423Bytes_WithItsAdler32()
    {
        Assert.AreEqual(1423, SpdyHeaderDictionary.Bytes.Length);
        Assert.AreEqual(0xe3c6a7c2u, SpdyHeaderDictionary.Adler32, "the DICTID kubectl's header blocks carry");
        Assert.AreEqual(0x00u, SpdyHeaderDictionary.Bytes.Span[0]);
        Assert.AreEqual((byte)'.', SpdyHeaderDictionary.Bytes.Span[^1]);
    }

    [TestMethod]
    public void Decompress_ReadsBlocksOfOneZlibStream_ThatUseThePresetDictionary()
    {
        using var d = new SpdyHeaderDecompressor();
        var first = d.Decompress(Block1);
        Assert.AreEqual("error", first["streamtype"]);
        Assert.AreEqual("8080", first["port"]);
        Assert.AreEqual("0", first["requestid"]);
        var second = d.Decompress(Block2);
        Assert.AreEqual("data", second["streamtype"], "the second block refers back into the first");
        Assert.AreEqual("8080", second["port"]);
        var third = d.Decompress(Block3);
        Assert.AreEqual("text/plain", third["accept"], "dictionary words come from the preset dictionary");
        Assert.AreEqual("kubectl/v1.32", third["user-agent"]);
        Assert.AreEqual("text/html", third["content-type"]);
    }

    [TestMethod]
    public void Decompress_RejectsAnotherDictionary_AndACutBlock()
    {
        var other = (byte[])Block1.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(other.AsSpan(2), 0x12345678);
        using (var d = new SpdyHeaderDecompressor())
        {
            var ex = Assert.ThrowsExactly<InvalidDataException>(() => d.Decompress(other));
            StringAssert.Contains(ex.Message, "dictionary");
        }

        using (var d = new SpdyHeaderDecompressor())
        {
            Assert.ThrowsExactly<InvalidDataException>(() => d.Decompress(Block1.AsSpan(0, 20)));
        }

        using (var d = new SpdyHeaderDecompressor())
        {
            Assert.ThrowsExactly<InvalidDataException>(() => d.Decompress([0x01, 0x02, 0x03]), "not a zlib header");
        }
    }

    [TestMethod]
    public void Compress_RoundTrips_AndSharesTheContextAcrossBlocks()
    {
        using var c = new SpdyHeaderCompressor();
        using var d = new SpdyHeaderDecompressor();
        KeyValuePair<string, string>[] headers = [new("streamType", "data"), new("port", "5432"), new("requestID", "7")];
        var first = c.Compress(headers);
        var second = c.Compress(headers);
        var empty = c.Compress([]);
        Assert.IsTrue(second.Length < first.Length, $"the same block again is cheaper ({second.Length} < {first.Length} bytes): one context per direction");
        foreach (var block in new[] { first, second })
        {
            var decoded = d.Decompress(block);
            Assert.AreEqual("data", decoded["streamtype"], "names are lower case on the wire");
            Assert.AreEqual("5432", decoded["port"]);
            Assert.AreEqual("7", decoded["requestid"]);
        }

        Assert.AreEqual(0, d.Decompress(empty).Count);
    }

    [TestMethod]
    public void Decode_RejectsUpperCaseAndDuplicateNames()
    {
        static MemoryStream Block(params (string Name, string Value)[] pairs)
        {
            var ms = new MemoryStream();
            var w = new BinaryWriter(ms);
            void U32(int v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32BigEndian(b, v); w.Write(b); }
            U32(pairs.Length);
            foreach (var (n, v) in pairs)
            {
                U32(n.Length); w.Write(System.Text.Encoding.ASCII.GetBytes(n));
                U32(v.Length); w.Write(System.Text.Encoding.ASCII.GetBytes(v));
            }

            ms.Position = 0;
            return ms;
        }

        Assert.ThrowsExactly<InvalidDataException>(() => SpdyHeaderBlock.Decode(Block(("Port", "1"))));
        Assert.ThrowsExactly<InvalidDataException>(() => SpdyHeaderBlock.Decode(Block(("port", "1"), ("port", "2"))));
        Assert.AreEqual("1", SpdyHeaderBlock.Decode(Block(("port", "1")))["port"]);
    }
}
