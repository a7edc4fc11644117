using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Tests.Metrics;

/// <summary>
/// metrics.k8s.io/v1beta1 from kubelet summaries: a small fake kubelet on loopback serves upstream's Summary API JSON
/// for one node with two pods; the API server joins it with the Node and Pod objects, and the real kubectl top reads it.
/// </summary>
[TestClass]
public sealed class ResourceMetricsTests
{
    private static TestCluster _cluster = null!;
    private static FakeKubelet _kubelet = null!;
    private static long _scrapes;
    private static ulong _cumulative = 1_000_000_000;

    [ClassInitialize]
    public static async Task Init(TestContext _)
    {
        _cluster = await TestCluster.StartAsync(o => o.ResourceMetricsCacheDuration = TimeSpan.Zero);
        _kubelet = await FakeKubelet.StartAsync(FakeKubeletAsync);
        await _kubelet.RegisterNodeAsync(_cluster, "m-node", """ "allocatable":{"cpu":"2","memory":"4Gi"},"capacity":{"cpu":"2","memory":"4Gi"}""");
        var silent = await _cluster.PostAsync("/api/v1/nodes", Objects.Node("m-silent"));
        Assert.AreEqual(201, silent.Code, silent.Body?.ToJsonString());
        foreach (var (pod, labels) in new[] { ("m-web", """{"app":"web"}"""), ("m-db", """{"app":"db"}"""), ("m-nostats", """{"app":"web"}""") })
        {
            var r = await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod(pod, labels: labels, nodeName: "m-node"));
            Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        }
    }

    [ClassCleanup]
    public static async Task Cleanup()
    {
        await _kubelet.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private static async Task FakeKubeletAsync(HttpContext ctx)
    {
        if (ctx.Request.Path != "/stats/summary")
        {
            ctx.Response.StatusCode = 404;
            return;
        }
        var n = Interlocked.Increment(ref _scrapes);
        var cumulative = Interlocked.Add(ref _cumulative, 500_000_000);
        var t = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(n * 10).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync($$$"""
            {"node":{"nodeName":"m-node","cpu":{"time":"{{{t}}}","usageNanoCores":250000000,"usageCoreNanoSeconds":{{{cumulative}}}},
                     "memory":{"time":"{{{t}}}","workingSetBytes":1073741824,"usageBytes":2147483648,"availableBytes":3221225472}},
             "pods":[
              {"podRef":{"name":"m-web","namespace":"default","uid":"u1"},"containers":[
                {"name":"c","startTime":"2026-01-01T00:00:00Z","cpu":{"time":"{{{t}}}","usageNanoCores":5000000,"usageCoreNanoSeconds":123},"memory":{"time":"{{{t}}}","workingSetBytes":10485760}}]},
              {"podRef":{"name":"m-db","namespace":"default","uid":"u2"},"containers":[
                {"name":"c","startTime":"2026-01-01T00:00:00Z","cpu":{"time":"{{{t}}}","usageCoreNanoSeconds":{{{cumulative}}}},"memory":{"time":"{{{t}}}","workingSetBytes":20971520}}]}
             ]}
            """);
    }

    [TestMethod]
    public async Task Discovery_ListsNodeAndPodMetrics_GetAndListOnly()
    {
        var r = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1");
        Assert.AreEqual(200, r.Code);
        var resources = r.Body!["resources"]!.AsArray();
        var nodes = resources.Single(x => x!["name"]!.GetValue<string>() == "nodes")!;
        Assert.AreEqual("NodeMetrics", nodes["kind"]!.GetValue<string>());
        Assert.IsFalse(nodes["namespaced"]!.GetValue<bool>());
        CollectionAssert.AreEquivalent(new[] { "get", "list" }, nodes["verbs"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray());
        var pods = resources.Single(x => x!["name"]!.GetValue<string>() == "pods")!;
        Assert.AreEqual("PodMetrics", pods["kind"]!.GetValue<string>());
        Assert.IsTrue(pods["namespaced"]!.GetValue<bool>());
        var groups = await _cluster.GetAsync("/apis");
        StringAssert.Contains(groups.Body!.ToJsonString(), "metrics.k8s.io");
    }

    [TestMethod]
    public async Task NodeMetrics_ListAndGet_FromKubeletSummary()
    {
        var list = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1/nodes");
        Assert.AreEqual(200, list.Code, list.Body?.ToJsonString());
        Assert.AreEqual("NodeMetricsList", list.Body!["kind"]!.GetValue<string>());
        var items = list.Body["items"]!.AsArray();
        Assert.AreEqual(1, items.Count, "the node without a kubelet endpoint has no metrics: " + list.Body.ToJsonString());
        Assert.AreEqual("m-node", items[0]!["metadata"]!["name"]!.GetValue<string>());
        Assert.AreEqual("250000000n", items[0]!["usage"]!["cpu"]!.GetValue<string>());
        Assert.AreEqual("1048576Ki", items[0]!["usage"]!["memory"]!.GetValue<string>());

        var one = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1/nodes/m-node");
        Assert.AreEqual(200, one.Code);
        Assert.AreEqual("NodeMetrics", one.Body!["kind"]!.GetValue<string>());
        var missing = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1/nodes/m-silent");
        Assert.AreEqual(404, missing.Code);
        Assert.AreEqual("NotFound", missing.Body!["reason"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task PodMetrics_ByName_BySelector_AndCpuRateFromCumulative()
    {
        var web = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/m-web");
        Assert.AreEqual(200, web.Code, web.Body?.ToJsonString());
        Assert.AreEqual("PodMetrics", web.Body!["kind"]!.GetValue<string>());
        Assert.AreEqual("c", web.Body["containers"]![0]!["name"]!.GetValue<string>());
        Assert.AreEqual("5000000n", web.Body["containers"]![0]!["usage"]!["cpu"]!.GetValue<string>());
        Assert.AreEqual("10240Ki", web.Body["containers"]![0]!["usage"]!["memory"]!.GetValue<string>());

        var selected = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb");
        Assert.AreEqual(200, selected.Code);
        var names = selected.Body!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();
        CollectionAssert.AreEqual(new[] { "m-web" }, names, "m-nostats has no summary entry, m-db is not selected");

        // m-db reports only cumulative CPU: the rate needs two readings (0.5 s of CPU per 10 s between scrapes = 50m).
        var first = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/m-db");
        var second = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/m-db");
        var ok = first.Code == 200 ? first : second;
        Assert.AreEqual(200, ok.Code, second.Body?.ToJsonString());
        Assert.AreEqual("50000000n", ok.Body!["containers"]![0]!["usage"]!["cpu"]!.GetValue<string>());

        var none = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/m-nostats");
        Assert.AreEqual(404, none.Code);
        var gone = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/no-such-pod");
        Assert.AreEqual(404, gone.Code);
    }

    [TestMethod]
    public async Task InProcessClient_ReadsPodMetrics_ThroughTheMetricsApi()
    {
        // Components such as the HPA controller run on the in-process client: metrics.k8s.io is not in the store, so the
        // client must answer from the same kubelet summaries as HTTP does.
        var client = _cluster.Server.CreateClient(Kube.Core.Admission.UserInfo.Admin);
        var web = await client.GetAsync<TestPodMetrics>("m-web", "default");
        Assert.AreEqual("c", web.Containers.Single().Name);
        Assert.AreEqual(10L * 1024 * 1024, web.Containers.Single().Usage["memory"].ToInt64());

        var list = await client.ListAsync<TestPodMetrics>("default", new Kube.Core.Client.ListOptions { LabelSelector = "app=web" });
        CollectionAssert.AreEqual(new[] { "m-web" }, list.Items.Select(i => i.Metadata.Name).ToList());
    }

    [TestMethod]
    public async Task Metrics_AreReadOnly()
    {
        var post = await _cluster.PostAsync("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", """{"apiVersion":"metrics.k8s.io/v1beta1","kind":"PodMetrics","metadata":{"name":"x"}}""");
        Assert.AreEqual(405, post.Code, post.Body?.ToJsonString());
        var watch = await _cluster.GetAsync("/apis/metrics.k8s.io/v1beta1/nodes?watch=true");
        Assert.AreEqual(405, watch.Code);
    }

    [TestMethod]
    public async Task KubectlTop_NodesAndPods()
    {
        KubectlRunner.RequireInstalled();
        using var kubectl = KubectlRunner.ForServer(_cluster.Server.BaseAddress);
        var nodes = await kubectl.RunArgsAsync("top", "nodes");
        Assert.AreEqual(0, nodes.ExitCode, nodes.Stdout + nodes.Stderr);
        StringAssert.Matches(nodes.Stdout, new Regex(@"(?m)^m-node\s+250m\s+12%\s+1024Mi\s+25%"), nodes.Stdout);
        var pod = await kubectl.RunArgsAsync("top", "pod", "m-web");
        Assert.AreEqual(0, pod.ExitCode, pod.Stdout + pod.Stderr);
        StringAssert.Matches(pod.Stdout, new Regex(@"(?m)^m-web\s+5m\s+10Mi"), pod.Stdout);
        var containers = await kubectl.RunArgsAsync("top", "pod", "-l", "app=web", "--containers");
        Assert.AreEqual(0, containers.ExitCode, containers.Stdout + containers.Stderr);
        StringAssert.Matches(containers.Stdout, new Regex(@"(?m)^m-web\s+c\s+5m\s+10Mi"), containers.Stdout);
    }
}
