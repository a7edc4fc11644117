using System.Text.Json;
using k8s.Models;

namespace Kube.Node.Tests.Stats;

/// <summary><c>GET /stats/summary</c> on the kubelet server, with real processes: upstream's JSON shape and real figures.</summary>
[TestClass]
public sealed class SummaryApiTests : AgentHarnessTest
{
    [TestMethod]
    public async Task StatsSummary_ReportsNodeAndPodCpuAndMemory_InUpstreamShape()
    {
        var marker = H.Marker(3711);
        var pod = await H.RunPodAsync("burner", new V1PodSpec
        {
            Containers =
            [
                // A busy loop (CPU) holding a few MB in a shell variable (memory); $0 carries the marker.
                new V1Container { Name = "burn", Image = "busybox", Command = ["/bin/sh", "-c", "x=$(head -c 4000000 /dev/zero | tr '\\0' x); while :; do :; done", "burn-" + marker] },
                new V1Container { Name = "idle", Image = "busybox", Command = ["sleep", marker] },
            ],
        });

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{H.Agent.KubeletPort}/"), Timeout = TimeSpan.FromSeconds(10) };
        JsonElement burnCpu = default;
        ulong firstCpu = 0;
        JsonElement root = default;
        var ok = await Wait.PollAsync(async () =>
        {
            root = JsonDocument.Parse(await http.GetStringAsync("stats/summary")).RootElement;
            var podStats = root.GetProperty("pods").EnumerateArray().FirstOrDefault(p => p.GetProperty("podRef").GetProperty("name").GetString() == "burner");
            if (podStats.ValueKind != JsonValueKind.Object || podStats.GetProperty("containers").GetArrayLength() < 2)
            {
                return false;
            }

            burnCpu = podStats.GetProperty("containers").EnumerateArray().First(c => c.GetProperty("name").GetString() == "burn").GetProperty("cpu");
            var cumulative = burnCpu.GetProperty("usageCoreNanoSeconds").GetUInt64();
            if (firstCpu == 0)
            {
                firstCpu = cumulative;
                return false;
            }

            // A second scrape at least the rate window later: the busy loop used more CPU, at a rate above zero.
            return cumulative > firstCpu && burnCpu.GetProperty("usageNanoCores").GetUInt64() > 0;
        }, AgentHarness.Deadline);
        Assert.IsTrue(ok, $"the burner's CPU never rose; last summary: {root}");

        var node = root.GetProperty("node");
        Assert.AreEqual("node-1", node.GetProperty("nodeName").GetString());
        Assert.IsTrue(node.GetProperty("cpu").GetProperty("usageCoreNanoSeconds").GetUInt64() > 0);
        Assert.IsTrue(node.GetProperty("cpu").TryGetProperty("usageNanoCores", out _));
        Assert.IsTrue(DateTimeOffset.TryParse(node.GetProperty("cpu").GetProperty("time").GetString(), out _));
        var memory = node.GetProperty("memory");
        foreach (var field in new[] { "availableBytes", "usageBytes", "workingSetBytes", "rssBytes" })
        {
            Assert.IsTrue(memory.GetProperty(field).GetUInt64() > 0, $"node.memory.{field}");
        }

        Assert.IsTrue(node.GetProperty("fs").GetProperty("capacityBytes").GetUInt64() > node.GetProperty("fs").GetProperty("availableBytes").GetUInt64());
        Assert.IsTrue(node.GetProperty("fs").GetProperty("inodesFree").GetUInt64() > 0);

        var burner = root.GetProperty("pods").EnumerateArray().First(p => p.GetProperty("podRef").GetProperty("name").GetString() == "burner");
        Assert.AreEqual("default", burner.GetProperty("podRef").GetProperty("namespace").GetString());
        Assert.AreEqual(pod.Metadata.Uid, burner.GetProperty("podRef").GetProperty("uid").GetString());
        var burn = burner.GetProperty("containers").EnumerateArray().First(c => c.GetProperty("name").GetString() == "burn");
        Assert.IsTrue(DateTimeOffset.TryParse(burn.GetProperty("startTime").GetString(), out _));
        var burnMemory = burn.GetProperty("memory");
        Assert.IsTrue(burnMemory.GetProperty("workingSetBytes").GetUInt64() > 4_000_000, $"the 4 MB variable should show in the working set: {burnMemory}");
        Assert.IsTrue(burnMemory.TryGetProperty("time", out _) && burnMemory.TryGetProperty("rssBytes", out _) && burnMemory.TryGetProperty("usageBytes", out _));
        Assert.IsTrue(burner.GetProperty("memory").GetProperty("workingSetBytes").GetUInt64() >= burnMemory.GetProperty("workingSetBytes").GetUInt64());
        Assert.IsTrue(burner.GetProperty("cpu").GetProperty("usageCoreNanoSeconds").GetUInt64() >= burn.GetProperty("cpu").GetProperty("usageCoreNanoSeconds").GetUInt64());
    }
}
