namespace Kube.Controllers.Runtime;

/// <summary>The kind of informer notification a predicate is asked about.</summary>
public enum ControllerEventType
{
    Create,
    Update,
    Delete,
}
