namespace Kube.Scheduling.Framework;

/// <summary>
/// A scheduler plugin. A plugin implements one or more extension-point interfaces (<see cref="IPreFilterPlugin"/>,
/// <see cref="IFilterPlugin"/>, <see cref="IPostFilterPlugin"/>, <see cref="IScorePlugin"/>, <see cref="IReservePlugin"/>,
/// <see cref="IBindPlugin"/>) and is registered by name with <c>AddPlugin&lt;T&gt;(name)</c>.
/// </summary>
public interface IPlugin
{
    /// <summary>The name the plugin is registered and configured under.</summary>
    string Name { get; }
}
