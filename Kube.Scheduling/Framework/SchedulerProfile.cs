namespace Kube.Scheduling.Framework;

/// <summary>
/// One scheduling profile: the pods whose <c>spec.schedulerName</c> is <see cref="SchedulerName"/> are scheduled with
/// its plugins.
/// </summary>
public sealed class SchedulerProfile
{
    /// <summary>The scheduler name pods select this profile by. Default "default-scheduler".</summary>
    public string SchedulerName { get; set; } = SchedulerOptions.DefaultSchedulerName;

    /// <summary>
    /// The plugins of this profile by registered name, in order. Null (the default) enables every registered plugin,
    /// in registration order, except those in <see cref="Disabled"/>.
    /// </summary>
    public IList<string>? Plugins { get; set; }

    /// <summary>Registered plugins this profile leaves out. Default empty.</summary>
    public ISet<string> Disabled { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Score weights by plugin name, overriding the weights given at registration. Default empty.</summary>
    public IDictionary<string, int> ScoreWeights { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>
    /// Per extension point overrides by point name (<see cref="ExtensionPoints"/>): plugins enabled only there, or default
    /// plugins disabled there. Default empty (every plugin runs at every point it implements).
    /// </summary>
    public IDictionary<string, PluginSet> ExtensionPoints { get; } = new Dictionary<string, PluginSet>(StringComparer.Ordinal);

    /// <summary>Plugin arguments by plugin name, passed to the plugin's constructor (e.g. NodeResourcesFitArgs). Default empty.</summary>
    public IDictionary<string, object> PluginArgs { get; } = new Dictionary<string, object>(StringComparer.Ordinal);

    /// <summary>This profile's percentageOfNodesToScore (1..100); null (the default) uses the scheduler's.</summary>
    public int? PercentageOfNodesToScore { get; set; }
}
