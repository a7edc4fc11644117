using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.InProcess;

[TestClass]
public sealed class InProcessClientTests
{
    private static V1Pod NewPod(string name, string? node = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "demo" } },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "busybox:1.36" }] },
    };

    [TestMethod]
    public async Task Crud_RoundTripsTypedObjects_WithTypedErrors()
    {
        await using var cluster = await TestCluster.StartAsync();
        var client = cluster.Client;
        var created = await client.CreateAsync(NewPod("a"));
        Assert.AreEqual("Always", created.Spec.RestartPolicy);
        Assert.IsNotNull(created.Metadata.Uid);
        await Assert.ThrowsExactlyAsync<AlreadyExistsException>(() => client.CreateAsync(NewPod("a")));
        await Assert.ThrowsExactlyAsync<NotFoundException>(() => client.GetAsync<V1Pod>("zzz", "default"));
        var invalid = await Assert.ThrowsExactlyAsync<InvalidException>(() => client.CreateAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "x", NamespaceProperty = "default" }, Spec = new V1PodSpec { Containers = [] } }));
        Assert.AreEqual(422, invalid.Status.Code);

        created.Metadata.Labels["tier"] = "front";
        var updated = await client.UpdateAsync(created);
        Assert.AreEqual("front", updated.Metadata.Labels["tier"]);
        await Assert.ThrowsExactlyAsync<ConflictException>(() => client.UpdateAsync(created));

        updated.Status = new V1PodStatus { Phase = "Running" };
        var status = await client.UpdateStatusAsync(updated);
        Assert.AreEqual("Running", status.Status.Phase);

        var patched = await client.PatchAsync<V1Pod>("a", "default", new KubePatch(KubePatchType.Merge, """{"metadata":{"annotations":{"k":"v"}}}"""));
        Assert.AreEqual("v", patched.Metadata.Annotations["k"]);

        var list = await client.ListAsync<V1Pod>("default", new ListOptions { LabelSelector = "tier=front" });
        Assert.AreEqual("a", list.Items.Single().Metadata.Name);
        Assert.IsTrue(long.Parse(list.ResourceVersion) >= long.Parse(patched.Metadata.ResourceVersion));

        await client.CreateSubresourceAsync<V1Pod>("a", "default", "binding", new V1Binding
        {
            Metadata = new V1ObjectMeta { Name = "a" },
            Target = new V1ObjectReference { Kind = "Node", Name = "node-9" },
        });
        Assert.AreEqual("node-9", (await client.GetAsync<V1Pod>("a", "default")).Spec.NodeName);
        await Assert.ThrowsExactlyAsync<ConflictException>(() => client.CreateSubresourceAsync<V1Pod>("a", "default", "binding",
            new V1Binding { Metadata = new V1ObjectMeta { Name = "a" }, Target = new V1ObjectReference { Kind = "Node", Name = "node-8" } }));

        var scaled = await client.PatchAsync<V1Deployment>("d", "default", new KubePatch(KubePatchType.Merge, """{"spec":{"replicas":3}}"""), "scale")
            .ContinueWith(t => t.Exception?.InnerException);
        Assert.IsInstanceOfType<NotFoundException>(scaled);
    }

    [TestMethod]
    public async Task ClusterScoped_NodesHaveNoNamespace()
    {
        await using var cluster = await TestCluster.StartAsync();
        var node = await cluster.Client.CreateAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = "n1" },
            Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = "True" }] },
        });
        Assert.IsNull(node.Metadata.NamespaceProperty);
        Assert.IsNotNull(node.Spec, "like upstream, objects always carry spec: {}");
        Assert.AreEqual("True", node.Status.Conditions.Single().Status);
        var list = await cluster.Client.ListAsync<V1Node>();
        Assert.AreEqual(1, list.Items.Count);
        var ns = await cluster.Client.ListAsync<V1Namespace>();
        Assert.AreEqual(4, ns.Items.Count);
    }

    private sealed class LabelPlugin : IAdmissionPlugin
    {
        public string Name => "TestLabel";
        public bool IsMutating => true;
        public bool Handles(AdmissionRequest request) => request.Resource.Kind == "Pod" && request.Operation == AdmissionOperation.Create;

        public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
        {
            var meta = request.Object!["metadata"]!.AsObject();
            if (meta["labels"] is not JsonObject labels) meta["labels"] = labels = new JsonObject();
            labels["admitted-by"] = request.User.Name.Replace(':', '-');
            return ValueTask.CompletedTask;
        }
    }

    private sealed class DenyPlugin : IAdmissionPlugin
    {
        public string Name => "TestDeny";
        public bool IsMutating => false;
        public bool Handles(AdmissionRequest request) => request.Name == "forbidden";

        public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken) =>
            throw KubeApiException.FromStatus(KubeApiException.NewStatus(403, "Forbidden", "pods \"forbidden\" is forbidden: denied by TestDeny"));
    }

    [TestMethod]
    public async Task AdmissionPlugins_FromServices_RunForHttpAndInProcess()
    {
        var services = new ServiceCollection()
            .AddSingleton<IAdmissionPlugin, LabelPlugin>()
            .AddSingleton<IAdmissionPlugin, DenyPlugin>()
            .BuildServiceProvider();
        await using var cluster = await TestCluster.StartAsync(services: services);
        var user = new UserInfo("alice", ["system:authenticated"]);
        var pod = await cluster.Server.CreateClient(user).CreateAsync(NewPod("p"));
        Assert.AreEqual("alice", pod.Metadata.Labels["admitted-by"]);
        var http = await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("q"));
        Assert.AreEqual("system-admin", http.Body!["metadata"]!["labels"]!["admitted-by"]!.GetValue<string>());
        var denied = await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("forbidden"));
        Assert.AreEqual(403, denied.Code);
        Assert.AreEqual("Forbidden", denied.Body!["reason"]!.GetValue<string>());
        await Assert.ThrowsExactlyAsync<ForbiddenException>(() => cluster.Client.CreateAsync(NewPod("forbidden")));
    }

    [TestMethod]
    public async Task CustomResourceTypeRegistry_FromServices_IsServed()
    {
        var types = ResourceTypeRegistry.CreateDefault();
        types.Register(new ResourceType { Group = "example.com", Version = "v1", Kind = "Widget", Plural = "widgets", Namespaced = true });
        var services = new ServiceCollection().AddSingleton(types).BuildServiceProvider();
        await using var cluster = await TestCluster.StartAsync(services: services);
        var created = await cluster.PostAsync("/apis/example.com/v1/namespaces/default/widgets",
            """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":3}}""");
        Assert.AreEqual(201, created.Code, created.Body?.ToJsonString());
        Assert.AreEqual(3, (await cluster.GetAsync("/apis/example.com/v1/namespaces/default/widgets/w")).Body!["spec"]!["size"]!.GetValue<int>());
        var discovery = await cluster.GetAsync("/apis/example.com/v1");
        Assert.AreEqual("widgets", discovery.Body!["resources"]![0]!["name"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Watch_InProcessWatchersShareOneDecodedObject_ThatNoGetOrListReturns()
    {
        await using var cluster = await TestCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(NewPod("marker"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var first = client.WatchAsync<V1Pod>("default", null, cts.Token).GetAsyncEnumerator(cts.Token);
        var second = cluster.Server.CreateClient(new UserInfo("bob", ["system:masters"])).WatchAsync<V1Pod>("default", null, cts.Token).GetAsyncEnumerator(cts.Token);
        // Both watches are open once their initial ADDED (the list's marker pod) has arrived.
        foreach (var w in new[] { first, second })
        {
            Assert.IsTrue(await w.MoveNextAsync());
            Assert.AreEqual("marker", w.Current.Object!.Metadata.Name);
        }
        var created = await client.CreateAsync(NewPod("shared"));
        Assert.IsTrue(await first.MoveNextAsync());
        Assert.IsTrue(await second.MoveNextAsync());
        Assert.AreEqual("shared", first.Current.Object!.Metadata.Name);
        Assert.AreEqual(created.Metadata.ResourceVersion, first.Current.Object.Metadata.ResourceVersion);
        // Decoded once for both watchers (informer objects are read-only, as in client-go) ...
        Assert.AreSame(first.Current.Object, second.Current.Object);
        // ... and never the instance a read returns, which its caller may change.
        var got = await client.GetAsync<V1Pod>("shared", "default");
        Assert.AreNotSame(first.Current.Object, got);
        Assert.AreNotSame(first.Current.Object, (await client.ListAsync<V1Pod>("default")).Items.Single(p => p.Metadata.Name == "shared"));
        await first.DisposeAsync();
        await second.DisposeAsync();
    }
}
