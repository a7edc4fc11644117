using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.DefaultPreemption;
using Kube.Scheduling.Plugins.NodeResourcesFit;
using Kube.Scheduling.Plugins.PodTopologySpread;

namespace Kube.Scheduling.Configuration;

/// <summary>
/// Applies a <c>KubeSchedulerConfiguration</c> (kubescheduler.config.k8s.io/v1) YAML document to
/// <see cref="SchedulerOptions"/>, with upstream's semantics: each profile starts from the built-in default plugins
/// (the ones in this package that are registered); <c>plugins.multiPoint</c> and the per extension point sets enable
/// and disable plugins (<c>*</c> disables every default there; <c>weight</c> sets a score weight); <c>pluginConfig</c>
/// gives arguments: NodeResourcesFitArgs (scoringStrategy LeastAllocated, MostAllocated, RequestedToCapacityRatio with
/// resources and shape), PodTopologySpreadArgs (defaultConstraints, defaultingType), DefaultPreemptionArgs, and any
/// plugin registered with an arguments type (read as JSON, camelCase). Also reads parallelism,
/// percentageOfNodesToScore (0: adaptive), podInitialBackoffSeconds, podMaxBackoffSeconds and leaderElection
/// (leaderElect, resourceName, resourceNamespace). Errors name the field, for example
/// <c>profiles[1].plugins.score.enabled[0].name: plugin "Foo" is not registered</c>.
/// </summary>
public static class KubeSchedulerConfiguration
{
    public const string ApiVersion = "kubescheduler.config.k8s.io/v1";
    public const string Kind = "KubeSchedulerConfiguration";

    private static readonly JsonSerializerOptions ArgsJson = new() { PropertyNameCaseInsensitive = true };

    /// <summary>Applies <paramref name="yaml"/> to <paramref name="options"/>; returns the errors (empty when valid).</summary>
    public static IReadOnlyList<string> Apply(SchedulerOptions options, string yaml, IReadOnlyList<PluginRegistration> registry)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(registry);
        var errors = new List<string>();
        JsonNode? root;
        try
        {
            root = YamlToJson.Parse(yaml);
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            return [$"KubeSchedulerConfiguration: not valid YAML: {ex.Message}"];
        }

        if (root is not JsonObject doc) return ["KubeSchedulerConfiguration: the document must be a mapping"];
        if (Str(doc, "apiVersion") != ApiVersion) errors.Add($"apiVersion: must be \"{ApiVersion}\", got \"{Str(doc, "apiVersion")}\"");
        if (Str(doc, "kind") != Kind) errors.Add($"kind: must be \"{Kind}\", got \"{Str(doc, "kind")}\"");

        if (Int(doc, "parallelism", errors, "parallelism") is { } par)
        {
            if (par < 1) errors.Add("parallelism: must be greater than 0");
            else options.Parallelism = (int)par;
        }

        if (Percentage(doc, "percentageOfNodesToScore", errors, "percentageOfNodesToScore", out var pct)) options.PercentageOfNodesToScore = pct;
        if (Int(doc, "podInitialBackoffSeconds", errors, "podInitialBackoffSeconds") is { } ib)
        {
            if (ib <= 0) errors.Add("podInitialBackoffSeconds: must be greater than 0");
            else options.PodInitialBackoff = TimeSpan.FromSeconds(ib);
        }

        if (Int(doc, "podMaxBackoffSeconds", errors, "podMaxBackoffSeconds") is { } mb)
        {
            if (mb <= 0) errors.Add("podMaxBackoffSeconds: must be greater than 0");
            else options.PodMaxBackoff = TimeSpan.FromSeconds(mb);
        }

        if (options.PodMaxBackoff < options.PodInitialBackoff) errors.Add("podMaxBackoffSeconds: must be greater than or equal to podInitialBackoffSeconds");

        if (doc["leaderElection"] is JsonObject le)
        {
            if (le["leaderElect"] is JsonValue v && v.TryGetValue<bool>(out var elect)) options.LeaderElection = elect;
            if (Str(le, "resourceName") is { Length: > 0 } rn) options.LeaseName = rn;
            if (Str(le, "resourceNamespace") is { Length: > 0 } rns) options.LeaseNamespace = rns;
        }

