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

    [TestMethod]
    [DataRow((int)FieldScope.Whole)]
    [DataRow((int)FieldScope.MainIgnoringStatus)]
    [DataRow((int)FieldScope.StatusOnly)]
    public void FieldsV1Of_IsTheTreeOfTheObjectsFieldSet_InTheSameKeyOrder(int scopeValue)
    {
        var scope = (FieldScope)scopeValue;
        var pod = JsonNode.Parse("""
            {
              "apiVersion": "v1", "kind": "Pod",
              "metadata": { "name": "p", "namespace": "ns", "uid": "u", "generateName": "p-", "labels": { "b": "2", "a-b": "1", "a": "0" },
                            "annotations": {}, "finalizers": ["x", "y"], "ownerReferences": [{ "uid": "o1", "name": "rs" }] },
              "spec": {
                "schedulerName": "s", "nodeSelector": { "disk": "ssd" }, "tolerations": [{ "key": "k", "operator": "Exists" }],
                "containers": [
                  { "name": "web", "image": "nginx", "ports": [{ "containerPort": 80, "protocol": "TCP" }, { "containerPort": 8080 }],
                    "env": [{ "name": "B", "value": "1" }, { "name": "A", "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } } }],
                    "resources": { "limits": { "cpu": "1" } }, "volumeMounts": [{ "name": "v", "mountPath": "/v" }] },
                  { "name": "app", "image": "busybox", "command": ["sh", "-c", "sleep 1"], "securityContext": {} }
                ],
                "volumes": [{ "name": "v", "emptyDir": {} }], "emptyList": []
              },
              "status": { "phase": "Pending", "conditions": [{ "type": "Ready", "status": "False" }] }
            }
            """)!.AsObject();
        var expected = FieldSet.FromObject(pod, scope).ToFieldsV1();
        var built = FieldSet.FieldsV1Of(pod, scope);
        Assert.IsNotNull(built);
        Assert.AreEqual(expected.ToJsonString(), built.ToJsonString());

        var serverOnly = JsonNode.Parse("""{ "metadata": { "name": "n", "uid": "u" }, "data": { "k": "v" } }""")!.AsObject();
        Assert.AreEqual(FieldSet.FromObject(serverOnly, scope).ToFieldsV1().ToJsonString(), FieldSet.FieldsV1Of(serverOnly, scope)!.ToJsonString());
    }

    [TestMethod]
    [DataRow("""{ "spec": { "containers": [{ "name": "a", "image": "x" }, { "name": "a", "args": ["y"] }] } }""")]
    [DataRow("""{ "data": { "a\tb": "1", "a": { "b": "2" } } }""")]
    public void FieldsV1Of_LeavesToThePathForm_WhatItWouldOrderOrMergeDifferently(string json)
    {
        // Two items of one key merge their fields in the path form; a name with a character below the separator sorts
        // differently as part of a path than alone. FieldManager then takes the path form.
        var obj = JsonNode.Parse(json)!.AsObject();
        Assert.IsNull(FieldSet.FieldsV1Of(obj, FieldScope.Whole));
        Assert.IsTrue(FieldSet.FromObject(obj, FieldScope.Whole).Count > 0);
    }
}
