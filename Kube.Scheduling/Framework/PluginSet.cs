namespace Kube.Scheduling.Framework;

/// <summary>
/// One extension point's plugin overrides in a profile (KubeSchedulerConfiguration's <c>plugins.&lt;point&gt;</c>):
/// plugins enabled there (with an optional score weight) and default plugins disabled there (<c>*</c> disables all).
/// </summary>
public sealed class PluginSet
{
    /// <summary>Plugins enabled at this point, in order, with their score weight (null: the registered weight). Default empty.</summary>
    public IList<(string Name, int? Weight)> Enabled { get; } = [];

    /// <summary>Plugins disabled at this point; "*" disables every default plugin there. Default empty.</summary>
    public ISet<string> Disabled { get; } = new HashSet<string>(StringComparer.Ordinal);
}
