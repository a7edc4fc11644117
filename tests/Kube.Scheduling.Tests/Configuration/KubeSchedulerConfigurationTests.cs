using k8s.Models;
using Kube.Core.Client;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Hosting;
using Kube.Scheduling.Plugins.DefaultPreemption;
using Kube.Scheduling.Plugins.NodeResourcesFit;
using Kube.Scheduling.Plugins.PodTopologySpread;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kube.Scheduling.Tests.Configuration;

[TestClass]
public sealed class KubeSchedulerConfigurationTests
{
    private const string Header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";

    private static (SchedulerOptions Options, IServiceProvider Services) Build(string yaml, Action<IKubeSchedulerBuilder>? more = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        // Plugins that call the API take a client; nothing is called here (the address is never dialled).
        services.AddSingleton<IKubeClient>(_ => new HttpKubeClient(new HttpClient(), new Uri("http://127.0.0.1:9"), Kube.Core.Resources.ResourceTypeRegistry.CreateDefault()));
        var builder = services.AddKubeScheduler().UseConfiguration(yaml);
        more?.Invoke(builder);
        var sp = services.BuildServiceProvider();
        return (sp.GetRequiredService<IOptions<SchedulerOptions>>().Value, sp);
    }

    [TestMethod]
    public void Profiles_PluginSets_Weights_AndArgs_AreApplied()
    {
        var yaml = Header + """
            parallelism: 8
            percentageOfNodesToScore: 30
            podInitialBackoffSeconds: 2
            podMaxBackoffSeconds: 20
            profiles:
            - schedulerName: default-scheduler
              pluginConfig:
              - name: NodeResourcesFit
                args:
                  scoringStrategy:
                    type: MostAllocated
                    resources:
                    - name: cpu
                      weight: 3
              - name: DefaultPreemption
                args:
                  minCandidateNodesPercentage: 20
                  minCandidateNodesAbsolute: 50
            - schedulerName: bin-packer
              percentageOfNodesToScore: 100
              plugins:
                multiPoint:
                  disabled:
                  - name: ImageLocality
                score:
                  disabled:
                  - name: "*"
                  enabled:
                  - name: NodeResourcesFit
                    weight: 5
              pluginConfig:
              - name: PodTopologySpread
                args:
                  defaultingType: List
                  defaultConstraints:
                  - maxSkew: 1
                    topologyKey: zone
                    whenUnsatisfiable: ScheduleAnyway
            """;
        var (o, sp) = Build(yaml);
        Assert.AreEqual(8, o.Parallelism);
        Assert.AreEqual(30, o.PercentageOfNodesToScore);
        Assert.AreEqual(TimeSpan.FromSeconds(2), o.PodInitialBackoff);
        Assert.AreEqual(TimeSpan.FromSeconds(20), o.PodMaxBackoff);
        Assert.AreEqual(2, o.Profiles.Count);

        var fit = (NodeResourcesFitArgs)o.Profiles[0].PluginArgs[NodeResourcesFitPlugin.PluginName];
        Assert.AreEqual(ScoringStrategyType.MostAllocated, fit.Type);
        Assert.AreEqual(new ResourceSpec("cpu", 3), fit.Resources.Single());
        Assert.AreEqual(new DefaultPreemptionArgs { MinCandidateNodesPercentage = 20, MinCandidateNodesAbsolute = 50 }, o.Profiles[0].PluginArgs[DefaultPreemptionPlugin.PluginName]);
        var spread = (PodTopologySpreadArgs)o.Profiles[1].PluginArgs[PodTopologySpreadPlugin.PluginName];
        Assert.AreEqual("zone", spread.DefaultConstraints.Single().TopologyKey);

        var registry = sp.GetServices<PluginRegistration>().ToList();
        var packer = SchedulingFramework.Create(o.Profiles[1], registry, sp);
        CollectionAssert.AreEqual(new[] { NodeResourcesFitPlugin.PluginName }, packer.PluginsAt(ExtensionPoints.Score).ToArray());
        Assert.AreEqual(5, packer.ScoreWeight(NodeResourcesFitPlugin.PluginName));
        Assert.IsFalse(packer.Plugins.Any(p => p.Name == "ImageLocality"));
        Assert.AreEqual(100, packer.PercentageOfNodesToScore);
        Assert.IsTrue(packer.PluginsAt(ExtensionPoints.Filter).Contains("TaintToleration"), "filters stay enabled");

        // MostAllocated args reach the plugin: the fuller node scores higher.
        var dflt = SchedulingFramework.Create(o.Profiles[0], registry, sp);
        var plugin = (NodeResourcesFitPlugin)dflt.Plugins.Single(p => p.Name == NodeResourcesFitPlugin.PluginName);
        var pod = TestObjects.Pod("p", cpu: "1");
        var empty = NodeInfo.Create(TestObjects.Node("empty", cpu: "4"));
        var busy = NodeInfo.Create(TestObjects.Node("busy", cpu: "4"), TestObjects.Pod("q", cpu: "2", nodeName: "busy"));
        Assert.IsTrue(plugin.Score(new CycleState(), pod, busy).Score > plugin.Score(new CycleState(), pod, empty).Score);
        CollectionAssert.Contains(dflt.PluginsAt(ExtensionPoints.PostFilter).ToArray(), DefaultPreemptionPlugin.PluginName);
    }