        var builtIn = registry.Where(r => r.PluginType.Assembly == typeof(KubeSchedulerConfiguration).Assembly)
            .Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList();
        var registered = registry.ToDictionary(r => r.Name, r => r, StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (doc["profiles"] is JsonArray profiles)
        {
            options.Profiles.Clear();
            for (var i = 0; i < profiles.Count; i++)
            {
                var path = $"profiles[{i}]";
                if (profiles[i] is not JsonObject p)
                {
                    errors.Add($"{path}: must be a mapping");
                    continue;
                }

                var profile = ReadProfile(p, path, builtIn, registered, errors);
                if (!names.Add(profile.SchedulerName)) errors.Add($"{path}.schedulerName: duplicate scheduler name \"{profile.SchedulerName}\"");
                options.Profiles.Add(profile);
            }
        }
        else if (doc["profiles"] is not null)
        {
            errors.Add("profiles: must be a list");
        }

        return errors;
    }

    private static SchedulerProfile ReadProfile(JsonObject p, string path, List<string> builtIn, Dictionary<string, PluginRegistration> registered, List<string> errors)
    {
        var profile = new SchedulerProfile { SchedulerName = Str(p, "schedulerName") is { Length: > 0 } n ? n : SchedulerOptions.DefaultSchedulerName };
        if (Percentage(p, "percentageOfNodesToScore", errors, path + ".percentageOfNodesToScore", out var pct)) profile.PercentageOfNodesToScore = pct;
        var defaults = new List<string>(builtIn);
        if (p["plugins"] is JsonObject plugins)
        {
            foreach (var (point, node) in plugins)
            {
                var pointPath = $"{path}.plugins.{point}";
                if (point != ExtensionPoints.MultiPoint && !ExtensionPoints.All.Contains(point))
                {
                    errors.Add($"{pointPath}: unknown extension point");
                    continue;
                }

                if (node is not JsonObject set) continue;
                var (enabled, disabled) = ReadSet(set, pointPath, registered, errors);
                if (point == ExtensionPoints.MultiPoint)
                {
                    if (disabled.Contains("*")) defaults.Clear();
                    else defaults.RemoveAll(disabled.Contains);
                    foreach (var (name, weight) in enabled)
                    {
                        if (!defaults.Contains(name)) defaults.Add(name);
                        if (weight is { } w) profile.ScoreWeights[name] = w;
                    }
                }
                else
                {
                    var ps = new PluginSet();
                    foreach (var e in enabled) ps.Enabled.Add(e);
                    foreach (var d in disabled) ps.Disabled.Add(d);
                    profile.ExtensionPoints[point] = ps;
                }
            }
        }

        profile.Plugins = defaults;

        if (p["pluginConfig"] is JsonArray configs)
        {
            for (var i = 0; i < configs.Count; i++)
            {
                var cpath = $"{path}.pluginConfig[{i}]";
                if (configs[i] is not JsonObject c || Str(c, "name") is not { Length: > 0 } name)
                {
                    errors.Add($"{cpath}.name: required");
                    continue;
                }

                if (profile.PluginArgs.ContainsKey(name)) errors.Add($"{cpath}.name: duplicate config for plugin \"{name}\"");
                if (ReadArgs(name, c["args"] as JsonObject ?? new JsonObject(), $"{cpath}.args", registered, errors) is { } args) profile.PluginArgs[name] = args;
            }
        }

        return profile;
    }

    private static (List<(string Name, int? Weight)> Enabled, HashSet<string> Disabled) ReadSet(JsonObject set, string path, Dictionary<string, PluginRegistration> registered, List<string> errors)
    {
        var enabled = new List<(string, int?)>();
        var disabled = new HashSet<string>(StringComparer.Ordinal);
        if (set["enabled"] is JsonArray en)
        {
            for (var i = 0; i < en.Count; i++)
            {
                var name = en[i] is JsonObject o ? Str(o, "name") : null;
                if (string.IsNullOrEmpty(name))
                {
                    errors.Add($"{path}.enabled[{i}].name: required");
                    continue;
                }

                if (!registered.ContainsKey(name)) errors.Add($"{path}.enabled[{i}].name: plugin \"{name}\" is not registered");
                var weight = Int((JsonObject)en[i]!, "weight", errors, $"{path}.enabled[{i}].weight");
                if (weight is < 0 or > 100) errors.Add($"{path}.enabled[{i}].weight: must be between 0 and 100");
                enabled.Add((name, weight is null ? null : (int)weight));
            }
        }

        if (set["disabled"] is JsonArray dis)
        {
            for (var i = 0; i < dis.Count; i++)
            {
                var name = dis[i] is JsonObject o ? Str(o, "name") : null;
                if (string.IsNullOrEmpty(name)) errors.Add($"{path}.disabled[{i}].name: required");
                else disabled.Add(name);
            }
        }

        return (enabled, disabled);
    }

