using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Internal;
using Kube.Scheduling.Plugins.NodeResourcesFit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Scheduling.Tests.Framework;

[TestClass]
public sealed class ExtensionPointsTests
{
    [TestMethod]
    public async Task Permit_Wait_BindsOnceEveryWaitingPluginAllows()
    {
        var time = new FakeTimeProvider();
        var fwk = new SchedulingFramework("s", [new PermitPlugin("a", StatusCode.Wait), new PermitPlugin("b", StatusCode.Wait)], time: time);
        var pod = TestObjects.Pod("p");
        Assert.AreEqual(StatusCode.Wait, fwk.RunPermit(new CycleState(), pod, "n1").Code);
        var waiting = fwk.Handle.GetWaitingPod(pod.Metadata.Uid);
        Assert.IsNotNull(waiting);
        CollectionAssert.AreEquivalent(new[] { "a", "b" }, waiting.PendingPlugins.ToArray());
        Assert.AreEqual(1, fwk.Handle.WaitingPods().Count);

        var result = fwk.WaitOnPermitAsync(pod, CancellationToken.None);
        waiting.Allow("a");
        Assert.IsFalse(result.IsCompleted, "one plugin still waits");
        waiting.Allow("b");
        Assert.IsTrue((await result.WaitAsync(TimeSpan.FromSeconds(10))).IsSuccess);
        Assert.IsNull(fwk.Handle.GetWaitingPod(pod.Metadata.Uid), "no longer waiting");
    }

