using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests.Compat;

/// <summary>
/// kubectl 1.32 against <c>kube-host up</c>: a CRD's OpenAPI schema (enum, pattern, maximum, default) is enforced
/// with upstream's messages, defaults reach stored objects, and <c>kubectl explain</c> reads the schema.
/// </summary>
[TestClass]
public sealed class CrdValidationE2ETests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static KubectlHost? _cluster;

    private static KubectlHost Cluster => _cluster ?? throw new InvalidOperationException("the cluster did not start");

    private static Kubectl K => Cluster.Kubectl;

    private const string Crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: gizmos.e2e.example.com
        spec:
          group: e2e.example.com
          scope: Namespaced
          names: {kind: Gizmo, plural: gizmos, singular: gizmo, shortNames: [gz]}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    description: The gizmo's desired state.
                    properties:
                      replicas: {type: integer, maximum: 10, description: How many gizmos to run.}
                      mode: {type: string, enum: [fast, slow], default: slow}
                      name: {type: string, pattern: '^[a-z]+$'}
        """;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        _cluster = await KubectlHost.StartAsync("crdval");
        if (_cluster is null) return;
        await K.OkAsync($"apply -f {await Cluster.WriteFileAsync("crd.yaml", Crd)}");
        await K.OkAsync("wait --for=condition=Established crd/gizmos.e2e.example.com --timeout=60s", timeout: Wait);
    }

    [ClassCleanup]
    public static Task StopClusterAsync() => KubectlHost.StopAsync(_cluster);

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    private static string Gizmo(string name, string spec) => $"""
        apiVersion: e2e.example.com/v1
        kind: Gizmo
        metadata: {"{"}name: {name}{"}"}
        spec: {spec}
        """;

    [TestMethod]
    public async Task Apply_InvalidCustomResource_PrintsEveryFieldAsUpstream()
    {
        var r = await K.RunAsync($"apply -f {await Cluster.WriteFileAsync("bad.yaml", Gizmo("bad", "{replicas: 20, mode: turbo, name: Bad1}"))}");
        Assert.AreNotEqual(0, r.ExitCode, r.Stdout);
        StringAssert.Contains(r.Stderr, "The Gizmo \"bad\" is invalid:", r.Stderr);
        StringAssert.Contains(r.Stderr, "spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10", r.Stderr);
        StringAssert.Contains(r.Stderr, "spec.mode: Unsupported value: \"turbo\": supported values: \"fast\", \"slow\"", r.Stderr);
        StringAssert.Contains(r.Stderr, "spec.name: Invalid value: \"Bad1\": spec.name in body should match '^[a-z]+$'", r.Stderr);
        var get = await K.RunAsync("get gizmo bad");
        Assert.AreNotEqual(0, get.ExitCode, "nothing was stored");
    }

    [TestMethod]
    public async Task Apply_ValidCustomResource_GetsTheDefault()
    {
        await K.OkAsync($"apply -f {await Cluster.WriteFileAsync("ok.yaml", Gizmo("ok", "{replicas: 3, name: good}"))}");
        var mode = await K.OkAsync("get gz ok -o jsonpath={.spec.mode}");
        Assert.AreEqual("slow", mode.Trim());
    }

    [TestMethod]
    public async Task Explain_ReadsTheCrdSchema()
    {
        var output = await K.OkAsync("explain gizmos.spec");
        StringAssert.Contains(output, "KIND:       Gizmo", output);
        StringAssert.Contains(output, "replicas", output);
        StringAssert.Contains(output, "How many gizmos to run.", output);
    }

    [TestMethod]
    public async Task Apply_CrdWithCelRules_IsRefusedNamingTheRule()
    {
        var crd = Crd.Replace("gizmos", "gadgets", StringComparison.Ordinal).Replace("Gizmo", "Gadget", StringComparison.Ordinal)
            .Replace("gizmo", "gadget", StringComparison.Ordinal).Replace("[gz]", "[gd]", StringComparison.Ordinal)
            .Replace("description: The gadget's desired state.", "x-kubernetes-validations: [{rule: 'self.name.isSorted()'}]", StringComparison.Ordinal);
        var r = await K.RunAsync($"apply -f {await Cluster.WriteFileAsync("cel-crd.yaml", crd)}");
        Assert.AreNotEqual(0, r.ExitCode, r.Stdout);
        StringAssert.Contains(r.Stderr, "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule", r.Stderr);
    }
}
