using System.Collections.Concurrent;
using k8s.Models;
using Kube.Controllers.Runtime;
using Kube.Controllers.Tests.Integration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kube.Controllers.Tests.Runtime;

[TestClass]
public sealed class ControllerRuntimeTests
{
    /// <summary>Records its requests; fails the first reconcile of each request to exercise the retry.</summary>
    internal sealed class RecordingReconciler : IReconciler<V1ConfigMap>
    {
        public ConcurrentQueue<ReconcileRequest> Requests { get; } = new();

        public ConcurrentDictionary<ReconcileRequest, int> Failures { get; } = new();

        public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
        {
            Requests.Enqueue(request);
            if (Failures.TryAdd(request, 1)) throw new InvalidOperationException("first attempt fails");
            await Task.Yield();
            return ReconcileResult.Done;
        }
    }

    private static V1ConfigMap ConfigMap(string name, V1OwnerReference? owner = null) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", OwnerReferences = owner is null ? null : [owner] },
        Data = new Dictionary<string, string> { ["k"] = "v" },
    };

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task Controller_RetriesFailures_AndMapsOwnedAndWatchedObjectsToTheirOwner()
    {
        var reconciler = new RecordingReconciler();
        var results = new ConcurrentQueue<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Kube.Controllers" && instrument.Name == "controller_runtime_reconcile_total") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? controller = null, result = null;
            foreach (var t in tags)
            {
                if (t.Key == "controller") controller = t.Value as string;
                if (t.Key == "result") result = t.Value as string;
            }

            if (controller == "recorder" && result is not null) results.Enqueue(result);
        });
        listener.Start();
        await using var cluster = await ControllerCluster.StartAsync(kc =>
        {
            kc.Services.AddSingleton(reconciler);
            kc.AddController<RecordingReconciler, V1ConfigMap>(b => b
                .Named("recorder")
                .WithPredicate(e => e.Object.Metadata.Name.StartsWith("parent", StringComparison.Ordinal))
                .Owns<V1Secret>()
                .Watches<V1Service>(svc => [new ReconcileRequest("default", "parent-" + svc.Metadata.Name)])
                .WithMaxConcurrentReconciles(2));
        });
        var client = cluster.Client;
        var parent = await client.CreateAsync(ConfigMap("parent-a"));
        await client.CreateAsync(ConfigMap("ignored"));
        var key = new ReconcileRequest("default", "parent-a");
        await ControllerCluster.WaitForAsync(() => Task.FromResult(reconciler.Requests.Count(r => r == key) >= 2), "a failed reconcile and its retry");

        var before = reconciler.Requests.Count(r => r == key);
        await client.CreateAsync(new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta
            {
                Name = "child",
                NamespaceProperty = "default",
                OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "parent-a", Uid = parent.Metadata.Uid, Controller = true }],
            },
        });
        await ControllerCluster.WaitForAsync(() => Task.FromResult(reconciler.Requests.Count(r => r == key) > before), "the owned child to requeue its owner");

        await client.CreateAsync(new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta { Name = "b", NamespaceProperty = "default" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] },
        });
        await ControllerCluster.WaitForAsync(() => Task.FromResult(reconciler.Requests.Contains(new ReconcileRequest("default", "parent-b"))), "the watch mapping");
        Assert.IsFalse(reconciler.Requests.Any(r => r.Name == "ignored"), "the predicate filters primary events");
        CollectionAssert.Contains(results.ToArray(), "error", "the failed reconcile is counted");
        CollectionAssert.Contains(results.ToArray(), "success", "the retried reconcile is counted");
    }

    /// <summary>Records requests without failing.</summary>
    internal sealed class CountingReconciler : IReconciler<V1ConfigMap>
    {
        public ConcurrentQueue<ReconcileRequest> Requests { get; } = new();

        public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
        {
            Requests.Enqueue(request);
            return Task.FromResult(ReconcileResult.Done);
        }
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task LeaderElection_OnlyTheLeaderReconciles_AndAnotherTakesOverWhenItStops()
    {
        var first = new CountingReconciler();
        var second = new CountingReconciler();
        void Options(ControllerManagerOptions o, string id)
        {
            o.LeaderElection = true;
            o.LeaseName = "test-manager";
            o.LeaseNamespace = "default";
            o.Identity = id;
        }

        await using var cluster = await ControllerCluster.StartAsync(
            kc => kc.AddController<CountingReconciler, V1ConfigMap>().Services.AddSingleton(first),
            o => Options(o, "first"));
        using var other = await cluster.StartAnotherManagerAsync(
            kc => kc.AddController<CountingReconciler, V1ConfigMap>().Services.AddSingleton(second),
            o => Options(o, "second"));

        var lease = await cluster.Client.GetAsync<V1Lease>("test-manager", "default");
        Assert.AreEqual("first", lease.Spec.HolderIdentity);
        await cluster.Client.CreateAsync(ConfigMap("one"));
        await ControllerCluster.WaitForAsync(() => Task.FromResult(first.Requests.Any(r => r.Name == "one")), "the leader to reconcile");
        Assert.IsFalse(second.Requests.Any(), "the standby does not reconcile");

        // Stop the leader: it releases the Lease, the standby takes it and reconciles what exists.
        await cluster.StopManagerAsync();
        await ControllerCluster.WaitForAsync(() => Task.FromResult(second.Requests.Any(r => r.Name == "one")), "the standby to take over", TimeSpan.FromSeconds(30));
        await other.StopAsync(TimeSpan.FromSeconds(10));
    }
}
