using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Store;
using WatchEventType = Kube.Core.Client.WatchEventType;

namespace Kube.ApiServer.Tests.Watch;

/// <summary>
/// A list starts the resource's watch cache, so an informer's list-then-watch is served by the shared cache; after an
/// API server restart over the same store, a watch from the list's resourceVersion must still see every later event,
/// DELETEs included (the race that had this optimisation reverted once).
/// </summary>
[TestClass]
public sealed class WatchCacheRestartTests
{
    private static V1Service Service(string name) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] },
    };

    [TestMethod]
    public async Task ListThenWatch_AfterRestartOverTheSameStore_SeesLaterDeletes()
    {
        var dir = Directory.CreateTempSubdirectory("kube-watchcache-restart-").FullName;
        try
        {
            await using var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
            await using (var first = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0 }, store))
            {
                var c1 = first.CreateClient(UserInfo.Admin);
                await c1.CreateAsync(Service("a"));
                await c1.CreateAsync(Service("b"));
                // The first server's cache is running when it stops.
                await c1.ListAsync<V1Service>("default");
            }
            await using var second = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0 }, store);
            var client = second.CreateClient(UserInfo.Admin);
            for (var round = 0; round < 3; round++)
            {
                var list = await client.ListAsync<V1Service>("default");
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                var events = client.WatchAsync<V1Service>("default", new ListOptions { ResourceVersion = list.ResourceVersion }, cts.Token)
                    .GetAsyncEnumerator(cts.Token);
                var name = $"r{round}";
                var next = events.MoveNextAsync();
                await client.CreateAsync(Service(name));
                await client.DeleteAsync<V1Service>(round == 0 ? "a" : name, "default");
                var seen = new List<string>();
                while (true)
                {
                    Assert.IsTrue(await next, $"round {round}: the watch ended after {string.Join(", ", seen)}");
                    var e = events.Current;
                    seen.Add($"{e.Type} {e.Object?.Metadata?.Name}");
                    if (e.Type == WatchEventType.Deleted) break;
                    next = events.MoveNextAsync();
                }
                CollectionAssert.AreEqual(new[] { $"Added {name}", $"Deleted {(round == 0 ? "a" : name)}" }, seen, $"round {round}");
                await events.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
