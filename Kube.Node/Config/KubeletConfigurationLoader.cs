using System.Globalization;
using System.Text.RegularExpressions;
using Kube.Node.Agent;
using YamlDotNet.Serialization;

namespace Kube.Node.Config;

/// <summary>
/// Reads upstream's <c>KubeletConfiguration</c> (kubelet.config.k8s.io/v1beta1) YAML onto <see cref="NodeAgentOptions"/>.
/// Applied: maxPods, address, port, syncFrequency, nodeStatusUpdateFrequency, nodeLeaseDurationSeconds, staticPodPath, fileCheckFrequency, evictionHard, evictionSoft, evictionSoftGracePeriod,
/// evictionPressureTransitionPeriod, evictionMaxPodGracePeriod, containerLogMaxSize, containerLogMaxFiles, containerLogMonitorInterval. Known fields this
/// agent does not implement yet (clusterDNS, ...) and unknown fields give warnings; invalid values throw
/// <see cref="ArgumentException"/> naming the field.
/// </summary>
public static partial class KubeletConfigurationLoader
{
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        "clusterDNS", "clusterDomain", "authentication", "authorization", "cgroupDriver",
        "readOnlyPort", "healthzPort", "healthzBindAddress", "httpCheckFrequency", "imageMinimumGCAge",
        "imageGCHighThresholdPercent", "imageGCLowThresholdPercent", "rotateCertificates", "serverTLSBootstrap", "staticPodURL",
        "resolvConf", "runtimeRequestTimeout", "podPidsLimit", "systemReserved", "kubeReserved", "enforceNodeAllocatable",
        "nodeStatusReportFrequency", "shutdownGracePeriod", "shutdownGracePeriodCriticalPods", "featureGates", "failSwapOn",
        "tlsCertFile", "tlsPrivateKeyFile", "registerNode", "registerWithTaints", "cpuManagerPolicy", "memorySwap", "logging",
    };

    /// <summary>Applies the file's settings to <paramref name="options"/>; returns the warnings (unknown or unimplemented fields).</summary>
    public static IReadOnlyList<string> Apply(string path, NodeAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var yaml = File.ReadAllText(path);
        var map = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object?>>(yaml) ?? [];
        var warnings = new List<string>();
        foreach (var (key, value) in map)
        {
            switch (key)
            {
                case "apiVersion":
                    if (value as string != "kubelet.config.k8s.io/v1beta1")
                    {
                        throw new ArgumentException($"{path}: apiVersion \"{value}\" must be kubelet.config.k8s.io/v1beta1");
                    }

                    break;
                case "kind":
                    if (value as string != "KubeletConfiguration")
                    {
                        throw new ArgumentException($"{path}: kind \"{value}\" must be KubeletConfiguration");
                    }

                    break;
                case "maxPods":
                    options.MaxPods = PositiveInt(path, key, value);
                    break;
                case "address":
                    if (value is not string address || !System.Net.IPAddress.TryParse(address, out var ip) || !System.Net.IPAddress.IsLoopback(ip))
                    {
                        throw new ArgumentException($"{path}: address \"{value}\" must be a loopback IP address (this agent serves loopback only)");
                    }

                    options.KubeletAddress = address;
                    break;
                case "port":
                    var port = PositiveInt(path, key, value);
                    if (port > 65535)
                    {
                        throw new ArgumentException($"{path}: port {port} must be within 1-65535");
                    }

                    options.KubeletPort = port;
                    break;
                case "syncFrequency":
                    options.ResyncInterval = Duration(path, key, value);
                    break;
                case "nodeStatusUpdateFrequency":
                    options.NodeStatusUpdateInterval = Duration(path, key, value);
                    break;
                case "staticPodPath":
                    options.StaticPodPath = value is string staticPath && staticPath.Length > 0 && Path.IsPathRooted(staticPath)
                        ? staticPath
                        : throw new ArgumentException($"{path}: staticPodPath \"{value}\" must be an absolute directory path");
                    break;
                case "fileCheckFrequency":
                    options.FileCheckFrequency = Duration(path, key, value);
                    break;
                case "evictionHard":
                    Replace(options.EvictionHard, Map(path, key, value));
                    break;
                case "evictionSoft":
                    Replace(options.EvictionSoft, Map(path, key, value));
                    break;
                case "evictionSoftGracePeriod":
                    options.EvictionSoftGracePeriod.Clear();
                    foreach (var (signal, text) in Map(path, key, value))
                    {
                        options.EvictionSoftGracePeriod[signal] = Duration(path, $"{key}.{signal}", text);
                    }

                    break;
                case "evictionPressureTransitionPeriod":
                    options.EvictionPressureTransitionPeriod = Duration(path, key, value);
                    break;
                case "evictionMaxPodGracePeriod":
                    options.EvictionMaxPodGracePeriodSeconds = int.TryParse(value as string, NumberStyles.Integer, CultureInfo.InvariantCulture, out var maxGrace) && maxGrace >= 0
                        ? maxGrace
                        : throw new ArgumentException($"{path}: evictionMaxPodGracePeriod \"{value}\" must be a non-negative integer");
                    break;
                case "containerLogMaxSize":
                    try
                    {
                        options.ContainerLogMaxSize = (long)new k8s.Models.ResourceQuantity(value as string ?? "").ToDecimal();
                    }
                    catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
                    {
                        throw new ArgumentException($"{path}: containerLogMaxSize \"{value}\" is not a quantity such as 10Mi", ex);
                    }

                    if (options.ContainerLogMaxSize <= 0)
                    {
                        throw new ArgumentException($"{path}: containerLogMaxSize \"{value}\" must be positive");
                    }

                    break;
                case "containerLogMaxFiles":
                    options.ContainerLogMaxFiles = PositiveInt(path, key, value) is var files && files >= 2
                        ? files
                        : throw new ArgumentException($"{path}: containerLogMaxFiles \"{value}\" must be at least 2");
                    break;
                case "containerLogMonitorInterval":
                    options.ContainerLogMonitorInterval = Duration(path, key, value);
                    break;
                case "nodeLeaseDurationSeconds":
                    options.LeaseDurationSeconds = PositiveInt(path, key, value);
                    break;
                default:
                    warnings.Add(Ignored.Contains(key)
                        ? $"{path}: field \"{key}\" is known but not implemented by this node agent yet; it is ignored"
                        : $"{path}: unknown field \"{key}\" is ignored");
                    break;
            }
        }

        try
        {
            _ = options.EvictionThresholds();
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{path}: {ex.Message}", ex);
        }

        return warnings;
    }

    private static Dictionary<string, string> Map(string path, string key, object? value) =>
        value is Dictionary<object, object> map
            ? map.ToDictionary(kv => kv.Key.ToString() ?? "", kv => kv.Value?.ToString() ?? "", StringComparer.Ordinal)
            : value is null ? [] : throw new ArgumentException($"{path}: {key} must be a map of signal to value");

    private static void Replace(IDictionary<string, string> target, Dictionary<string, string> values)
    {
        target.Clear();
        foreach (var (k, v) in values)
        {
            target[k] = v;
        }
    }

    private static int PositiveInt(string path, string key, object? value) =>
        int.TryParse(value as string, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{path}: {key} \"{value}\" must be a positive integer");

    /// <summary>Parses a Go duration such as "10s", "1m30s" or "500ms".</summary>
    internal static TimeSpan Duration(string path, string key, object? value)
    {
        var text = value as string ?? "";
        var matches = GoDuration().Matches(text);
        if (text.Length == 0 || string.Concat(matches.Select(m => m.Value)) != text)
        {
            throw new ArgumentException($"{path}: {key} \"{value}\" is not a duration like \"10s\" or \"1m0s\"");
        }

        var total = TimeSpan.Zero;
        foreach (Match m in matches)
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                "ms" => TimeSpan.FromMilliseconds(n),
                "us" or "µs" => TimeSpan.FromMicroseconds(n),
                _ => TimeSpan.FromTicks((long)(n / 100)),
            };
        }

        return total > TimeSpan.Zero ? total : throw new ArgumentException($"{path}: {key} \"{value}\" must be positive");
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")]
    private static partial Regex GoDuration();
}
