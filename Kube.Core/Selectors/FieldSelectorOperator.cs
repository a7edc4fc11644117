namespace Kube.Core.Selectors;

/// <summary>The operators of a field selector requirement.</summary>
public enum FieldSelectorOperator
{
    /// <summary><c>field=value</c> or <c>field==value</c>.</summary>
    Equals,
    /// <summary><c>field!=value</c>.</summary>
    NotEquals,
}