    [TestMethod]
    public void CustomPlugin_IsEnabledOnlyWhereTheConfigurationSays_WithItsArgs()
    {
        var yaml = Header + """
            profiles:
            - schedulerName: default-scheduler
            - schedulerName: my-scheduler
              plugins:
                multiPoint:
                  enabled:
                  - name: Prefer
                    weight: 4
              pluginConfig:
              - name: Prefer
                args:
                  label: gpu
            """;
        var (o, sp) = Build(yaml, b => b.AddPlugin<PreferPlugin, PreferArgs>("Prefer"));
        var registry = sp.GetServices<PluginRegistration>().ToList();
        var plain = SchedulingFramework.Create(o.Profiles[0], registry, sp);
        var mine = SchedulingFramework.Create(o.Profiles[1], registry, sp);
        Assert.IsFalse(plain.Plugins.Any(p => p.Name == "Prefer"), "out-of-tree plugins are not defaults");
        Assert.AreEqual(4, mine.ScoreWeight("Prefer"));
        Assert.AreEqual("gpu", ((PreferPlugin)mine.Plugins.Single(p => p.Name == "Prefer")).Label);
    }

    [TestMethod]
    [DataRow("apiVersion: v1\nkind: KubeSchedulerConfiguration\n", "apiVersion: must be \"kubescheduler.config.k8s.io/v1\"")]
    [DataRow(Header + "parallelism: 0\n", "parallelism: must be greater than 0")]
    [DataRow(Header + "percentageOfNodesToScore: 101\n", "percentageOfNodesToScore: must be between 0 and 100")]
    [DataRow(Header + "podInitialBackoffSeconds: 20\npodMaxBackoffSeconds: 10\n", "podMaxBackoffSeconds: must be greater than or equal to podInitialBackoffSeconds")]
    [DataRow(Header + "profiles:\n- schedulerName: a\n- schedulerName: a\n", "profiles[1].schedulerName: duplicate scheduler name \"a\"")]
    [DataRow(Header + "profiles:\n- plugins:\n    score:\n      enabled:\n      - name: Nope\n", "profiles[0].plugins.score.enabled[0].name: plugin \"Nope\" is not registered")]
    [DataRow(Header + "profiles:\n- plugins:\n    sorting: {}\n", "profiles[0].plugins.sorting: unknown extension point")]
    [DataRow(Header + "profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: Random\n", "profiles[0].pluginConfig[0].args.scoringStrategy.type: unsupported value \"Random\"")]
    [DataRow(Header + "profiles:\n- pluginConfig:\n  - name: PodTopologySpread\n    args:\n      defaultingType: List\n      defaultConstraints:\n      - maxSkew: 0\n        topologyKey: zone\n        whenUnsatisfiable: DoNotSchedule\n", "defaultConstraints[0].maxSkew: must be greater than 0")]
    [DataRow(Header + "profiles:\n- pluginConfig:\n  - name: DefaultPreemption\n    args:\n      minCandidateNodesPercentage: 0\n      minCandidateNodesAbsolute: 0\n", "must not both be 0")]
    [DataRow(Header + "profiles:\n- pluginConfig:\n  - name: VolumeBinding\n    args:\n      bindTimeoutSeconds: -1\n", "profiles[0].pluginConfig[0].args.bindTimeoutSeconds: Invalid value: -1: invalid BindTimeoutSeconds, should not be a negative value")]
    [DataRow(Header + "profiles: [", "not valid YAML")]
    public void InvalidConfiguration_FailsValidation_NamingTheField(string yaml, string expected)
    {
        var ex = Assert.ThrowsExactly<OptionsValidationException>(() => Build(yaml));
        StringAssert.Contains(ex.Message, expected);
    }

    [TestMethod]
    public void VolumeBindingArgs_BindTimeoutSeconds_ReachesThePlugin_DefaultingTo600()
    {
        var yaml = Header + """
            profiles:
            - schedulerName: default-scheduler
              pluginConfig:
              - name: VolumeBinding
                args:
                  bindTimeoutSeconds: 30
            """;
        var (o, _) = Build(yaml);
        Assert.AreEqual(30, ((Kube.Scheduling.Plugins.VolumeBinding.VolumeBindingArgs)o.Profiles[0].PluginArgs["VolumeBinding"]).BindTimeoutSeconds);
        Assert.AreEqual(600, new Kube.Scheduling.Plugins.VolumeBinding.VolumeBindingArgs().BindTimeoutSeconds);
    }

    internal sealed record PreferArgs
    {
        public string Label { get; init; } = "";
    }

    internal sealed class PreferPlugin(PreferArgs? args = null) : IScorePlugin
    {
        public string Label => args?.Label ?? "";

        public string Name => "Prefer";

        public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo) =>
            (nodeInfo.Node.Metadata.Labels?.ContainsKey(Label) == true ? 100 : 0, Status.Success);
    }
}
