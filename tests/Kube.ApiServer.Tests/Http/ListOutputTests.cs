using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Storage;

namespace Kube.ApiServer.Tests.Http;

/// <summary>List items are written from the stored bytes with resourceVersion spliced in; the result must equal parsing them.</summary>
[TestClass]
public sealed class ListOutputTests
{
    [TestMethod]
    [DataRow("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"d"},"spec":{}}""")]
    [DataRow("""{"metadata":{}}""")]
    [DataRow("""{"kind":"X","spec":{"metadata":{"name":"inner"},"list":[{"metadata":{}}]},"metadata":{"name":"outer"}}""")]
    [DataRow("""{"kind":"NoMetadata"}""")]
    [DataRow("""{"metadata":{"name":"a","resourceVersion":"7"}}""")]
    [DataRow("""{ "metadata" : { } , "kind":"Spaced"}""")]
    [DataRow("""{"metadata":"not an object"}""")]
    [DataRow("""{"a":"\u00e9\"metadata\"","metadata":{"labels":{"metadata":"x"}}}""")]
    public void WriteServed_EqualsTheParsedObjectWithItsResourceVersion(string stored)
    {
        var value = Encoding.UTF8.GetBytes(stored);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            ObjectCodec.WriteServed(w, value, 12345);
            ObjectCodec.WriteServed(w, value, 6);
            w.WriteEndArray();
        }
        var written = JsonNode.Parse(buffer.WrittenSpan)!.AsArray();
        Assert.AreEqual(2, written.Count);
        Assert.IsTrue(JsonNode.DeepEquals(ObjectCodec.Decode(value, 12345), written[0]), written[0]!.ToJsonString());
        Assert.IsTrue(JsonNode.DeepEquals(ObjectCodec.Decode(value, 6), written[1]), written[1]!.ToJsonString());
        Assert.AreEqual("12345", written[0]!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }
}
