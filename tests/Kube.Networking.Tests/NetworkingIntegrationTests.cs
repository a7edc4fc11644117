using k8s.Models;
using Kube.ApiServer;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Networking.EndpointSlices;
using Kube.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kube.Networking.Tests;

/// <summary>Allocation and EndpointSlices through a real API server and store, with the networking services from DI.</summary>
[TestClass]
public sealed class NetworkingIntegrationTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private string _dir = "";
    private EmbeddedStore _store = null!;
    private KubeApiServer? _server;
    private ServiceProvider _services = null!;
    private List<IHostedService> _hosted = [];

    private IKubeClient Client => _services.GetRequiredService<IKubeClient>();

    [TestInitialize]
    public async Task Init()
    {
        _dir = Path.Combine(Path.GetTempPath(), "kube-net-" + Guid.NewGuid().ToString("N"));
        _store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = _dir });
        await StartServerAsync();
    }

    private async Task StartServerAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IKubeClient>(_ => _server!.CreateClient(UserInfo.Admin));
        services.AddKubeNetworking(o =>
        {
            o.ServiceCidr = "127.10.0.0/24";
            o.KubernetesServiceEndpoint = "127.0.0.1:6443";
        });
        _services = services.BuildServiceProvider();
        _server = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0 }, _store, _services);
        _hosted = _services.GetServices<IHostedService>().ToList();
        foreach (var h in _hosted)
        {
            await h.StartAsync(CancellationToken.None);
        }
    }

    private async Task StopServerAsync()
    {
        foreach (var h in _hosted)
        {
            await h.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
        await _server!.DisposeAsync();
    }

    [TestCleanup]
    public async Task Cleanup()
    {
        await StopServerAsync();
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static V1Service Service(string name, string? clusterIp = null, string type = "ClusterIP") => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1ServiceSpec
        {
            Type = type,
            ClusterIP = clusterIp,
            Selector = new Dictionary<string, string> { ["app"] = name },
            Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = (IntOrString)"http" }],
        },
    };

    [TestMethod]
    public async Task CreateService_GetsAClusterIp_AndATakenIpIsRejectedWith422()
    {
        var web = await Client.CreateAsync(Service("web"));
        var np = await Client.CreateAsync(Service("np", type: "NodePort"));

        Assert.AreEqual("127.10.0.2", web.Spec.ClusterIP);
        CollectionAssert.AreEqual(new[] { "127.10.0.2" }, web.Spec.ClusterIPs.ToList());
        Assert.AreEqual("127.10.0.3", np.Spec.ClusterIP);
        Assert.AreEqual(30000, np.Spec.Ports.Single().NodePort);

        var ex = await Assert.ThrowsExactlyAsync<InvalidException>(() => Client.CreateAsync(Service("clash", clusterIp: "127.10.0.2")));
        Assert.AreEqual(422, ex.Status.Code);
        CollectionAssert.Contains(ex.Status.Details.Causes.Select(c => c.Field).ToList(), "spec.clusterIP");
        await Assert.ThrowsExactlyAsync<InvalidException>(() => Client.CreateAsync(Service("outside", clusterIp: "10.96.0.10")));
    }

    [TestMethod]
    public async Task Allocator_IsRebuiltFromTheApi_AfterARestart_AndFreesIpsOfDeletedServices()
    {
        await Client.CreateAsync(Service("a"));
        await Client.CreateAsync(Service("b"));

        await StopServerAsync();
        await StartServerAsync();

        var c = await Client.CreateAsync(Service("c"));
        Assert.AreEqual("127.10.0.4", c.Spec.ClusterIP, "the IPs of a and b are known to the new allocator");

        await Client.DeleteAsync<V1Service>("a", "default");
        Assert.IsTrue(await PollAsync(async () =>
        {
            try
            {
                await Client.CreateAsync(Service("again", clusterIp: "127.10.0.2"));
                return true;
            }
            catch (InvalidException)
            {
                return false;
            }
        }), "the deleted Service's IP can be requested again");
    }

    [TestMethod]
    public async Task EndpointSlice_AppearsForAServiceSelectingARunningPod()
    {
        var svc = await Client.CreateAsync(Service("web"));
        var pod = await Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "web-1", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "web" } },
            Spec = new V1PodSpec
            {
                NodeName = "node-1",
                Containers = [new V1Container { Name = "c", Image = "busybox", Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }] }],
            },
        });
        pod.Status = new V1PodStatus
        {
            Phase = "Running",
            PodIP = "127.1.1.2",
            PodIPs = [new V1PodIP { Ip = "127.1.1.2" }],
            Conditions = [new V1PodCondition { Type = "Ready", Status = "True" }],
        };
        await Client.UpdateStatusAsync(pod);

        V1EndpointSlice? slice = null;
        Assert.IsTrue(await PollAsync(async () =>
        {
            var list = await Client.ListAsync<V1EndpointSlice>("default", new ListOptions { LabelSelector = EndpointSliceLabels.ServiceName + "=web" });
            slice = list.Items.SingleOrDefault(s => s.Endpoints?.Count == 1);
            return slice is not null;
        }), "an EndpointSlice with the pod appears");

        Assert.AreEqual(EndpointSliceLabels.ControllerName, slice!.Metadata.Labels[EndpointSliceLabels.ManagedBy]);
        StringAssert.StartsWith(slice.Metadata.Name, "web-");
        Assert.AreEqual(svc.Metadata.Uid, slice.Metadata.OwnerReferences.Single().Uid);
        var endpoint = slice.Endpoints.Single();
        Assert.AreEqual("127.1.1.2", endpoint.Addresses.Single());
        Assert.IsTrue(endpoint.Conditions.Ready);
        Assert.AreEqual("web-1", endpoint.TargetRef.Name);
        Assert.AreEqual(8080, slice.Ports.Single().Port);
        var all = await Client.ListAsync<V1EndpointSlice>("default", new ListOptions { LabelSelector = EndpointSliceLabels.ServiceName + "=web" });
        Assert.AreEqual(1, all.Items.Count, "no duplicate slices");

        await Client.DeleteAsync<V1Pod>("web-1", "default", new DeleteOptions { GracePeriodSeconds = 0 });
        Assert.IsTrue(await PollAsync(async () =>
        {
            var list = await Client.ListAsync<V1EndpointSlice>("default", new ListOptions { LabelSelector = EndpointSliceLabels.ServiceName + "=web" });
            return list.Items.Count == 1 && list.Items[0].Endpoints is null or { Count: 0 };
        }), "the endpoint goes when the pod goes");
    }

    private static async Task<bool> PollAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    [TestMethod]
    public async Task KubernetesService_IsCreated_WithTheReservedIp_AndAnEndpointSliceToTheApiServer()
    {
        V1Service? svc = null;
        Assert.IsTrue(await PollAsync(async () =>
        {
            try
            {
                svc = await Client.GetAsync<V1Service>("kubernetes", "default");
                return true;
            }
            catch (NotFoundException)
            {
                return false;
            }
        }), "Service default/kubernetes appears");

        Assert.AreEqual("127.10.0.1", svc!.Spec.ClusterIP);
        Assert.AreEqual(443, svc.Spec.Ports.Single().Port);
        V1EndpointSlice? slice = null;
        Assert.IsTrue(await PollAsync(async () =>
        {
            try
            {
                slice = await Client.GetAsync<V1EndpointSlice>("kubernetes", "default");
                return true;
            }
            catch (NotFoundException)
            {
                return false;
            }
        }));
        Assert.AreEqual("127.0.0.1", slice!.Endpoints.Single().Addresses.Single());
        Assert.AreEqual(6443, slice.Ports.Single().Port);
        Assert.AreEqual("kube-apiserver", slice.Metadata.Labels[EndpointSliceLabels.ManagedBy]);
    }
}
