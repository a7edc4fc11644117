namespace Kube.Scheduling.Framework;

/// <summary>
/// Cycle state a plugin changes after PreFilter (through <see cref="IPreFilterExtensions"/>): <see cref="CycleState.Clone"/>
/// deep-copies values implementing this; other values are shared between the clones and must be immutable.
/// </summary>
public interface IStateData
{
    IStateData Clone();
}
