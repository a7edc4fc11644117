using System.Text.Json.Nodes;
using Kube.ApiServer.Apply;

namespace Kube.ApiServer.Tests.Apply;

[TestClass]
public sealed class FieldSetTests
{
    [TestMethod]
    public void FieldsV1_RoundTrips_WithDotMarkersOnMembersThatHaveChildren()
    {
        // As upstream writes it: a list item that is owned itself and has owned fields carries ".": {}; maps do not.
        var fields = JsonNode.Parse("""
            {
              "f:metadata": { "f:labels": { ".": {}, "f:app": {} }, "f:annotations": { "f:a-b": {}, "f:a": {} } },
              "f:spec": {
                "f:containers": {
                  "k:{\"name\":\"b\"}": { ".": {}, "f:image": {}, "f:name": {} },
                  "k:{\"name\":\"a\"}": { ".": {}, "f:ports": { "k:{\"containerPort\":80}": { ".": {}, "f:containerPort": {} } } }
                },
                "f:restartPolicy": {}
              }
            }
            """)!.AsObject();
        var set = FieldSet.FromFieldsV1(fields);
        Assert.IsTrue(set.Contains("f:metadata\nf:labels"));
        Assert.IsTrue(set.Contains("f:spec\nf:containers\nk:{\"name\":\"a\"}\nf:ports\nk:{\"containerPort\":80}"));
        Assert.IsFalse(set.Contains("f:spec\nf:containers"), "a map is implied by its fields, not a member");

        var written = set.ToFieldsV1();
        Assert.IsTrue(JsonNode.DeepEquals(fields, written), written.ToJsonString());
        Assert.IsNull(written["f:spec"]!["f:containers"]!["."]);
        Assert.AreEqual(0, written["f:spec"]!["f:restartPolicy"]!.AsObject().Count);
        // Fields in ordinal order; a member's "." marker after its children.
        CollectionAssert.AreEqual(new[] { "f:a", "f:a-b" }, written["f:metadata"]!["f:annotations"]!.AsObject().Select(p => p.Key).ToArray());
        CollectionAssert.AreEqual(new[] { "f:app", "." }, written["f:metadata"]!["f:labels"]!.AsObject().Select(p => p.Key).ToArray());
    }
}
