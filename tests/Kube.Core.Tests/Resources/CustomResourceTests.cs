using System.Text.Json;
using k8s;
using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.Resources;
using Kube.Core.Tests.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Resources;

[KubernetesEntity(Group = "example.com", ApiVersion = "v1", Kind = "Widget", PluralName = "widgets")]
public sealed class Widget : CustomResource<WidgetSpec, WidgetStatus>
{
}

public sealed class WidgetSpec
{
    public int Size { get; set; }
    public string? Color { get; set; }
}

public sealed class WidgetStatus
{
    public bool Ready { get; set; }
}

[TestClass]
public sealed class CustomResourceTests
{
    [TestMethod]
    public void NewInstance_HasApiVersionAndKind_AndRoundTripsThroughKubernetesJson()
    {
        var w = new Widget { Metadata = new V1ObjectMeta { Name = "w1", NamespaceProperty = "ns" }, Spec = new WidgetSpec { Size = 3, Color = "red" } };
        Assert.AreEqual("example.com/v1", w.ApiVersion);
        Assert.AreEqual("Widget", w.Kind);
        var json = KubernetesJson.Serialize(w);
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.AreEqual(3, doc.RootElement.GetProperty("spec").GetProperty("size").GetInt32());
            Assert.AreEqual("w1", doc.RootElement.GetProperty("metadata").GetProperty("name").GetString());
            Assert.IsFalse(doc.RootElement.TryGetProperty("status", out _), "a null status is omitted");
        }

        var back = KubernetesJson.Deserialize<Widget>(json.Replace("}}", "},\"status\":{\"ready\":true}}", StringComparison.Ordinal));
        Assert.AreEqual("red", back.Spec.Color);
        Assert.IsTrue(back.Status!.Ready);
    }

    [TestMethod]
    public void RegisterCustomResource_MapsKindAndResource()
    {
        var registry = ResourceTypeRegistry.CreateDefault();
        var t = registry.RegisterCustomResource<Widget>(shortNames: ["wd"]);
        Assert.AreEqual("widgets", t.Plural);
        Assert.AreEqual("example.com", t.Group);
        Assert.IsTrue(t.Namespaced);
        CollectionAssert.Contains(t.Subresources.ToArray(), "status");
        Assert.AreSame(t, registry.For<Widget>());
        Assert.AreEqual("apis/example.com/v1/namespaces/ns/widgets/w1/status", HttpKubeClient.PathOf(t, "ns", "w1", "status"));
        Assert.ThrowsExactly<ArgumentException>(() => registry.RegisterCustomResource<NoAttribute>());
    }

    [TestMethod]
    public async Task Informer_WorksForCustomResources()
    {
        var client = new InMemoryKubeClient();
        await client.CreateAsync(new Widget { Metadata = new V1ObjectMeta { Name = "w1", NamespaceProperty = "ns" }, Spec = new WidgetSpec { Size = 1 } });
        var informer = new SharedInformer<Widget>(client);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.AreEqual(1, informer.Cache.Get("ns", "w1")!.Spec.Size);
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public sealed class NoAttribute : CustomResource<WidgetSpec, WidgetStatus>
    {
    }
}