    [TestMethod]
    public async Task Permit_Wait_IsRejectedAfterItsTimeout_WithUpstreamsMessage()
    {
        var time = new FakeTimeProvider();
        var fwk = new SchedulingFramework("s", [new PermitPlugin("gang", StatusCode.Wait, TimeSpan.FromSeconds(5))], time: time);
        var pod = TestObjects.Pod("p");
        fwk.RunPermit(new CycleState(), pod, "n1");
        var result = fwk.WaitOnPermitAsync(pod, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.IsFalse(result.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        var status = await result.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.AreEqual(StatusCode.Unschedulable, status.Code);
        Assert.AreEqual("rejected due to timeout after waiting 5s at plugin gang", status.Message);
    }

    [TestMethod]
    public void Permit_Deny_WinsOverWait()
    {
        var fwk = new SchedulingFramework("s", [new PermitPlugin("w", StatusCode.Wait), new PermitPlugin("d", StatusCode.Unschedulable)]);
        var s = fwk.RunPermit(new CycleState(), TestObjects.Pod("p"), "n1");
        Assert.AreEqual(StatusCode.Unschedulable, s.Code);
        Assert.AreEqual("d", s.Plugin);
    }

    [TestMethod]
    public async Task Permit_WaitingPod_CanBeRejectedByAnotherPlugin()
    {
        var fwk = new SchedulingFramework("s", [new PermitPlugin("w", StatusCode.Wait)]);
        var pod = TestObjects.Pod("p");
        fwk.RunPermit(new CycleState(), pod, "n1");
        var result = fwk.WaitOnPermitAsync(pod, CancellationToken.None);
        fwk.Handle.GetWaitingPod(pod.Metadata.Uid)!.Reject("other", "no room for the gang");
        var s = await result.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.AreEqual("no room for the gang", s.Message);
        Assert.AreEqual("other", s.Plugin);
    }

    [TestMethod]
    [DataRow(0, "0s")]
    [DataRow(250, "250ms")]
    [DataRow(5000, "5s")]
    [DataRow(90_000, "1m30s")]
    [DataRow(3_600_000, "1h0m0s")]
    public void GoDuration_PrintsAsGo(int ms, string expected) =>
        Assert.AreEqual(expected, WaitingPod.GoDuration(TimeSpan.FromMilliseconds(ms)));

    [TestMethod]
    public void PreScore_Skip_SkipsThatPluginsScore()
    {
        var skipping = new ScoringPlugin("skipper", StatusCode.Skip, 100);
        var scoring = new ScoringPlugin("scorer", StatusCode.Success, 50);
        var fwk = new SchedulingFramework("s", [skipping, scoring]);
        var nodes = new[] { NodeInfo.Create(TestObjects.Node("a")) };
        var state = new CycleState();
        Assert.IsTrue(fwk.RunPreScore(state, TestObjects.Pod("p"), nodes).IsSuccess);
        var scores = fwk.RunScore(state, TestObjects.Pod("p"), nodes);
        Assert.AreEqual(50, scores["a"]);
        Assert.AreEqual(0, skipping.Scored);
        Assert.AreEqual(1, scoring.Scored);
    }

    [TestMethod]
    public void PreFilter_Skip_SkipsThatPluginsFilter()
    {
        var plugin = new SkippingFilter();
        var fwk = new SchedulingFramework("s", [plugin]);
        var state = new CycleState();
        var nodes = new[] { NodeInfo.Create(TestObjects.Node("a")) };
        fwk.RunPreFilter(state, TestObjects.Pod("p"), nodes);
        Assert.IsTrue(fwk.RunFilter(state, TestObjects.Pod("p"), nodes[0]).IsSuccess);
        Assert.AreEqual(0, plugin.Filtered);
    }

    [TestMethod]
    public async Task BindingCycle_RunsPreBind_Bind_PostBind_AndPreBindFailureStopsIt()
    {
        var log = new List<string>();
        var fwk = new SchedulingFramework("s", [new BindingPlugin("x", log, preBindFails: false)]);
        var pod = TestObjects.Pod("p");
        Assert.IsTrue((await fwk.RunPreBindAsync(new CycleState(), pod, "n", CancellationToken.None)).IsSuccess);
        Assert.IsTrue((await fwk.RunBindAsync(new CycleState(), pod, "n", CancellationToken.None)).IsSuccess);
        fwk.RunPostBind(new CycleState(), pod, "n");
        CollectionAssert.AreEqual(new[] { "PreBind", "Bind", "PostBind" }, log);

        var failing = new SchedulingFramework("s", [new BindingPlugin("y", [], preBindFails: true)]);
        var s = await failing.RunPreBindAsync(new CycleState(), pod, "n", CancellationToken.None);
        Assert.AreEqual(StatusCode.Error, s.Code);
        Assert.AreEqual("y", s.Plugin);
    }

    [TestMethod]
    public void Profile_ExtensionPointOverrides_EnableAndDisablePerPoint()
    {
        var services = new ServiceCollection().BuildServiceProvider();
        var registry = new[]
        {
            new PluginRegistration(NodeResourcesFitPlugin.PluginName, typeof(NodeResourcesFitPlugin)),
            new PluginRegistration("scorer", typeof(DiScoringPlugin), 3),
        };
        var profile = new SchedulerProfile { SchedulerName = "p", Plugins = [NodeResourcesFitPlugin.PluginName] };
        profile.ExtensionPoints[ExtensionPoints.Score] = new PluginSet();
        profile.ExtensionPoints[ExtensionPoints.Score].Disabled.Add("*");
        profile.ExtensionPoints[ExtensionPoints.Score].Enabled.Add(("scorer", 7));
        var fwk = SchedulingFramework.Create(profile, registry, services);
        CollectionAssert.AreEqual(new[] { "scorer" }, fwk.PluginsAt(ExtensionPoints.Score).ToArray());
        CollectionAssert.AreEqual(new[] { NodeResourcesFitPlugin.PluginName }, fwk.PluginsAt(ExtensionPoints.Filter).ToArray());
        Assert.AreEqual(7, fwk.ScoreWeight("scorer"));
    }

    [TestMethod]
    public void CycleState_Clone_DeepCopiesStateData_AndSharesTheRest()
    {
        var state = new CycleState();
        state.Write("counter", new Counter { Value = 1 });
        state.Write("shared", "immutable");
        var clone = state.Clone();
        Assert.IsTrue(clone.TryRead<Counter>("counter", out var c));
        c.Value = 5;
        Assert.IsTrue(state.TryRead<Counter>("counter", out var original));
        Assert.AreEqual(1, original.Value);
        Assert.IsTrue(clone.TryRead<string>("shared", out var s));
        Assert.AreEqual("immutable", s);
    }

    private sealed class Counter : IStateData
    {
        public int Value { get; set; }

        public IStateData Clone() => new Counter { Value = Value };
    }

    private sealed class PermitPlugin(string name, StatusCode code, TimeSpan? timeout = null) : IPermitPlugin
    {
        public string Name => name;

        public (Status Status, TimeSpan Timeout) Permit(CycleState state, V1Pod pod, string nodeName) =>
            (new Status(code, code == StatusCode.Unschedulable ? ["denied"] : []), timeout ?? TimeSpan.FromMinutes(1));
    }

    private sealed class ScoringPlugin(string name, StatusCode preScore, long score) : IPreScorePlugin, IScorePlugin
    {
        public int Scored { get; private set; }

        public string Name => name;

        public Status PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasibleNodes) => new(preScore, []);

        public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo)
        {
            Scored++;
            return (score, Status.Success);
        }
    }

    private sealed class DiScoringPlugin : IScorePlugin
    {
        public string Name => "scorer";

        public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo) => (1, Status.Success);
    }

    private sealed class SkippingFilter : IPreFilterPlugin, IFilterPlugin
    {
        public int Filtered { get; private set; }

        public string Name => "skipping";

        public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes) => Status.Skip;

        public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
        {
            Filtered++;
            return Status.Unschedulable("should not run");
        }
    }

    private sealed class BindingPlugin(string name, List<string> log, bool preBindFails) : IPreBindPlugin, IBindPlugin, IPostBindPlugin
    {
        public string Name => name;

        public Task<Status> PreBindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken)
        {
            log.Add("PreBind");
            return Task.FromResult(preBindFails ? new Status(StatusCode.Error, ["volume not ready"]) : Status.Success);
        }

        public Task<Status> BindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken)
        {
            log.Add("Bind");
            return Task.FromResult(Status.Success);
        }

        public void PostBind(CycleState state, V1Pod pod, string nodeName) => log.Add("PostBind");
    }
}