    private static object? ReadArgs(string plugin, JsonObject args, string path, Dictionary<string, PluginRegistration> registered, List<string> errors)
    {
        switch (plugin)
        {
            case NodeResourcesFitPlugin.PluginName:
                return ReadNodeResourcesFitArgs(args, path, errors);
            case PodTopologySpreadPlugin.PluginName:
                return ReadPodTopologySpreadArgs(args, path, errors);
            case Plugins.VolumeBinding.VolumeBindingPlugin.PluginName:
                var vb = new Plugins.VolumeBinding.VolumeBindingArgs();
                if (Int(args, "bindTimeoutSeconds", errors, path + ".bindTimeoutSeconds") is { } bt)
                {
                    if (bt < 0) errors.Add($"{path}.bindTimeoutSeconds: Invalid value: {bt}: invalid BindTimeoutSeconds, should not be a negative value");
                    vb = vb with { BindTimeoutSeconds = bt };
                }

                return vb;
            case DefaultPreemptionPlugin.PluginName:
                var dp = new DefaultPreemptionArgs();
                if (Int(args, "minCandidateNodesPercentage", errors, path + ".minCandidateNodesPercentage") is { } mp)
                {
                    if (mp is < 0 or > 100) errors.Add($"{path}.minCandidateNodesPercentage: must be between 0 and 100");
                    dp = dp with { MinCandidateNodesPercentage = (int)mp };
                }

                if (Int(args, "minCandidateNodesAbsolute", errors, path + ".minCandidateNodesAbsolute") is { } ma)
                {
                    if (ma < 0) errors.Add($"{path}.minCandidateNodesAbsolute: must not be negative");
                    dp = dp with { MinCandidateNodesAbsolute = (int)ma };
                }

                if (dp.MinCandidateNodesAbsolute == 0 && dp.MinCandidateNodesPercentage == 0)
                    errors.Add($"{path}: minCandidateNodesPercentage and minCandidateNodesAbsolute must not both be 0");
                return dp;
        }

        if (!registered.TryGetValue(plugin, out var reg))
        {
            errors.Add($"{path}: plugin \"{plugin}\" is not registered");
            return null;
        }

        if (reg.ArgsType is null)
        {
            if (args.Count > 0) errors.Add($"{path}: plugin \"{plugin}\" takes no arguments");
            return null;
        }

        try
        {
            return args.Deserialize(reg.ArgsType, ArgsJson);
        }
        catch (JsonException ex)
        {
            errors.Add($"{path}: {ex.Message}");
            return null;
        }
    }

    private static NodeResourcesFitArgs ReadNodeResourcesFitArgs(JsonObject args, string path, List<string> errors)
    {
        var result = new NodeResourcesFitArgs();
        if (args["scoringStrategy"] is not JsonObject ss) return result;
        var spath = path + ".scoringStrategy";
        if (Str(ss, "type") is { Length: > 0 } type)
        {
            if (Enum.TryParse<ScoringStrategyType>(type, ignoreCase: false, out var t) && Enum.IsDefined(t)) result = result with { Type = t };
            else errors.Add($"{spath}.type: unsupported value \"{type}\": supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\"");
        }

        if (ss["resources"] is JsonArray res)
        {
            var list = new List<ResourceSpec>();
            for (var i = 0; i < res.Count; i++)
            {
                var name = res[i] is JsonObject o ? Str(o, "name") : null;
                if (string.IsNullOrEmpty(name))
                {
                    errors.Add($"{spath}.resources[{i}].name: required");
                    continue;
                }

                var w = Int((JsonObject)res[i]!, "weight", errors, $"{spath}.resources[{i}].weight") ?? 1;
                if (w is < 1 or > 100) errors.Add($"{spath}.resources[{i}].weight: must be between 1 and 100");
                list.Add(new ResourceSpec(name, w));
            }

            result = result with { Resources = list };
        }

        if (ss["requestedToCapacityRatio"] is JsonObject r && r["shape"] is JsonArray shape)
        {
            var points = new List<UtilizationShapePoint>();
            for (var i = 0; i < shape.Count; i++)
            {
                var o = shape[i] as JsonObject ?? new JsonObject();
                var u = Int(o, "utilization", errors, $"{spath}.requestedToCapacityRatio.shape[{i}].utilization") ?? 0;
                var sc = Int(o, "score", errors, $"{spath}.requestedToCapacityRatio.shape[{i}].score") ?? 0;
                if (u is < 0 or > 100) errors.Add($"{spath}.requestedToCapacityRatio.shape[{i}].utilization: must be between 0 and 100");
                if (sc is < 0 or > 10) errors.Add($"{spath}.requestedToCapacityRatio.shape[{i}].score: must be between 0 and 10");
                if (points.Count > 0 && u <= points[^1].Utilization) errors.Add($"{spath}.requestedToCapacityRatio.shape[{i}].utilization: values must be sorted in increasing order");
                points.Add(new UtilizationShapePoint((int)u, (int)sc));
            }

            if (points.Count == 0) errors.Add($"{spath}.requestedToCapacityRatio.shape: must have at least one point");
            else result = result with { Shape = points };
        }

        return result;
    }

    private static PodTopologySpreadArgs ReadPodTopologySpreadArgs(JsonObject args, string path, List<string> errors)
    {
        var result = new PodTopologySpreadArgs();
        var defaulting = Str(args, "defaultingType") ?? "System";
        if (defaulting is not ("System" or "List")) errors.Add($"{path}.defaultingType: unsupported value \"{defaulting}\": supported values: \"System\", \"List\"");
        if (args["defaultConstraints"] is JsonArray dc)
        {
            if (defaulting == "System" && dc.Count > 0) errors.Add($"{path}.defaultConstraints: must be empty when defaultingType is System");
            List<V1TopologySpreadConstraint>? list = null;
            try
            {
                list = KubernetesJson.Deserialize<List<V1TopologySpreadConstraint>>(dc.ToJsonString());
            }
            catch (JsonException ex)
            {
                errors.Add($"{path}.defaultConstraints: {ex.Message}");
            }

            for (var i = 0; i < (list?.Count ?? 0); i++)
            {
                var c = list![i];
                if (c.MaxSkew <= 0) errors.Add($"{path}.defaultConstraints[{i}].maxSkew: must be greater than 0");
                if (string.IsNullOrEmpty(c.TopologyKey)) errors.Add($"{path}.defaultConstraints[{i}].topologyKey: required");
                if (c.WhenUnsatisfiable is not ("DoNotSchedule" or "ScheduleAnyway"))
                    errors.Add($"{path}.defaultConstraints[{i}].whenUnsatisfiable: unsupported value \"{c.WhenUnsatisfiable}\"");
                if (c.LabelSelector is not null) errors.Add($"{path}.defaultConstraints[{i}].labelSelector: must not be set (it is built from the pod)");
            }

            if (defaulting == "List" && list is not null) result = result with { DefaultConstraints = list };
        }
        else if (defaulting == "List")
        {
            result = result with { DefaultConstraints = [] };
        }

        return result;
    }

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v ? v.ToString() : null;

    private static long? Int(JsonObject o, string key, List<string> errors, string path)
    {
        if (o[key] is not JsonValue v) return null;
        if (v.TryGetValue<long>(out var l)) return l;
        errors.Add($"{path}: must be an integer, got \"{v}\"");
        return null;
    }

    private static bool Percentage(JsonObject o, string key, List<string> errors, string path, out int? value)
    {
        value = null;
        if (Int(o, key, errors, path) is not { } p) return false;
        if (p is < 0 or > 100)
        {
            errors.Add($"{path}: must be between 0 and 100");
            return false;
        }

        value = p == 0 ? null : (int)p;
        return true;
    }
}
